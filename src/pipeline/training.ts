/**
 * The base and COS stages as the pipeline runs them: train (through src/train) and assemble the saved
 * model — the network, the objectives and input mapping it was trained with, its validation figures and
 * provenance. `cosrank run` and the stage commands (`train-base`, `train`) both call these.
 */
import { objectiveInputMapping } from '../data/objectives';
import type { Engine } from '../engine/engine';
import type { SavedModel } from '../model/modelFile';
import { trainBase, type TrainOptions, type TrainResult } from '../train/baseTraining';
import { trainFixedWeights } from '../train/baselines/fixedWeights';
import { trainCos, type BaseModel, type CosTrainResult } from '../train/cosTraining';
import type { TrainConfig } from '../train/config';
import type { TrainingData } from './datasets';

/** A trained stage: the model to save and the trainer's report. */
export interface TrainedModel<R extends TrainResult = TrainResult> {
  model: SavedModel;
  result: R;
}

/** The model fields that come from the data and its objectives. */
export function modelInputs(data: TrainingData): Pick<SavedModel, 'objectives' | 'rawFeatureCount' | 'inputFeatures' | 'inputFeatureNames'> {
  return {
    objectives: data.objectives,
    rawFeatureCount: data.rawFeatureCount,
    inputFeatures: Array.from(objectiveInputMapping(data.objectives, data.rawFeatureCount)),
    inputFeatureNames: [...data.train.featureNames],
  };
}

/** `{prefix + name: value}` for every figure. */
export function prefixed(prefix: string, metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [prefix + k, v]));
}

/** Trains s0 on the main objective; the model carries `base.validation.*` figures. */
export async function trainBaseModel(engine: Engine, data: TrainingData, config: TrainConfig, options: TrainOptions = {}, info: Record<string, unknown> = {}): Promise<TrainedModel> {
  const result = await trainBase(engine, data.train, data.validation, config, options);
  const model: SavedModel = {
    spec: result.spec,
    params: result.params,
    ...modelInputs(data),
    defaultWeights: [],
    metrics: prefixed('base.validation.', result.metrics),
    info: { stage: 'base', configHash: result.configHash, engine: engine.name, ...info },
  };
  return { model, result };
}

/** The saved COS model: the base's s0 and figures, the new network, `cos.validation.*` figures. */
export function cosModel(base: SavedModel, data: TrainingData, result: CosTrainResult, defaultWeights: number[], info: Record<string, unknown>): SavedModel {
  return {
    spec: result.spec,
    params: result.params,
    ...modelInputs(data),
    defaultWeights,
    metrics: { ...base.metrics, ...prefixed('cos.validation.', { ...result.metrics, hypervolume: result.hypervolume }) },
    info: { stage: 'cos', configHash: result.configHash, baseInfo: base.info ?? null, ...info },
  };
}

/** Loss target per auxiliary objective, as declared. */
function targetsOf(data: TrainingData): ('sparse' | 'dense')[] {
  return data.objectives.slice(1).map((o) => o.target);
}

/**
 * Trains one COS ranker (W-COS, T-COS) against the frozen s0 of `base`, or with `cos.mode: "dpo-ls"` the
 * unconditioned DPO-LS model at `cos.fixedWeights` (the baselines' fixed-w job, baselines/fixedWeights.ts).
 */
export async function trainCosModel(
  engine: Engine,
  base: SavedModel,
  data: TrainingData,
  config: TrainConfig,
  options: TrainOptions = {},
  info: Record<string, unknown> = {},
): Promise<TrainedModel<CosTrainResult>> {
  const baseModel: BaseModel = { spec: base.spec, params: base.params };
  const train = config.cos.mode === 'dpo-ls' ? trainFixedWeights : trainCos;
  const result = await train(engine, baseModel, data.train, data.validation, config, { ...options, targets: targetsOf(data) });
  const m = data.objectives.length - 1;
  const weights = config.cos.fixedWeights ?? new Array<number>(m).fill(1 / m);
  return { model: cosModel(base, data, result, weights, { engine: engine.name, ...info }), result };
}
