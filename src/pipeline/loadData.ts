/**
 * The data stage of `cosrank run`: read (several files per split concatenated) or generate the data,
 * split it by query, declare the objectives (quantile cut points fitted on the training split and frozen
 * for validation and test), and cache the prepared splits as Arrow files under `<out>/cache/data-<key>/`.
 *
 * The stage key hashes the generator options or the sha256 of every input file's bytes, the reader
 * options, the split and the objective declarations: editing a data file invalidates the cache, moving
 * the output folder does not.
 */
import * as path from 'node:path';
import { queryCount, type RankingDataset } from '../data/dataset';
import { alignFeatures } from '../data/concat';
import type { DataFormat, ReadOptions } from '../data/read';
import { readArrow, writeArrow } from '../data/arrow';
import { generateSynthetic } from '../data/generate';
import { splitByQuery } from '../data/split';
import { applyObjectives, type ObjectiveDef, type ResolvedObjective } from '../data/objectives';
import { objectiveDefsOf } from '../data/presets';
import type { CsvReadOptions } from '../data/csv';
import type { LetorReadOptions } from '../data/letor';
import { DataError } from '../util/errors';
import { noProgress, type ProgressCallback } from '../util/progress';
import { fileSha256, readStageRecord, resetStageDir, stageDir, stageKey, writeStageRecord, type StageRecord } from './cache';
import { readDatasets } from './datasets';
import { DEFAULT_GENERATE, generatorOptions, type RunConfig } from './runConfig';

export type SplitName = 'train' | 'validation' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'validation', 'test'];

/** The three splits with the objectives applied (labels = objectives, main first; features = model input). */
export interface PreparedData {
  train: RankingDataset;
  validation: RankingDataset;
  test: RankingDataset;
  objectives: ResolvedObjective[];
  /** Feature count and names before objectives dropped any. */
  rawFeatureCount: number;
  rawFeatureNames: string[];
  /** One line saying where the data came from. */
  source: string;
  /** The config gave no test files: the validation files double as the test split. */
  testIsValidation: boolean;
}

/** The outcome of the data stage: the data and whether they came from the cache. */
export interface DataStage {
  data: PreparedData;
  key: string;
  dir: string;
  record: StageRecord;
  reused: boolean;
}

function readOptions(config: RunConfig, onProgress: ProgressCallback): ReadOptions {
  return {
    ...(config.data.format ? { format: config.data.format as DataFormat } : {}),
    csv: config.data.csv as CsvReadOptions,
    letor: config.data.letor as LetorReadOptions,
    onProgress,
  };
}

function readFiles(files: string[], config: RunConfig, onProgress: ProgressCallback): Promise<RankingDataset> {
  return readDatasets(files, readOptions(config, onProgress));
}

/** The raw (objective-less) splits the config describes. */
async function rawSplits(config: RunConfig, onProgress: ProgressCallback): Promise<{ splits: Record<SplitName, RankingDataset>; source: string; testIsValidation: boolean }> {
  const d = config.data;
  const splitSeed = d.split.seed ?? config.seed;
  if (d.train !== null && d.validation !== null) {
    const train = await readFiles(d.train, config, onProgress);
    const validation = await readFiles(d.validation, config, onProgress);
    // the same files for validation and test (LETOR folds without a held-out part) are read once
    const testIsValidation = d.test === null || d.test.join('\u0000') === d.validation.join('\u0000');
    const test = testIsValidation ? validation : await readFiles(d.test as string[], config, onProgress);
    const [a, b, c] = alignFeatures([train, validation, test], [d.train.join(' + '), d.validation.join(' + '), (d.test ?? d.validation).join(' + ')]);
    const names = (fs: string[] | null) => (fs ?? []).map((f) => path.basename(f)).join(' + ');
    return {
      splits: { train: a, validation: b, test: c },
      source: `files: train ${names(d.train)}; validation ${names(d.validation)}; test ${testIsValidation ? `${names(d.validation)} (the validation files)` : names(d.test)}`,
      testIsValidation,
    };
  }
  let whole: RankingDataset;
  let source: string;
  if (d.file !== null) {
    whole = await readFiles(d.file, config, onProgress);
    source = `${d.file.map((f) => path.basename(f)).join(' + ')}, split by query`;
  } else {
    const g = d.generate ?? DEFAULT_GENERATE;
    const opts = generatorOptions(g, config.seed);
    onProgress({ stage: 'data', done: 0, message: `generating ${opts.queries} MSLR-shaped queries (seed ${opts.seed})` });
    whole = generateSynthetic(opts);
    source = `generated (MSLR-shaped, ${opts.queries} queries, ${opts.nFeatures} features, seed ${opts.seed}), split by query`;
  }
  const s = splitByQuery(whole, { ratios: d.split.ratios, seed: splitSeed });
  return { splits: s, source: `${source} ${d.split.ratios.join('/')} (seed ${splitSeed})`, testIsValidation: false };
}

/** Applies the objectives: fitted on train, frozen (cut points) for validation and test. */
export function declareObjectives(splits: Record<SplitName, RankingDataset>, defs: ObjectiveDef[]): Omit<PreparedData, 'source' | 'testIsValidation'> {
  const raw = splits.train;
  const train = applyObjectives(raw, defs);
  const frozen = { resolved: train.objectives };
  const validation = applyObjectives(splits.validation, defs, frozen).dataset;
  const test = splits.test === splits.validation ? validation : applyObjectives(splits.test, defs, frozen).dataset;
  return {
    train: train.dataset,
    validation,
    test,
    objectives: train.objectives,
    rawFeatureCount: raw.nFeatures,
    rawFeatureNames: [...raw.featureNames],
  };
}

/** The content key of the data stage (see the module comment). */
export async function dataStageKey(config: RunConfig): Promise<string> {
  const d = config.data;
  const hashes = async (files: string[] | null) => (files ? Promise.all(files.map(fileSha256)) : null);
  const source =
    d.train !== null
      ? { train: await hashes(d.train), validation: await hashes(d.validation), test: await hashes(d.test) }
      : d.file !== null
        ? { file: await hashes(d.file), split: d.split, splitSeed: d.split.seed ?? config.seed }
        : { generate: generatorOptions(d.generate ?? DEFAULT_GENERATE, config.seed), split: d.split, splitSeed: d.split.seed ?? config.seed };
  // null declares the label columns as they are: the hashed source already fixes them
  const objectives = config.objectives === null ? null : objectiveDefsOf(config.objectives, []);
  return stageKey({ stage: 'data', version: 1, source, format: d.format, csv: d.csv, letor: d.letor, objectives });
}

/**
 * Runs (or reuses) the data stage. Cached artefacts: `train.arrow`, `validation.arrow`, `test.arrow`
 * (objectives applied; the resolved objectives travel in their metadata) and the record.
 */
export async function prepareData(config: RunConfig, cacheRoot: string, onProgress: ProgressCallback = noProgress): Promise<DataStage> {
  const key = await dataStageKey(config);
  const dir = stageDir(cacheRoot, 'data', key);
  const cached = await readStageRecord(dir, key);
  if (cached) {
    const [train, validation, test] = await Promise.all(SPLITS.map((s) => readArrow(path.join(dir, `${s}.arrow`))));
    const info = cached.details as unknown as Omit<PreparedData, 'train' | 'validation' | 'test'>;
    return { data: { train, validation, test, ...info }, key, dir, record: cached, reused: true };
  }
  const started = Date.now();
  const { splits, source, testIsValidation } = await rawSplits(config, onProgress);
  for (const s of SPLITS) {
    if (queryCount(splits[s]) === 0) throw new DataError(source, null, `the ${s} split has no queries`);
  }
  const prepared = declareObjectives(splits, objectiveDefsOf(config.objectives, splits.train.labelNames));
  const data: PreparedData = { ...prepared, source, testIsValidation };
  await resetStageDir(dir);
  for (const s of SPLITS) await writeArrow(data[s], path.join(dir, `${s}.arrow`));
  const { train: _t, validation: _v, test: _s, ...details } = data;
  const record: StageRecord = {
    stage: 'data',
    key,
    createdAt: new Date().toISOString(),
    seconds: (Date.now() - started) / 1000,
    details: details as unknown as Record<string, unknown>,
  };
  await writeStageRecord(dir, record);
  return { data, key, dir, record, reused: false };
}
