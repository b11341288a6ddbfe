/**
 * Base training: the ranker s0 on the main objective (`labels[0]`), ListNet by default.
 *
 * Input normalisation is fitted on the training features (`fitInputNormalisation`) and frozen. Early
 * stopping watches validation NDCG@k of the main objective (linear gain, queries without a relevant
 * document skipped, stable ties) and the parameters of the best validation are returned.
 */
import type { RankingDataset } from '../data/dataset';
import type { Engine } from '../engine/engine';
import type { RankerParameters } from '../model/rankerParameters';
import type { TrainingLogEntry } from '../eval/trainingLog';
import { meanOverQueries, ndcgAtK } from '../eval/metrics';
import { fitInputNormalisation, initParameters, type Parameters, type RankerSpec } from '../model/spec';
import type { ProgressCallback } from '../util/progress';
import { Rng } from '../util/rng';
import { BatchStream } from './batching';
import { configHash, scorerSpecOf, stageSteps, type TrainConfig } from './config';
import { datasetHash } from '../util/hash';
import { runTrainingLoop, type CheckpointOptions, type LoopPhases, type LoopResult, type Validation } from './trainer';

export interface TrainOptions {
  onProgress?: ProgressCallback;
  /** Folder for checkpoints; checkpoints are written every `config.checkpoint.every` steps when set. */
  checkpointDir?: string;
  /** Continue from the checkpoint in `checkpointDir` when there is one. */
  resume?: boolean;
  signal?: AbortSignal;
}

/** The outcome of a training stage: the best model found and how it was found. */
export interface TrainResult {
  spec: RankerSpec;
  params: RankerParameters;
  /** Step of the best validation (0 = before training), and steps run. */
  bestStep: number;
  steps: number;
  stoppedEarly: boolean;
  /** Validation figures of the returned parameters. */
  metrics: Record<string, number>;
  history: TrainingLogEntry[];
  seconds: number;
  /** The part of `seconds` spent validating (the rest is optimiser steps). */
  validationSeconds: number;
  /** Where the training loop's wall time went (batch assembly, engine steps, validation, …). */
  phases: LoopPhases;
  resumedFrom: number | null;
  /** Hash of config + training data (checkpoints are tied to it). */
  configHash: string;
}

/** The checkpoint options of a stage's training loop: none unless `options.checkpointDir` is set. */
export function loopCheckpoint(options: TrainOptions, config: TrainConfig, configHash: string): CheckpointOptions | undefined {
  return options.checkpointDir ? { dir: options.checkpointDir, every: config.checkpoint.every, configHash, resume: options.resume ?? false } : undefined;
}

/** Everything a stage's `TrainResult` reports about its training loop (all but the model: `spec`, `params`). */
export function loopReport(result: LoopResult, configHash: string): Omit<TrainResult, 'spec' | 'params'> {
  return {
    bestStep: result.best.step,
    steps: result.steps,
    stoppedEarly: result.stoppedEarly,
    metrics: result.best.metrics,
    history: result.history,
    seconds: result.seconds,
    validationSeconds: result.validationSeconds,
    phases: result.phases,
    resumedFrom: result.resumedFrom,
    configHash,
  };
}

/** Mean NDCG@k of one label column over the queries that have a relevant document. */
export async function validationNdcg(
  engine: Engine,
  spec: RankerSpec,
  params: RankerParameters,
  ds: RankingDataset,
  column: number,
  k: number,
): Promise<number> {
  const scores = await engine.score(spec, params, { features: ds.features, queryOffsets: ds.queryOffsets });
  return meanOverQueries(ndcgAtK(scores, ds.labels[column], ds.queryOffsets, { k, gain: 'linear', idcgZero: 'skip', ties: 'stable' })).mean;
}

/** Key of a validation NDCG in metrics and logs, e.g. `relevance NDCG@10`. */
export function ndcgKey(ds: RankingDataset, column: number, k: number): string {
  return `${ds.labelNames[column]} NDCG@${k}`;
}

/**
 * Trains s0 on `train.labels[0]`, validating on `validation.labels[0]`; returns the best parameters.
 * Random streams (initialisation, batches, session seed) all derive from `config.seed`.
 */
export async function trainBase(
  engine: Engine,
  train: RankingDataset,
  validation: RankingDataset,
  config: TrainConfig,
  options: TrainOptions = {},
): Promise<TrainResult> {
  if (validation.nFeatures !== train.nFeatures) {
    throw new Error(`validation has ${validation.nFeatures} features, training has ${train.nFeatures}`);
  }
  const c = config.base;
  const master = new Rng(config.seed);
  const initRng = master.fork();
  const batchRng = master.fork();
  const sessionSeed = master.nextUint32();

  const baseSpec = scorerSpecOf(config.model, train.nFeatures, { weights: 0, beta: false });
  const spec: RankerSpec = { base: baseSpec };
  const params = initParameters(baseSpec, initRng);
  fitInputNormalisation(params, train.features, train.nFeatures);

  const batches = new BatchStream(train, { listsPerBatch: c.listsPerBatch, slateLength: c.slateLength, labelColumns: [0] }, batchRng);
  const totalSteps = stageSteps(c, batches.batchesPerEpoch);
  // s0 does not read the COS section, and the objective declarations act only through the data hashed here:
  // leaving them out lets an interrupted base run resume after a COS-only edit (`cosrank run` reuses its folder)
  const hash = configHash(config, { stage: 'train-base', train: datasetHash(train), validation: datasetHash(validation) }, ['cos', 'objectives']);
  const key = ndcgKey(validation, 0, c.metricK);

  const session = await engine.createTrainSession({ spec, params: { base: params }, target: 'base', loss: { kind: c.loss }, optimizer: c.optimizer, seed: sessionSeed });
  try {
    const result = await runTrainingLoop({
      stage: 'train-base',
      session,
      batches,
      totalSteps,
      validateEvery: c.validateEvery,
      patience: c.patience,
      figureName: key,
      validate: async (p: Parameters): Promise<Validation> => {
        const ndcg = await validationNdcg(engine, spec, { base: p }, validation, 0, c.metricK);
        return { figure: ndcg, metrics: { [key]: ndcg } };
      },
      checkpoint: loopCheckpoint(options, config, hash),
      onProgress: options.onProgress,
      signal: options.signal,
    });
    return {
      spec,
      params: { base: result.best.params },
      ...loopReport(result, hash),
    };
  } finally {
    session.dispose();
  }
}
