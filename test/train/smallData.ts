/** Small generated datasets and a fast config for the trainer tests. */
import type { RankingDataset } from '../../src/data/dataset';
import { generateSynthetic } from '../../src/data/generate';
import { parseTrainConfig, type TrainConfig } from '../../src/train/config';

/**
 * Relevance + two auxiliary objectives (freshness, conflicting with relevance; clicks, agreeing): the
 * generator's default objectives without `quality`, so the validation sweep has the 11 points of m = 2.
 */
export function smallData(queries: number, seed: number): RankingDataset {
  // labelNoise 0: the trainer tests need an easily learnt signal (the library default is MSLR-hard)
  const ds = generateSynthetic({ queries, seed, nFeatures: 16, meanListLength: 16, maxListLength: 40, labelNoise: 0 });
  return { ...ds, labelNames: ds.labelNames.slice(0, 3), labels: ds.labels.slice(0, 3) };
}

/** A small, quick config; `patch` is merged before parsing. */
export function smallConfig(patch: Record<string, unknown> = {}): TrainConfig {
  const base = {
    seed: 11,
    model: { hidden: [16] },
    base: { maxSteps: 40, listsPerBatch: 8, validateEvery: 10, patience: 0, optimizer: { learningRate: 0.01 } },
    cos: { maxSteps: 40, listsPerBatch: 8, validateEvery: 10, patience: 0, net: { hidden: [16] }, optimizer: { learningRate: 0.01 } },
  };
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    const cur = merged[k];
    merged[k] = cur && typeof cur === 'object' && v && typeof v === 'object' && !Array.isArray(v) ? { ...cur, ...v } : v;
  }
  return parseTrainConfig(merged, 'test config');
}
