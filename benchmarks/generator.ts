/**
 * `npm run bench -- generator [--queries N] [--label-noise a,b,…] [--seed S]`: how predictable the
 * generated data is. For each label-noise level λ it generates N MSLR-shaped queries, splits them
 * 60/20/20 by query, trains the default base ranker (run-config defaults, the `mslr` preset's input:
 * features 1–131) and prints its test NDCG@10 (exponential gain, as MSLR-WEB10K figures are usually
 * reported, and linear gain) beside the peer figures it is calibrated against: published MSLR-WEB10K
 * rankers score about 0.45–0.52 NDCG@10. It also prints each auxiliary objective's grade correlation
 * with relevance next to the declared one. The machine load is printed before and after.
 */
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { GENERATOR_DEFAULTS, generateSynthetic } from '../src/data/generate';
import { applyObjectives } from '../src/data/objectives';
import { presetObjectives } from '../src/data/presets';
import { splitByQuery } from '../src/data/split';
import type { RankingDataset } from '../src/data/dataset';
import { createEngine } from '../src/engine/select';
import { evaluateObjectives } from '../src/eval/metrics';
import { DEFAULTS as RUN_DEFAULTS } from '../src/pipeline/runConfig';
import { trainBase } from '../src/train/baseTraining';
import { parseTrainConfig, type TrainConfig } from '../src/train/config';

/** Published MSLR-WEB10K NDCG@10 range of neural and GBDT rankers (e.g. LightGBM LambdaMART ≈ 0.50–0.52). */
const MSLR_RANGE = [0.45, 0.52];

function trainConfig(seed: number): TrainConfig {
  const raw: Record<string, unknown> = {};
  for (const k of Object.keys(parseTrainConfig({}))) raw[k] = (RUN_DEFAULTS as unknown as Record<string, unknown>)[k];
  return parseTrainConfig({ ...raw, seed }, 'bench generator');
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

function ndcg(scores: Float32Array, ds: RankingDataset, gain: 'linear' | 'exponential'): number {
  return evaluateObjectives(scores, ds, { k: 10, gain, idcgZero: 'skip', ties: 'stable' })[0].mean;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { queries: { type: 'string', default: '1500' }, 'label-noise': { type: 'string', default: `0,${GENERATOR_DEFAULTS.labelNoise}` }, seed: { type: 'string', default: '1' } },
  });
  const queries = Number(values.queries);
  const seed = Number(values.seed);
  const levels = values['label-noise']!.split(',').map(Number);
  console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.availableParallelism()} cores; ${os.cpus()[0]?.model ?? ''}`);
  console.log(`${queries} generated queries (mean list ${GENERATOR_DEFAULTS.meanListLength}), split 60/20/20, default base ranker; peer: MSLR-WEB10K published NDCG@10 ${MSLR_RANGE.join('–')}`);
  const engine = await createEngine('auto');
  for (const labelNoise of [...new Set(levels)]) {
    const raw = generateSynthetic({ queries, seed, labelNoise });
    const declared = GENERATOR_DEFAULTS.objectives.map((o) => `${o.name} ${pearson(raw.labels[0], raw.labels[GENERATOR_DEFAULTS.objectives.indexOf(o) + 1]).toFixed(3)} (declared ${o.correlation})`);
    const split = splitByQuery(raw, { seed });
    const defs = presetObjectives('mslr');
    const t = applyObjectives(split.train, defs);
    const v = applyObjectives(split.validation, defs, { resolved: t.objectives });
    const s = applyObjectives(split.test, defs, { resolved: t.objectives });
    const res = await trainBase(engine, t.dataset, v.dataset, trainConfig(seed));
    const scores = Float32Array.from(await engine.score(res.spec, res.params, { features: s.dataset.features, queryOffsets: s.dataset.queryOffsets }));
    console.log(
      `labelNoise ${labelNoise}: test NDCG@10 ${ndcg(scores, s.dataset, 'exponential').toFixed(4)} (exp gain), ${ndcg(scores, s.dataset, 'linear').toFixed(4)} (linear); ` +
        `best step ${res.bestStep} of ${res.steps}, ${res.seconds.toFixed(0)} s; grade correlations: ${declared.join(', ')}`,
    );
  }
  console.log(`load average after ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}
