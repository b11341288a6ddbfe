/**
 * `cosrank/data`: ranking datasets — the in-memory layout, readers and writers (LETOR, Arrow, CSV,
 * Parquet), objectives and presets, query splits, the synthetic generator, summaries. Arrow, Parquet,
 * CSV and the generator load their libraries on the first call.
 */
import type * as Arrow from '../data/arrow';
import type * as Csv from '../data/csv';
import type * as Parquet from '../data/parquet';
import type * as Generate from '../data/generate';
import { lazy } from './lazy';

export * from '../data/dataset';
export { readDataset, writeDataset, formatFromPath, DATA_FORMATS, type DataFormat, type ReadOptions } from '../data/read';
export { readLetor, writeLetor, type LetorReadOptions, type LetorWriteOptions } from '../data/letor';
export type { ArrowReadOptions } from '../data/arrow';
export type { CsvReadOptions, CsvColumn } from '../data/csv';
export type { ParquetReadOptions } from '../data/parquet';
export type { GeneratorOptions, SyntheticObjective, GenerateSummary } from '../data/generate';
export { inspectDataset, formatSummary, type DatasetSummary, type LabelSummary, type FeatureSummary } from '../data/inspect';
export {
  parseObjectives,
  applyObjectives,
  objectiveInputMapping,
  gradeValue,
  type ObjectiveDef,
  type ObjectiveSource,
  type Grading,
  type ResolvedObjective,
} from '../data/objectives';
export { presetObjectives, objectiveDefsOf, PRESET_NAMES, type PresetName } from '../data/presets';
export { splitByQuery, type SplitOptions, type QuerySplits } from '../data/split';
export { concatDatasets } from '../data/concat';

const arrow = lazy(() => require('../data/arrow') as typeof Arrow);
const csv = lazy(() => require('../data/csv') as typeof Csv);
const parquet = lazy(() => require('../data/parquet') as typeof Parquet);
const generate = lazy(() => require('../data/generate') as typeof Generate);

/** Reads a cosrank Arrow IPC file (see `data/arrow.ts`). */
export const readArrow: typeof Arrow.readArrow = (...args) => arrow().readArrow(...args);
/** Writes a dataset as a cosrank Arrow IPC file, atomically. */
export const writeArrow: typeof Arrow.writeArrow = (...args) => arrow().writeArrow(...args);
/** Reads a CSV file with one row per document (see `data/csv.ts`). */
export const readCsv: typeof Csv.readCsv = (...args) => csv().readCsv(...args);
/** Reads a Parquet file with the Arrow layout. */
export const readParquet: typeof Parquet.readParquet = (...args) => parquet().readParquet(...args);
/** Writes a dataset as Parquet, atomically. */
export const writeParquet: typeof Parquet.writeParquet = (...args) => parquet().writeParquet(...args);
/** A seeded synthetic multi-objective dataset in memory. */
export const generateSynthetic: typeof Generate.generateSynthetic = (...args) => generate().generateSynthetic(...args);
/** A seeded synthetic dataset streamed to an Arrow file. */
export const generateToArrow: typeof Generate.generateToArrow = (...args) => generate().generateToArrow(...args);
