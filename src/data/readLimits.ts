/**
 * Limits and policies every dataset reader applies the same way (LETOR, CSV, Arrow, Parquet):
 *
 * - `maxFeatures`: the largest feature count a reader accepts (default `DEFAULT_MAX_FEATURES` =
 *   100,000, far above the 136–700 features of public LTR datasets). A file that asks for more — one
 *   stray index such as `1000000000:1` in LETOR text — is refused at its file:line before any memory
 *   is allocated for it; raise the limit with `maxFeatures` / `--max-features`.
 * - Sparse text read dense (LETOR): rows are stored dense, so one high index in a small file implies a
 *   huge table (5,000 lines with `99999:0.3` → 2 GB). Without an explicit `maxFeatures`, a dense table
 *   over `SPARSE_GUARD_BYTES` and over `SPARSE_GUARD_RATIO`× the feature values the file can hold is
 *   refused at the line of the index that widens it; an explicit `maxFeatures` / `--max-features` states
 *   the width is meant and lifts this guard (the feature limit and `MAX_MATRIX_ELEMENTS` still apply).
 * - `nonFinite`: NaN and ±Infinity in features and labels, checked *after* conversion to float32 (so a
 *   decimal beyond float32's range such as `1e39` or `3.4028236e38`, which becomes Infinity, counts as
 *   non-finite): `error` (default) refuses them naming file:line and column, `keep` keeps them.
 * - Column roles (CSV, Arrow, Parquet): each column is read once, as one of qid, docid, label or feature.
 */

import { DataError } from '../util/errors';

export const DEFAULT_MAX_FEATURES = 100_000;

/** Upper bound of the dense float32 matrix a reader allocates (elements): 2^31, i.e. 8 GiB. */
export const MAX_MATRIX_ELEMENTS = 2 ** 31;

/** Dense tables up to this size (bytes) are read whatever the file's size: 256 MiB. */
export const SPARSE_GUARD_BYTES = 256 * 2 ** 20;

/** Above that, the dense table may hold at most this many elements per feature value the file can hold. */
export const SPARSE_GUARD_RATIO = 64;

/**
 * Largest dense table (float32 elements) a LETOR file of `fileBytes` gets without an explicit maxFeatures.
 * A feature value takes at least 4 bytes of text (`i:v` and a separator), so the file holds at most
 * fileBytes / 4 of them: a bound known before parsing, so no second pass counts them.
 */
export function sparseTableLimit(fileBytes: number): number {
  return Math.max(SPARSE_GUARD_BYTES / 4, SPARSE_GUARD_RATIO * Math.ceil(fileBytes / 4));
}

/**
 * Why the dense table of a LETOR file may not take `rows × width` (null: it may), `index` being the
 * feature index that asks for the width: over `sparseLimit` (`sparseTableLimit`, or Infinity with an
 * explicit maxFeatures) or over `MAX_MATRIX_ELEMENTS`.
 */
export function denseTableProblem(index: number, rows: number, width: number, sparseLimit: number, fileBytes: number): string | null {
  if (rows * width > sparseLimit) return sparseTableMessage(index, rows, width, fileBytes);
  if (rows * width <= MAX_MATRIX_ELEMENTS) return null;
  return (
    `feature index ${index} makes the dense matrix ${rows} rows × ${width} features, ` +
    `over the ${MAX_MATRIX_ELEMENTS} float32 values (${(MAX_MATRIX_ELEMENTS * 4) / 2 ** 30} GiB) a reader allocates`
  );
}

/** The message for a dense table over `sparseTableLimit`: its size, the file's, and the way to proceed. */
export function sparseTableMessage(index: number, rows: number, width: number, fileBytes: number): string {
  const gb = ((rows * width * 4) / 1e9).toFixed(1);
  const values = Math.ceil(fileBytes / 4).toLocaleString('en-US');
  return (
    `feature index ${index} makes the dense table ${rows} rows × ${width} features (${gb} GB of float32), over ` +
    `${SPARSE_GUARD_RATIO}× the at most ${values} feature values this ${fileBytes}-byte file can hold: rows are stored dense, and the data look sparse. ` +
    `If that width is meant, pass --max-features ${width} (maxFeatures) to read it anyway`
  );
}

export type NonFinitePolicy = 'error' | 'keep';

/** Checks a `maxFeatures` option: a positive integer (`where` names the option in the message). */
export function resolveMaxFeatures(value: number | undefined, where: string): number {
  if (value === undefined) return DEFAULT_MAX_FEATURES;
  if (!(Number.isInteger(value) && value >= 1)) throw new RangeError(`${where} must be a positive integer, got ${value}`);
  return value;
}

/** The message for a feature count above the limit. */
export function tooManyFeaturesMessage(what: string, maxFeatures: number): string {
  return `${what} exceeds the feature limit of ${maxFeatures} (maxFeatures; raise it with --max-features N if the data really has that many features)`;
}

/** The message for a value that is NaN or ±Infinity as float32 (`text` is the source text when known). */
export function nonFiniteMessage(what: string, value: number, text?: string): string {
  const f = Math.fround(value);
  // a finite decimal that overflows float32 is shown as written, with what it became
  const shown = text !== undefined && Number.isFinite(value) ? `${text} (${f} as float32)` : String(f);
  return `${what} is ${shown}; non-finite values are refused (nonFinite: 'keep' / --non-finite keep allows them)`;
}

/** Whether `v` stays finite once stored as float32. */
export function finite32(v: number): boolean {
  return Number.isFinite(Math.fround(v));
}

/**
 * The float32 values (row-major, `width` per row) must be finite: the first NaN or ±Infinity is a
 * DataError at its row naming the column. Runs on the stored float32 values, so a float64 beyond
 * float32's range (which became Infinity) is caught too.
 */
export function rejectNonFinite(values: Float32Array, width: number, file: string, column: (j: number) => string): void {
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    if (v - v !== 0) {
      const j = width > 0 ? k % width : 0;
      throw new DataError(file, `row ${width > 0 ? Math.floor(k / width) : k}`, nonFiniteMessage(`${column(j)} (as float32)`, v));
    }
  }
}


/** Columns one option selected (qid, docid, labels, features): the option, its CLI flag, and the noun of one column. */
export interface ColumnRole<C> {
  option: string;
  flag: string;
  noun: string;
  columns: C[];
}

/**
 * Why the roles share a column (null: they do not): a column selected twice, or by two options (a label
 * also read as a feature), would be counted twice or leak the label into the model input.
 */
export function columnRolesProblem<C>(roles: ColumnRole<C>[], name: (column: C) => string): string | null {
  const owner = new Map<C, ColumnRole<C>>();
  for (const role of roles) {
    for (const c of role.columns) {
      const earlier = owner.get(c);
      const which = `${role.option} (${role.flag}) selects column ${JSON.stringify(name(c))}`;
      if (earlier === role) return `${which} twice; select each column once`;
      if (earlier !== undefined) return `${which}, which is the ${earlier.noun} column (${earlier.option} / ${earlier.flag}); a column has one role`;
      owner.set(c, role);
    }
  }
  return null;
}
