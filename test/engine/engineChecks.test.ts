/**
 * One check per engine input (src/engine/checks.ts): the same bad scoring inputs, rankers, session
 * options, batches and restores give the same typed error — a ConfigError with the same issue paths and
 * message — on the tfjs and the ONNX engine, and the same good inputs pass both.
 */
import { DEFAULT_OPTIMIZER, type Engine, type ListBatch, type ScoreInput, type TrainSessionOptions } from '../../src/engine/engine';
import { createOnnxEngine } from '../../src/engine/onnx/engine';
import { createTfjsEngine } from '../../src/engine/tfjs/engine';
import type { RankerParameters } from '../../src/model/rankerParameters';
import { initParameters, type RankerSpec, type ScorerSpec } from '../../src/model/spec';
import { ConfigError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';
import { randomListBatch } from './listBatchFixture';

const F = 3;
const mlp: ScorerSpec = { kind: 'mlp', inputSize: F, conditioning: { weights: 0, beta: false }, hidden: [4], activation: 'relu', dropout: 0 };
const spec: RankerSpec = { base: mlp, cos: { net: { ...mlp, conditioning: { weights: 2, beta: false } }, parametrisation: 'augment', temperature: true } };
const rng = new Rng(5);
const params: RankerParameters = { base: initParameters(mlp, rng), cos: initParameters(spec.cos!.net, rng) };
const good: ScoreInput = { features: Float32Array.from({ length: 5 * F }, () => rng.normal()), queryOffsets: Int32Array.of(0, 2, 5), weights: Float32Array.of(0.3, 0.7) };

const options = (o: Partial<TrainSessionOptions> = {}): TrainSessionOptions => ({
  spec,
  params,
  target: 'cos',
  loss: { kind: 'lipo', targets: ['sparse', 'dense'], lambda: 0.1 },
  optimizer: DEFAULT_OPTIMIZER,
  seed: 1,
  ...o,
});
const batch = (): ListBatch => randomListBatch(spec, 3, 4, 5, F, (b) => 2 + b);

/** The ConfigError a promise rejects with, as comparable data (fails when it resolves or throws otherwise). */
async function configErrorOf(p: Promise<unknown>): Promise<{ paths: string[]; message: string }> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
    return { paths: err.issues.map((i) => i.path), message: err.message };
  }
  throw new Error('expected a ConfigError, but the call succeeded');
}

let engines: Engine[];
beforeAll(async () => {
  engines = [await createTfjsEngine({ backend: 'cpu' }), await createOnnxEngine({ threads: 1 })];
});

const broken = (): RankerParameters => {
  const cos = { ...params.cos! };
  delete cos['layers.0.bias'];
  return { base: { ...params.base, 'layers.1.weight': { shape: [4, 2], data: new Float32Array(8) } }, cos };
};

const badScores: [string, () => [RankerSpec, RankerParameters, ScoreInput], string[]][] = [
  ['features of the wrong length', () => [spec, params, { ...good, features: good.features.subarray(1) }], ['features']],
  ['no trade-off for a COS ranker', () => [spec, params, { ...good, weights: undefined }], ['weights']],
  ['a trade-off of the wrong length, β ≤ 0 and c = 0', () => [spec, params, { ...good, weights: Float32Array.of(1), beta: Float32Array.of(1, 0), c: 0 }], ['weights', 'beta', 'c']],
  ['offsets that decrease', () => [spec, params, { ...good, queryOffsets: Int32Array.of(0, 4, 2, 5) }], ['queryOffsets']],
  ['parameters missing or of the wrong shape', () => [spec, broken(), good], ['params.base.layers.1.weight', 'params.cos.layers.0.bias']],
  ['a COS net reading other features', () => [{ ...spec, cos: { ...spec.cos!, net: { ...spec.cos!.net, inputSize: F + 1 } } }, params, good], ['spec.cos.net.inputSize', 'params.cos.input.mean', 'params.cos.input.scale', 'params.cos.layers.0.weight']],
];

describe('the same bad input fails the same way on both engines', () => {
  it('good input passes both', async () => {
    for (const e of engines) expect((await e.score(spec, params, good)).length).toBe(5);
  });

  it.each(badScores)('score: %s', async (_, make, paths) => {
    const [s, p, input] = make();
    const [a, b] = await Promise.all(engines.map((e) => configErrorOf(e.score(s, p, input))));
    expect(a.paths).toEqual(paths);
    expect(b).toEqual(a);
  });

  it.each<[string, Partial<TrainSessionOptions>, string[]]>([
    ['target cos without a COS network', { spec: { base: mlp }, params: { base: params.base }, loss: { kind: 'listnet' } }, ['target']],
    ['LiPO for the base ranker', { target: 'base' }, ['loss.kind']],
    ['one LiPO target for two objectives', { loss: { kind: 'lipo', targets: ['sparse'], lambda: 0 } }, ['loss.targets']],
  ])('train session: %s', async (_, o, paths) => {
    const [a, b] = await Promise.all(engines.map((e) => configErrorOf(e.createTrainSession(options(o)))));
    expect(a.paths).toEqual(paths);
    expect(b).toEqual(a);
  });

  it.each<[string, (b: ListBatch) => ListBatch, string[]]>([
    ['features of the wrong length', (b) => ({ ...b, features: b.features.subarray(F) }), ['batch.features']],
    ['a short mask and a missing label array', (b) => ({ ...b, mask: b.mask.subarray(1), labels: b.labels.slice(0, 1) }), ['batch.mask', 'batch.labels']],
    ['no trade-off, β of the wrong length', (b) => ({ ...b, weights: undefined, beta: Float32Array.of(1) }), ['batch.weights', 'batch.beta']],
  ])('training batch: %s', async (_, edit, paths) => {
    const results = [];
    for (const e of engines) {
      const session = await e.createTrainSession(options());
      try {
        expect(Number.isFinite(await session.evaluateLoss(batch()))).toBe(true);
        results.push(await configErrorOf(session.step(edit(batch()))));
        results.push(await configErrorOf(session.evaluateLoss(edit(batch()))));
      } finally {
        session.dispose();
      }
    }
    expect(results[0].paths).toEqual(paths);
    for (const r of results) expect(r).toEqual(results[0]);
  });

  it('restore: parameters and moments that do not fit', async () => {
    const results = [];
    for (const e of engines) {
      const session = await e.createTrainSession(options());
      try {
        const state = session.optimizerState();
        const p = session.parameters();
        delete p['layers.1.bias'];
        delete state.m['layers.0.weight'];
        results.push(await configErrorOf((async () => session.restore(p, state))()));
      } finally {
        session.dispose();
      }
    }
    expect(results[0].paths).toEqual(['params.layers.1.bias', 'state.layers.0.weight']);
    expect(results[1]).toEqual(results[0]);
  });
});
