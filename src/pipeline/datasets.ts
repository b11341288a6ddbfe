/**
 * The read and objectives stages for given files: data files read and concatenated (e.g. MQ2008 S1–S3,
 * see `concatDatasets`), then the objectives (the config's declaration, see `objectiveDefsOf`) applied
 * with cut points fitted on the training split and frozen for validation.
 */
import { concatDatasets } from '../data/concat';
import type { RankingDataset } from '../data/dataset';
import { applyObjectives, type ObjectiveDef, type ResolvedObjective } from '../data/objectives';
import { readDataset, type ReadOptions } from '../data/read';

/** Reads and concatenates data files (any format `readDataset` knows), saying which file it reads. */
export async function readDatasets(paths: string[], options: ReadOptions = {}): Promise<RankingDataset> {
  const parts: RankingDataset[] = [];
  for (const p of paths) {
    options.onProgress?.({ stage: 'data', done: parts.length, total: paths.length, message: `reading ${p}` });
    parts.push(await readDataset(p, options));
  }
  return concatDatasets(parts, paths);
}

/** Training and validation data with the objectives applied, as the trainers take them. */
export interface TrainingData {
  train: RankingDataset;
  validation: RankingDataset;
  /** The resolved objectives (main first; quantile cut points fitted on train). */
  objectives: ResolvedObjective[];
  /** Feature count and names of the raw training data, before objectives dropped any. */
  rawFeatureCount: number;
  rawFeatureNames: string[];
}

/**
 * Applies objectives to the training and validation data: cut points fitted on the raw training data
 * (or taken frozen from `resolved`, e.g. a base model's), the same input features dropped from both.
 */
export function prepareDatasets(trainRaw: RankingDataset, validationRaw: RankingDataset, defs: ObjectiveDef[], resolved?: ResolvedObjective[]): TrainingData {
  const t = applyObjectives(trainRaw, defs, resolved ? { resolved } : {});
  const v = applyObjectives(validationRaw, defs, { fitOn: trainRaw, resolved: t.objectives });
  return { train: t.dataset, validation: v.dataset, objectives: t.objectives, rawFeatureCount: trainRaw.nFeatures, rawFeatureNames: [...trainRaw.featureNames] };
}
