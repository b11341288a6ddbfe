/**
 * `cos.mode: "dpo-ls"` with `cos.fixedWeights`: ONE DPO-LS model at that fixed trade-off w — the same
 * unconditioned network and job (fixedJob.ts: seeds, batches, loss Σ_j w_j·L_j, records and resume) as
 * that point of the DPO-LS front, so the single-mode model and the front's model at w are the same model
 * when trained with the same budget. A one-point front has no trade-off to choose a step by, so the job
 * keeps the step with the best w-weighted validation NDCG (the figure it optimises; the earliest on ties)
 * and stops early on it with the stage's patience (earlyStopping.ts), as the other cos modes do on theirs.
 */
import type { RankingDataset } from '../../data/dataset';
import type { Engine } from '../../engine/engine';
import { ConfigError } from '../../util/errors';
import { datasetHash, parametersHash } from '../../util/hash';
import type { TrainOptions } from '../baseTraining';
import { configHash, type TrainConfig } from '../config';
import { meanMainKey, type BaseModel, type CosTrainResult } from '../cosTraining';
import { evaluateCos } from '../sweepScoring';
import { auxiliaryCount, trainFixedJob, type JobContext } from './fixedJob';

/** The figure a fixed-w job is chosen and stopped by. */
export const WEIGHTED_FIGURE = 'weighted auxiliary NDCG';

/** Checks the fixed trade-off and the data against s0; returns w. */
function fixedWeightsOf(base: BaseModel, train: RankingDataset, validation: RankingDataset, config: TrainConfig): number[] {
  const m = auxiliaryCount(train);
  const w = config.cos.fixedWeights;
  if (w === null || w.length !== m) {
    throw new ConfigError([{ path: 'cos.fixedWeights', value: w, expected: `the trade-off w (${m} entries, one per auxiliary objective) for a dpo-ls model` }], 'config');
  }
  if (m < 1) throw new Error(`DPO-LS training needs at least one auxiliary objective; the training data has only '${train.labelNames[0]}'`);
  if (auxiliaryCount(validation) !== m || validation.nFeatures !== train.nFeatures || base.spec.base.inputSize !== train.nFeatures) {
    throw new Error(`validation and s0 must match the training data (${train.labelNames.join(', ')}; ${train.nFeatures} features); got ${validation.labelNames.join(', ')}, ${validation.nFeatures} features, s0 taking ${base.spec.base.inputSize}`);
  }
  return w;
}

/**
 * Trains the DPO-LS model at `config.cos.fixedWeights` against the frozen s0 of `base` (see the module
 * comment). With `options.checkpointDir` the job keeps its record and loop checkpoints there
 * (`config.checkpoint.every`) and `options.resume` continues an interrupted job.
 */
export async function trainFixedWeights(
  engine: Engine,
  base: BaseModel,
  train: RankingDataset,
  validation: RankingDataset,
  config: TrainConfig,
  options: TrainOptions & { targets: ('sparse' | 'dense')[] },
): Promise<CosTrainResult> {
  const w = fixedWeightsOf(base, train, validation, config);
  const c = config.cos;
  const ctx: JobContext = {
    engine,
    base,
    train,
    validation,
    cos: c,
    seed: config.seed,
    targets: options.targets,
    metric: { k: c.metricK },
    onProgress: options.onProgress,
    signal: options.signal,
    ...(options.checkpointDir ? { checkpoint: { dir: options.checkpointDir, every: config.checkpoint.every, resume: options.resume ?? false } } : {}),
  };
  const job = await trainFixedJob(ctx, w, 'train-cos', { patience: c.patience ?? 0 });
  // as trainCos does: an unstable run is an error, not a model (the job's record keeps what it reached)
  if (job.failure !== undefined) throw new Error(`${job.failure}. Lower the learning rate or check the inputs for infinite values.`);
  const figure = (ndcg: number[]) => w.reduce((a, wj, j) => a + wj * ndcg[j + 1], 0);
  const best = job.snapshots.reduce((b, s) => (figure(s.ndcg) > figure(b.ndcg) ? s : b), job.snapshots[0]);
  const params = { base: base.params.base, cos: best.params };
  const final = await evaluateCos(engine, job.spec, params, validation, [Float64Array.from(w)], { k: c.metricK });
  const hash = configHash(config, { stage: 'train-cos', method: 'dpo-ls', base: parametersHash(base.params.base), train: datasetHash(train), validation: datasetHash(validation), targets: options.targets }, ['objectives']);
  return {
    spec: job.spec,
    params,
    bestStep: best.step,
    steps: job.steps,
    stoppedEarly: job.stoppedEarly,
    metrics: { [WEIGHTED_FIGURE]: figure(best.ndcg), [meanMainKey(validation, c.metricK)]: best.ndcg[0] },
    history: job.history,
    seconds: job.trainSeconds + job.validationSeconds,
    validationSeconds: job.validationSeconds,
    phases: { batch: 0, step: job.trainSeconds, validation: job.validationSeconds, checkpoint: 0, bookkeeping: 0 },
    resumedFrom: job.resumedFrom,
    configHash: hash,
    sweep: final.table,
    hypervolume: final.hypervolume,
  };
}
