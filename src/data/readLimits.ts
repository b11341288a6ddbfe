/**
 * Limits and policies every dataset reader applies the same way (LETOR, CSV, Arrow, Parquet):
 *
 * - `maxFeatures`: the largest feature count a reader accepts (default `DEFAULT_MAX_FEATURES` =
 *   100,000, far above the 136–700 features of public LTR datasets). A file that asks for more — one
 *   stray index such as `1000000000:1` in LETOR text — is refused at its file:line before any memory
 *   is allocated for it; raise the limit with `maxFeatures` / `--max-features`.
 * - `nonFinite`: NaN and ±Infinity in features and labels, checked *after* conversion to float32 (so a
 *   decimal beyond float32's range such as `1e39` or `3.4028236e38`, which becomes Infinity, counts as
 *   non-finite): `error` (default) refuses them naming file:line and column, `keep` keeps them.
 */

import { DataError } from '../util/errors';

export const DEFAULT_MAX_FEATURES = 100_000;

/** Upper bound of the dense float32 matrix a reader allocates (elements): 2^31, i.e. 8 GiB. */
export const MAX_MATRIX_ELEMENTS = 2 ** 31;

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

