/**
 * Training data as the trainer needs it: files read and concatenated (e.g. MQ2008 S1–S3, see
 * `concatDatasets`), objectives (from the config's declaration, see `objectiveDefsOf`) applied with cut
 * points fitted on the training split and frozen for validation.
 */
import { concatDatasets } from '../data/concat';
import type { RankingDataset } from '../data/dataset';
import { applyObjectives, type ObjectiveDef, type ResolvedObjective } from '../data/objectives';
import { readDataset } from '../data/read';
import type { ProgressCallback } from '../util/progress';

/** Reads and concatenates data files (any format `readDataset` knows). */
export async function readDatasets(paths: string[], onProgress?: ProgressCallback): Promise<RankingDataset> {
  const parts: RankingDataset[] = [];
  for (const p of paths) parts.push(await readDataset(p, { onProgress }));
  return concatDatasets(parts, paths);
}

/**
 * Applies objectives to the training and validation data: cut points fitted on the raw training data
 * (or taken frozen from `resolved`, e.g. a base model's), the same input features dropped from both.
 */
export function prepareDatasets(
  trainRaw: RankingDataset,
  validationRaw: RankingDataset,
  defs: ObjectiveDef[],
  resolved?: ResolvedObjective[],
): { train: RankingDataset; validation: RankingDataset; objectives: ResolvedObjective[] } {
  const t = applyObjectives(trainRaw, defs, resolved ? { resolved } : {});
  const v = applyObjectives(validationRaw, defs, { fitOn: trainRaw, resolved: t.objectives });
  return { train: t.dataset, validation: v.dataset, objectives: t.objectives };
}
