/**
 * The one reader entry point (STYLE.md §13): picks the format reader by option or file extension.
 *
 *   .arrow .feather .ipc .arrows  → Arrow IPC (file or stream)
 *   .parquet                       → Parquet
 *   .csv .tsv                      → CSV
 *   anything else (.txt .svm .libsvm, none) → LETOR / SVMlight text
 *
 * Readers load lazily so that reading an Arrow file never loads the LETOR parser and vice versa.
 */
import * as nodePath from 'node:path';
import type { RankingDataset } from './dataset';
import type { ArrowReadOptions } from './arrow';
import type { CsvReadOptions } from './csv';
import type { LetorReadOptions } from './letor';
import { requireInputFile } from '../util/inputFile';
import type { ProgressCallback } from '../util/progress';

export type DataFormat = 'letor' | 'csv' | 'arrow' | 'parquet';
export const DATA_FORMATS: readonly DataFormat[] = ['letor', 'csv', 'arrow', 'parquet'];

export interface ReadOptions {
  /** Input format; default from the extension (see the module comment). */
  format?: DataFormat;
  letor?: LetorReadOptions;
  csv?: CsvReadOptions;
  /** Column options for Arrow and Parquet files. */
  arrow?: ArrowReadOptions;
  /** Progress of whichever reader runs (a format's own `onProgress` wins). */
  onProgress?: ProgressCallback;
  /** Read labels as relevance grades, refusing a negative one at its line or row (evaluation; see `grades.ts`). */
  grades?: boolean;
}

/** The format a path is read or written as when none is given. */
export function formatFromPath(path: string): DataFormat {
  switch (nodePath.extname(path).toLowerCase()) {
    case '.arrow':
    case '.arrows':
    case '.feather':
    case '.ipc':
      return 'arrow';
    case '.parquet':
      return 'parquet';
    case '.csv':
    case '.tsv':
      return 'csv';
    default:
      return 'letor';
  }
}

/** Reads a dataset in any supported format. */
export async function readDataset(path: string, options: ReadOptions = {}): Promise<RankingDataset> {
  const format = options.format ?? formatFromPath(path);
  await requireInputFile(path, `a data file (format ${format})`);
  const common = { onProgress: options.onProgress, grades: options.grades };
  switch (format) {
    case 'arrow':
      return (await import('./arrow')).readArrow(path, { ...common, ...options.arrow });
    case 'parquet':
      return (await import('./parquet')).readParquet(path, { ...common, ...options.arrow });
    case 'csv':
      return (await import('./csv')).readCsv(path, { ...common, ...options.csv });
    case 'letor':
      return (await import('./letor')).readLetor(path, { ...common, ...options.letor });
  }
}

/**
 * Writes a dataset; the format follows the extension: Arrow (canonical layout) for .arrow/.feather/.ipc,
 * Parquet (same layout) for .parquet, LETOR text (main label only) otherwise. CSV output is not supported.
 */
export async function writeDataset(ds: RankingDataset, path: string, options: { onProgress?: ProgressCallback } = {}): Promise<void> {
  switch (formatFromPath(path)) {
    case 'arrow':
      return (await import('./arrow')).writeArrow(ds, path, options);
    case 'parquet':
      return (await import('./parquet')).writeParquet(ds, path, options);
    case 'csv':
      throw new Error(`writing CSV is not supported (${path}); write .arrow, .parquet or LETOR text instead`);
    case 'letor':
      return (await import('./letor')).writeLetor(ds, path);
  }
}
