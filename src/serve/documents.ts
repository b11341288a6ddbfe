/**
 * Candidate documents into a feature matrix: the general path, for documents already parsed into JS
 * values (the runtime API, and HTTP bodies the fast JSON scanner does not take). Every value is
 * validated; error fields point into the request and are built only for an error (this is the hot path).
 *
 * The per-row pieces (`copyRow`, `base64Length`) and the messages are shared with the JSON scanner
 * (jsonScanner.ts), so both paths refuse the same input with the same words; the scanner
 * decodes base64 from the body's bytes (`decodeBase64Bytes`, strict) and leaves anything else to
 * `readBase64Row` here (Node's decoder).
 */
import { filledArray, freshArrays, type FloatArrays } from './bufferPool';
import { RequestError, shown } from './tradeoff';

/**
 * A candidate document: an id and its raw features, given as
 * - a dense array of all `rawFeatureCount` values,
 * - a sparse map `{"134": 5}` (LETOR numbering, 1-based, canonical decimal integers; missing = 0), or
 * - a base64 string of the dense values as little-endian float32 (`rawFeatureCount × 4` bytes): the
 *   compact form for large candidate lists (2.5× smaller than JSON numbers and much cheaper to parse).
 */
export interface CandidateDocument {
  /** A string, or an integer within ±(2^53 − 1). */
  id: string | number;
  features: number[] | Record<string, number> | string;
}

/** Where raw features go: raw feature i (0-based) → column `column[i]` of a `width`-wide row, −1 = dropped. */
export interface FeatureLayout {
  rawFeatureCount: number;
  column: Int32Array;
  width: number;
  /** `column` as runs of kept raw features in consecutive columns: (raw start, column start, length) triples. */
  runs: Int32Array;
}

/** The layout of a model's input: `inputFeatures[col]` = raw feature read by column col. */
export function inputLayout(rawFeatureCount: number, inputFeatures: Int32Array): FeatureLayout {
  const column = new Int32Array(rawFeatureCount).fill(-1);
  inputFeatures.forEach((raw, col) => (column[raw] = col));
  return { rawFeatureCount, column, width: inputFeatures.length, runs: columnRuns(column) };
}

/** Every raw feature in its own column (the dense raw matrix). */
export function identityLayout(rawFeatureCount: number): FeatureLayout {
  const column = Int32Array.from({ length: rawFeatureCount }, (_, i) => i);
  return { rawFeatureCount, column, width: rawFeatureCount, runs: columnRuns(column) };
}

/** The maximal runs of `column` (see `FeatureLayout.runs`). */
function columnRuns(column: Int32Array): Int32Array {
  const runs: number[] = [];
  for (let i = 0; i < column.length; ) {
    if (column[i] < 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < column.length && column[j] === column[j - 1] + 1) j++;
    runs.push(i, column[i], j - i);
    i = j;
  }
  return Int32Array.from(runs);
}

/**
 * Index of the first value of `values[start, end)` that is ±∞ or NaN, −1 when every one is finite. Four
 * running sums of v·0 (±0 while every v is finite, NaN after any other) keep the common all-finite case to
 * one pass with independent additions; only a row that fails is searched again.
 */
function firstNonFinite(values: Float32Array, start: number, end: number): number {
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    a += values[i] * 0;
    b += values[i + 1] * 0;
    c += values[i + 2] * 0;
    d += values[i + 3] * 0;
  }
  for (; i < end; i++) a += values[i] * 0;
  if (a + b + c + d === 0) return -1;
  for (i = start; i < end; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** Writes the raw row `values[from, from + rawFeatureCount)` to the kept columns of row `row` of `out` (`layout.runs`). */
function copyKept(values: Float32Array, from: number, out: Float32Array, row: number, runs: Int32Array): void {
  for (let k = 0; k < runs.length; k += 3) {
    const s = from + runs[k];
    const c = row + runs[k + 1];
    const length = runs[k + 2];
    // a long run is one memory copy; a short one is cheaper element by element than a subarray view
    if (length >= 32) out.set(values.subarray(s, s + length), c);
    else for (let i = 0; i < length; i++) out[c + i] = values[s + i];
  }
}

/** Message of a value that is not finite in float32, as the engines read it (1e39 would become ∞). */
export function notFinite(field: string, v: unknown): RequestError {
  return new RequestError(field, `expected a finite number (in float32 range), got ${shown(v)}`);
}

/** Message of a sparse map with more keys than the model has features (checked before reading them). */
export function tooManyKeys(field: string, nF: number): RequestError {
  return new RequestError(field, `a sparse map holds at most ${nF} features (one per index), got more`);
}

/** Message of a duplicate document id. */
export function duplicateId(field: string, id: string | number): RequestError {
  return new RequestError(field, `duplicate document id ${shown(id)} (ids name documents in the response, so each must be unique)`);
}

/**
 * The 0-based raw feature of a sparse key: a canonical decimal integer (no sign, leading zero, space,
 * fraction, exponent or other base) in 1..nF; anything else is refused rather than read as another feature.
 */
export function sparseIndex(key: string, nF: number, where: () => string): number {
  const index = /^[1-9][0-9]{0,9}$/.test(key) ? Number(key) : NaN;
  if (!(index >= 1 && index <= nF)) {
    throw new RequestError(`${where()}.${key}`, `feature index must be a decimal integer in 1..${nF} without leading zeros (LETOR numbering)`);
  }
  return index - 1;
}

const LITTLE_ENDIAN = new Uint8Array(Float32Array.of(1).buffer)[3] === 0x3f;

/** Characters of the base64 form of `nF` float32 values. */
export function base64Length(nF: number): number {
  return 4 * Math.ceil((nF * 4) / 3);
}

/**
 * Decodes a base64 float32 row into `scratch` (length nF) and writes it to row `row` of `out` through
 * `layout`, validating every value.
 */
export function readBase64Row(s: string, scratch: Float32Array, out: Float32Array, row: number, layout: FeatureLayout, where: () => string): void {
  const nF = layout.rawFeatureCount;
  const b64 = base64Length(nF);
  // Node's decoder skips characters outside the alphabet, so a short write also catches a malformed string;
  // the write stops at nF × 4 bytes, so a string of the right length but too little padding (1–2 bytes
  // more) is caught by the length its padding implies (Buffer.byteLength, O(1) for base64)
  const written = s.length === b64 ? (LITTLE_ENDIAN ? Buffer.from(scratch.buffer, scratch.byteOffset, nF * 4).write(s, 0, nF * 4, 'base64') : decodeSwapped(s, scratch)) : -1;
  const decoded = written === nF * 4 ? Buffer.byteLength(s, 'base64') : written;
  if (decoded !== nF * 4) {
    const got = s.length !== b64 ? `${s.length} characters` : decoded > nF * 4 ? `${decoded} bytes` : 'characters outside the base64 alphabet or misplaced padding';
    throw new RequestError(where(), `expected ${nF} little-endian float32 values as base64 (${nF * 4} bytes, ${b64} characters), got ${got}`);
  }
  copyRow(scratch, 0, out, row, layout, where);
}

/**
 * Validates a row of float32 values, `values[from, from + rawFeatureCount)` (every value finite), and
 * writes it to row `row` of `out` through `layout`; a bad value is named `${where()}[i]`.
 */
export function copyRow(values: Float32Array, from: number, out: Float32Array, row: number, layout: FeatureLayout, where: () => string): void {
  const bad = firstNonFinite(values, from, from + layout.rawFeatureCount);
  if (bad >= 0) throw notFinite(`${where()}[${bad - from}]`, values[bad]);
  copyKept(values, from, out, row, layout.runs);
}

/** Value of each base64 character (both alphabets, as Node's decoder accepts), −1 for any other byte. */
const BASE64_VALUES = (() => {
  const t = new Int8Array(256).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < 64; i++) t[alphabet.charCodeAt(i)] = i;
  t[0x2d] = 62; // '-'
  t[0x5f] = 63; // '_'
  return t;
})();

/**
 * Decodes the base64 text `bytes[start, start + length)` (length a multiple of 4, `=` padding only at
 * the end, either alphabet) into `out`, exactly `out.length` bytes; false for anything else — the caller
 * then takes the general path, whose decoder and messages decide. On little-endian machines only.
 */
export function decodeBase64Bytes(bytes: Buffer, start: number, length: number, out: Buffer): boolean {
  if (!LITTLE_ENDIAN || length % 4 !== 0 || Math.ceil(out.length / 3) * 4 !== length) return false;
  // what encoders write (Buffer#toString, Python's b64encode): Node's native decoder, about twice as fast
  // as the loop below. Trusted when the padding is exactly where it belongs and the decoder wrote every
  // byte: it skips a character outside the alphabet (or stops at an early '='), and with the text's length
  // fixed one character fewer always leaves the last byte short, so a full write means every character was
  // in the alphabet and decoded as the loop would (checked in bodies.test.ts against a strict decoder)
  const end = start + length;
  const pad = length - Math.ceil((out.length * 4) / 3);
  if ((pad === 0 || bytes[end - 1] === 0x3d) && (pad < 2 || bytes[end - 2] === 0x3d)) {
    if (out.write(bytes.toString('latin1', start, end), 0, out.length, 'base64') === out.length) return true;
  }
  return decodeBase64Loop(bytes, start, out);
}

/** `decodeBase64Bytes` for any text of the right length, one 4-character group at a time. */
function decodeBase64Loop(bytes: Uint8Array, start: number, out: Uint8Array): boolean {
  const t = BASE64_VALUES;
  const full = Math.floor(out.length / 3);
  let p = start;
  let o = 0;
  for (let g = 0; g < full; g++, p += 4) {
    const a = t[bytes[p]], b = t[bytes[p + 1]], c = t[bytes[p + 2]], d = t[bytes[p + 3]];
    if ((a | b | c | d) < 0) return false;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  const rest = out.length - o; // 0, 1 or 2 bytes in a last group padded with '=='  or '='
  if (rest === 0) return true;
  const a = t[bytes[p]], b = t[bytes[p + 1]], c = rest === 2 ? t[bytes[p + 2]] : 0;
  if ((a | b | c) < 0 || bytes[p + 3] !== 0x3d || (rest === 1 && bytes[p + 2] !== 0x3d)) return false;
  out[o++] = (a << 2) | (b >> 4);
  if (rest === 2) out[o] = ((b & 0x0f) << 4) | (c >> 2);
  return true;
}

/** Base64 little-endian float32 into `out` on a big-endian machine; returns the bytes decoded. */
function decodeSwapped(s: string, out: Float32Array): number {
  const buf = Buffer.from(s, 'base64');
  if (buf.length !== out.length * 4) return buf.length;
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(4 * i);
  return buf.length;
}

function readDenseRow(f: unknown[], out: Float32Array, row: number, layout: FeatureLayout, where: () => string): void {
  const nF = layout.rawFeatureCount;
  if (f.length !== nF) throw new RequestError(where(), `expected ${nF} features, got ${f.length}`);
  const column = layout.column;
  for (let i = 0; i < nF; i++) {
    const v = f[i];
    if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) throw notFinite(`${where()}[${i}]`, v);
    const c = column[i];
    if (c >= 0) out[row + c] = v;
  }
}

function readSparseRow(f: Record<string, unknown>, out: Float32Array, row: number, layout: FeatureLayout, where: () => string): void {
  const nF = layout.rawFeatureCount;
  // keys are counted before they are read: work per document stays bounded by the feature count
  const keys = Object.keys(f);
  if (keys.length > nF) throw tooManyKeys(where(), nF);
  for (const key of keys) {
    const i = sparseIndex(key, nF, where);
    const v = f[key];
    if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) throw notFinite(`${where()}.${key}`, v);
    const c = layout.column[i];
    if (c >= 0) out[row + c] = v;
  }
}

/** Checks a document's id: a string, or a numeric id (`numericId`). */
export function checkId(id: unknown, where: () => string): string | number {
  if (id === undefined) throw new RequestError(`${where()}.id`, 'is required');
  if (typeof id === 'string') return id;
  if (typeof id === 'number') return numericId(id, `${where()}.id`);
  throw new RequestError(`${where()}.id`, `expected a string or an integer, got ${shown(id)}`);
}

/**
 * A numeric document id (JSON number, Arrow integer or float): an integer within ±(2^53 − 1), which a
 * double holds exactly; any other would be answered rounded, as another id.
 */
export function numericId(id: number | bigint, field: string): number {
  const v = Number(id);
  if (Number.isSafeInteger(v)) return v;
  throw new RequestError(field, `numeric ids must be integers within ±(2^53 − 1), got ${String(id)}; send ids as strings`);
}

/**
 * Reads every document (id and features, nothing else) into row d of a `[docs × layout.width]` matrix,
 * validating every value of every form; ids must be unique. Returns the matrix (taken from `arrays`) and the ids.
 */
export function readDocuments(
  docs: unknown,
  layout: FeatureLayout,
  maxDocuments = Infinity,
  field = 'documents',
  maxValues = DEFAULT_MAX_VALUES,
  arrays: FloatArrays = freshArrays,
): { input: Float32Array; ids: (string | number)[] } {
  if (!Array.isArray(docs) || docs.length === 0) throw new RequestError(field, 'expected a non-empty array of documents');
  if (docs.length > maxDocuments) throw tooManyDocuments(field, maxDocuments);
  if (docs.length * layout.rawFeatureCount > maxValues) throw tooManyValues(field, maxValues, layout.rawFeatureCount);
  const width = layout.width;
  return filledArray(arrays, docs.length * width, (out) => {
    const scratch = new Float32Array(layout.rawFeatureCount);
    const ids: (string | number)[] = new Array(docs.length);
    const seen = new Set<string | number>();
    for (let d = 0; d < docs.length; d++) {
      const doc: unknown = docs[d];
      const at = () => `${field}[${d}]`;
      if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new RequestError(at(), 'expected an object {id, features}');
      for (const key of Object.keys(doc)) if (key !== 'id' && key !== 'features') throw new RequestError(`${at()}.${key}`, 'unknown field');
      const { id, features: f } = doc as { id?: unknown; features?: unknown };
      ids[d] = checkId(id, at);
      if (seen.has(ids[d])) throw duplicateId(`${at()}.id`, ids[d]);
      seen.add(ids[d]);
      const where = () => `${at()}.features`;
      if (f === undefined) throw new RequestError(where(), 'is required');
      if (Array.isArray(f)) readDenseRow(f, out, d * width, layout, where);
      else if (typeof f === 'string') readBase64Row(f, scratch, out, d * width, layout, where);
      else if (f !== null && typeof f === 'object') readSparseRow(f as Record<string, unknown>, out, d * width, layout, where);
      else throw new RequestError(where(), 'expected an array of numbers, an object {index: value} or a base64 string of float32 values');
    }
    return { input: out, ids };
  });
}

/** Default bound on documents × raw features of one request (64 MiB of float32). */
export const DEFAULT_MAX_VALUES = 1 << 24;

/** Message of a request whose documents × raw features exceed the bound (checked before the matrix is allocated). */
export function tooManyValues(field: string, maxValues: number, nF: number): RequestError {
  return new RequestError(field, `documents × features over the limit of ${maxValues} values (${nF} features per document: at most ${Math.floor(maxValues / nF)} documents)`);
}

/** Message of a list longer than the server accepts (the scanner stops at the first document too many). */
export function tooManyDocuments(field: string, maxDocuments: number): RequestError {
  return new RequestError(field, `more than the limit of ${maxDocuments} documents`);
}
