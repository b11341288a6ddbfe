/**
 * Validation scoring every weight point in one batched pass (issue 12): `sweepRanker` (documents repeated
 * once per point, w given per query) gives the NDCGs of scoring point by point with one w per call, on
 * both engines, for a w-conditioned MLP (rows), a transformer net (padded lists) and T-COS with β and c;
 * the 11 points take one scoring call, and a bound on the documents per pass splits the points into groups
 * with the same result.
 */
import type { RankingDataset } from '../../src/data/dataset';
import type { Engine, ScoreInput } from '../../src/engine/engine';
import { createOnnxEngine } from '../../src/engine/onnx/engine';
import { createTfjsEngine } from '../../src/engine/tfjs/engine';
import { evaluateObjectives } from '../../src/eval/metrics';
import { weightGrid } from '../../src/eval/sweep';
import { fitInputNormalisation, initParameters, type Parameters, type RankerSpec, type ScorerSpec } from '../../src/model/spec';
import { scoreAtPoints, sweepRanker } from '../../src/train/sweepScoring';
import { Rng } from '../../src/util/rng';
import { smallData } from './smallData';

const ds = smallData(12, 71);
const F = ds.nFeatures;
const mlp: ScorerSpec = { kind: 'mlp', inputSize: F, conditioning: { weights: 0, beta: false }, hidden: [8], activation: 'relu', dropout: 0 };
const net: ScorerSpec = { ...mlp, conditioning: { weights: 2, beta: false }, hidden: [8, 6], activation: 'gelu' };
const transformerNet: ScorerSpec = { kind: 'transformer', inputSize: F, conditioning: { weights: 2, beta: false }, dModel: 8, nHeads: 2, nLayers: 1, ffHidden: 12, activation: 'gelu', dropout: 0 };

function ranker(spec: RankerSpec, seed: number): { base: Parameters; cos: Parameters } {
  const rng = new Rng(seed);
  const perturb = (p: Parameters) => {
    // the layers only: the input normalisation stays the identity
    for (const [name, t] of Object.entries(p)) if (!name.startsWith('input.')) for (let i = 0; i < t.data.length; i++) t.data[i] += rng.normal();
    return p;
  };
  const standardised = (p: Parameters) => (fitInputNormalisation(p, ds.features, F), p);
  return { base: standardised(perturb(initParameters(spec.base, rng))), cos: standardised(perturb(initParameters((spec.cos as NonNullable<RankerSpec['cos']>).net, rng))) };
}

const cases: { name: string; spec: RankerSpec; beta?: number[]; c?: number }[] = [
  { name: 'w-conditioned MLP (rows)', spec: { base: mlp, cos: { net, parametrisation: 'augment', temperature: false } } },
  { name: 'transformer net (padded lists)', spec: { base: mlp, cos: { net: transformerNet, parametrisation: 'scratch', temperature: false } } },
  { name: 'T-COS with β and c', spec: { base: mlp, cos: { net: { ...net, conditioning: { weights: 2, beta: true } }, parametrisation: 'augment', temperature: true } }, beta: [0.7, 1.6], c: 1.5 },
];

/** NDCG@10 of every objective at each point, one scoring call per point (the reference path). */
async function perPoint(engine: Engine, spec: RankerSpec, params: { base: Parameters; cos: Parameters }, data: RankingDataset, points: Float64Array[], beta?: number[], c?: number): Promise<number[][]> {
  const rows: number[][] = [];
  for (const p of points) {
    const scores = await engine.score(spec, params, { features: data.features, queryOffsets: data.queryOffsets, weights: Float32Array.from(p), beta: beta && Float32Array.from(beta), c });
    rows.push(evaluateObjectives(scores, data, { k: 10, metrics: ['ndcg'] }).map((o) => o.mean));
  }
  return rows;
}

const engines: [string, () => Promise<Engine>][] = [
  ['onnx', () => createOnnxEngine({ threads: 1 })],
  ['tfjs cpu', () => createTfjsEngine({ backend: 'cpu' })],
];

describe.each(engines)('batched sweep scoring = point by point (%s)', (_, make) => {
  it.each(cases)('$name', async ({ spec, beta, c }) => {
    const engine = await make();
    const params = ranker(spec, 3);
    const points = weightGrid(2);
    let calls = 0;
    const counting: Engine = { ...engine, score: (s, p, input: ScoreInput) => (calls++, engine.score(s, p, input)) };
    const table = await sweepRanker(counting, spec, params, ds, points, { k: 10, beta, c });
    expect(calls).toBe(1);
    const reference = await perPoint(engine, spec, params, ds, points, beta, c);
    expect(table.rows.map((r) => r.weights)).toEqual(points.map((p) => Array.from(p)));
    table.rows.forEach((r, i) => r.ndcg.forEach((v, j) => expect(v).toBeCloseTo(reference[i][j], 6)));
    // the points differ (the comparison is not of one score vector repeated)
    expect(new Set(reference.map((r) => r.map((v) => v.toFixed(6)).join())).size).toBeGreaterThan(1);
    // grouped passes (at most 3 copies of the documents each) give the same scores as one pass
    const nDocs = ds.queryOffsets[ds.queryOffsets.length - 1];
    const one = await scoreAtPoints(engine, spec, params, ds, points, { beta: beta && Float32Array.from(beta), c });
    const grouped = await scoreAtPoints(engine, spec, params, ds, points, { beta: beta && Float32Array.from(beta), c, maxDocuments: 3 * nDocs });
    one.forEach((s, i) => s.forEach((v, d) => expect(Math.abs(v - grouped[i][d])).toBeLessThan(1e-5)));
  });
});
