/**
 * Training data as the trainer needs it: files read and concatenated (e.g. MQ2008 S1–S3), objectives
 * declared in the config (definitions, a preset name, or null = the label columns as they are)
 * applied with cut points fitted on the training split and frozen for validation.
 */
import type { RankingDataset } from '../data/dataset';
import { validateDataset } from '../data/dataset';
import { applyObjectives, parseObjectives, type ObjectiveDef, type ResolvedObjective } from '../data/objectives';
import { PRESET_NAMES, presetObjectives, type PresetName } from '../data/presets';
import { readDataset } from '../data/read';
import { ConfigError } from '../util/errors';
import type { ProgressCallback } from '../util/progress';
import type { TrainConfig } from './config';

/**
 * Datasets with the same features and label columns, one after the other (query ids kept; the
 * caller keeps them distinct). A single dataset is returned as is.
 */
export function concatDatasets(parts: RankingDataset[]): RankingDataset {
  if (parts.length === 0) throw new Error('no dataset to concatenate');
  if (parts.length === 1) return parts[0];
  const first = parts[0];
  for (const p of parts.slice(1)) {
    if (p.nFeatures !== first.nFeatures || p.labelNames.join('\u0000') !== first.labelNames.join('\u0000')) {
      throw new Error(`cannot concatenate datasets with different features or labels (${first.nFeatures}: ${first.labelNames} vs ${p.nFeatures}: ${p.labelNames})`);
    }
  }
  const nDocs = parts.reduce((a, p) => a + p.queryOffsets[p.queryOffsets.length - 1], 0);
  const nQ = parts.reduce((a, p) => a + p.queryOffsets.length - 1, 0);
  const features = new Float32Array(nDocs * first.nFeatures);
  const labels = first.labels.map(() => new Float32Array(nDocs));
  const queryOffsets = new Int32Array(nQ + 1);
  const withDocIds = parts.every((p) => p.docIds);
  const docIds: (string | null)[] = [];
  let row = 0;
  let q = 0;
  for (const p of parts) {
    const n = p.queryOffsets[p.queryOffsets.length - 1];
    features.set(p.features, row * first.nFeatures);
    p.labels.forEach((col, j) => labels[j].set(col, row));
    for (let i = 1; i < p.queryOffsets.length; i++) queryOffsets[++q] = row + p.queryOffsets[i];
    if (withDocIds && p.docIds) docIds.push(...p.docIds);
    row += n;
  }
  const out: RankingDataset = {
    ...first,
    features,
    labels,
    queryOffsets,
    queryIds: parts.flatMap((p) => p.queryIds),
    docIds: withDocIds ? docIds : undefined,
    metadata: { ...first.metadata, sources: parts.map((p) => p.metadata?.source ?? null) },
  };
  validateDataset(out);
  return out;
}

/** Reads and concatenates data files (any format `readDataset` knows). */
export async function readDatasets(paths: string[], onProgress?: ProgressCallback): Promise<RankingDataset> {
  const parts: RankingDataset[] = [];
  for (const p of paths) parts.push(await readDataset(p, { onProgress }));
  return concatDatasets(parts);
}

/** The objective definitions a config declares for a dataset (null = each label column as it is). */
export function objectiveDefs(declared: TrainConfig['objectives'], raw: RankingDataset): ObjectiveDef[] {
  if (declared === null) return raw.labelNames.map((name) => ({ name, source: { label: name }, grading: { kind: 'asIs' } }));
  if (typeof declared === 'string') {
    if (!(PRESET_NAMES as readonly string[]).includes(declared)) {
      throw new ConfigError([{ path: 'objectives', value: declared, expected: `a preset (${PRESET_NAMES.join(', ')}) or an array of definitions` }]);
    }
    return presetObjectives(declared as PresetName);
  }
  return parseObjectives(declared, 'config objectives');
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
