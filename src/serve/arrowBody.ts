/**
 * Arrow IPC stream request bodies (`application/vnd.apache.arrow.stream`): one table of candidates,
 *
 *   id        Utf8 (plain or dictionary-encoded), or integers / floats holding integers within ±(2^53 − 1)
 *             (required, unique)
 *   features  FixedSizeList<Float32 | Float64>[rawFeatureCount]           (all features of a row), or
 *   "1" … "N" Float32 | Float64 columns, LETOR numbering (any subset; a missing column is 0, as in a
 *             sparse map) — never both forms in one table
 *
 * The stream must be complete: every message whole, the end-of-stream marker, nothing after it.
 *
 * The feature values are read in place from the body's buffers (apache-arrow views them without a
 * copy) into the model-input matrix; no JS value per number. No nulls. The trade-off and `topK` travel
 * as a small JSON object in the `x-cosrank-options` header (same fields and checks as a JSON body).
 */
import { isUtf8 } from 'node:buffer';
import { DataType, tableFromIPC, type Data, type Table, type Vector } from 'apache-arrow';
import { copyRow, DEFAULT_MAX_VALUES, duplicateId, notFinite, numericId, tooManyDocuments, tooManyValues, type FeatureLayout } from './documents';
import { filledArray, freshArrays, type FloatArrays } from './bufferPool';
import { checkStream } from './arrowStream';
import { RequestError } from './tradeoff';

/** What an Arrow body holds: `n` documents' model input and their ids. */
export interface ArrowDocuments {
  n: number;
  input: Float32Array;
  ids: (string | number)[];
}

/** Reads the candidates of an Arrow IPC stream body into the model-input matrix of `layout` (taken from `arrays`). */
export function readArrowDocuments(body: Uint8Array, layout: FeatureLayout, maxDocuments: number, maxValues = DEFAULT_MAX_VALUES, arrays: FloatArrays = freshArrays): ArrowDocuments {
  if (isArrowFile(body)) throw new RequestError('body', `an Arrow IPC file (ARROW1 magic); expected the stream format that application/vnd.apache.arrow.stream names (e.g. tableToIPC(table, 'stream'), pyarrow.ipc.new_stream)`);
  const nF = layout.rawFeatureCount;
  const maxRows = Math.min(maxDocuments, Math.floor(maxValues / nF));
  // refused before apache-arrow reads the body: its reading trusts the counts in the metadata
  checkStream(body, { maxRows, tooMany: (rows) => (rows > maxDocuments ? tooManyDocuments('documents', maxDocuments) : tooManyValues('documents', maxValues, nF)) });
  let table: Table;
  try {
    table = tableFromIPC(body);
  } catch (err) {
    throw new RequestError('body', `not a readable Arrow IPC stream (${err instanceof Error ? err.message : String(err)})`);
  }
  const n = table.numRows;
  if (n === 0) throw new RequestError('documents', 'expected a non-empty table of documents');
  checkOneForm(table.schema.fields.map((f) => f.name));
  return filledArray(arrays, n * layout.width, (input) => {
    let ids: (string | number)[] | null = null;
    let features = false;
    for (const field of table.schema.fields) {
      const column = table.getChild(field.name) as Vector;
      if (column.nullCount > 0) throw new RequestError(`columns.${field.name}`, 'has nulls; every value must be given');
      if (field.name === 'id') ids = readIds(column);
      else if (field.name === 'features') {
        readListColumn(column, layout, input);
        features = true;
      } else readFeatureColumn(field.name, column, layout, input);
    }
    if (ids === null) throw new RequestError('columns.id', 'is required (document ids: strings or numbers)');
    if (!features && table.schema.fields.length === 1) throw new RequestError('columns.features', 'is required (or feature columns "1".."N")');
    return { n, input, ids };
  });
}

/** A `features` column and numbered columns both holding features: one of them would be ignored or overwritten. */
function checkOneForm(names: string[]): void {
  const numbered = names.filter((name) => /^[0-9]+$/.test(name));
  if (!names.includes('features') || numbered.length === 0) return;
  const listed = numbered.slice(0, 5).map((name) => JSON.stringify(name)).join(', ') + (numbered.length > 5 ? `, … (${numbered.length})` : '');
  throw new RequestError('columns.features', `given together with feature columns ${listed}; send either a features column or columns "1".."N", not both`);
}

/** Whether the body is an Arrow IPC file (`ARROW1` magic): its footer points anywhere in it, unchecked; the stream format is what the media type names. */
function isArrowFile(b: Uint8Array): boolean {
  return b.length >= 6 && b[0] === 0x41 && b[1] === 0x52 && b[2] === 0x52 && b[3] === 0x4f && b[4] === 0x57 && b[5] === 0x31;
}

function readIds(column: Vector): (string | number)[] {
  const t = column.type as DataType;
  const v = DataType.isDictionary(t) ? (t.dictionary as DataType) : t; // dictionary-encoded strings are strings
  if (!(DataType.isUtf8(v) || DataType.isLargeUtf8(v) || DataType.isInt(v) || DataType.isFloat(v))) {
    throw new RequestError('columns.id', `expected strings or numbers, got ${String(t)}`);
  }
  if (DataType.isUtf8(v) || DataType.isLargeUtf8(v)) checkOffsets(column, DataType.isDictionary(t));
  const ids: (string | number)[] = new Array(column.length);
  const seen = new Set<string | number>();
  const ascii = asciiIds(column);
  for (let d = 0; d < ids.length; d++) {
    const raw = (ascii !== null ? ascii[d] : column.get(d)) as string | number | bigint;
    const id = typeof raw === 'string' ? raw : numericId(raw, `documents[${d}].id`);
    if (seen.has(id)) throw duplicateId(`documents[${d}].id`, id);
    seen.add(id);
    ids[d] = id;
  }
  return ids;
}

/**
 * Refuses string ids whose offsets do not rise within their values (O(ids)): apache-arrow reads them as
 * given, so a corrupted body could make every id decode up to all the values, and the ASCII reading
 * below would read past them.
 */
function checkOffsets(column: Vector, dictionary: boolean): void {
  // dictionary chunks share their dictionary: each checked once
  const strings = new Set<Data>(dictionary ? column.data.flatMap((chunk) => chunk.dictionary?.data ?? []) : column.data);
  for (const chunk of strings) {
    const offsets = chunk.valueOffsets as ArrayLike<number | bigint> | undefined;
    const first = chunk.offset;
    const last = first + chunk.length;
    let ok = offsets !== undefined && offsets.length > last && offsets[first] >= 0 && offsets[last] <= (chunk.values?.length ?? 0);
    for (let r = first; ok && r < last; r++) ok = offsets![r] <= offsets![r + 1];
    if (!ok) throw new RequestError('columns.id', 'string offsets that do not rise within the string values (a corrupted body?)');
    // apache-arrow's decoder would put U+FFFD in place of bytes that are not UTF-8, as JSON.parse did
    const values = chunk.values as Uint8Array;
    if (!isUtf8(values.subarray(Number(offsets![first]), Number(offsets![last])))) throw new RequestError('columns.id', 'string values that are not valid UTF-8');
  }
}

/**
 * The ids of a plain Utf8 column whose bytes are all ASCII: each chunk's bytes as one string, every id a
 * substring of it (apache-arrow decodes each value on its own, a third of an Arrow request's parse at
 * 1,000 candidates); null for any other column, which takes the general reading.
 */
function asciiIds(column: Vector): string[] | null {
  if (!DataType.isUtf8(column.type as DataType)) return null;
  const ids: string[] = [];
  for (const chunk of column.data) {
    const offsets = chunk.valueOffsets as Int32Array;
    const bytes = chunk.values as Uint8Array;
    if (chunk.offset !== 0 || !offsets || !bytes) return null;
    const end = offsets[chunk.length];
    for (let i = offsets[0]; i < end; i++) if (bytes[i] >= 0x80) return null;
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, end).toString('latin1');
    for (let r = 0; r < chunk.length; r++) ids.push(text.substring(offsets[r], offsets[r + 1]));
  }
  return ids;
}

/** The float values of a Float32/Float64 data chunk, from its first element. */
function floatValues(data: Data, where: string): Float32Array | Float64Array {
  if (!DataType.isFloat(data.type) || data.type.precision === 0) throw new RequestError(where, `expected float32 or float64 values, got ${String(data.type)}`);
  return (data.values as Float32Array | Float64Array).subarray(data.offset);
}

function readListColumn(column: Vector, layout: FeatureLayout, out: Float32Array): void {
  const nF = layout.rawFeatureCount;
  const t = column.type as DataType;
  if (!DataType.isFixedSizeList(t) || t.listSize !== nF) {
    throw new RequestError('columns.features', `expected a fixed-size list of ${nF} float32 values per row, got ${String(t)}`);
  }
  const { column: col, width } = layout;
  let d = 0;
  for (const chunk of column.data) {
    const child = chunk.children[0];
    if (child.nullCount > 0) throw new RequestError('columns.features', 'has null values; every value must be given');
    const values = floatValues(child, 'columns.features').subarray(chunk.offset * nF);
    if (values instanceof Float32Array) {
      // float32 values are in float32 range by type: the same row copy as base64 rows (one closure
      // naming the current document, read only on an error)
      const where = () => `documents[${d}].features`;
      for (let r = 0; r < chunk.length; r++, d++) copyRow(values, r * nF, out, d * width, layout, where);
      continue;
    }
    for (let r = 0; r < chunk.length; r++, d++) {
      const src = r * nF;
      const row = d * width;
      for (let i = 0; i < nF; i++) {
        const v = values[src + i];
        const c = col[i];
        if (!Number.isFinite(Math.fround(v))) throw notFinite(`documents[${d}].features[${i}]`, v);
        if (c >= 0) out[row + c] = v;
      }
    }
  }
}

function readFeatureColumn(name: string, column: Vector, layout: FeatureLayout, out: Float32Array): void {
  const nF = layout.rawFeatureCount;
  const index = /^[1-9][0-9]{0,9}$/.test(name) ? Number(name) : NaN;
  if (!(index >= 1 && index <= nF)) {
    throw new RequestError(`columns.${name}`, `unknown column; expected id, features (fixed-size list of ${nF}) or feature columns "1".."${nF}" (LETOR numbering)`);
  }
  const c = layout.column[index - 1];
  const { width } = layout;
  let d = 0;
  for (const chunk of column.data) {
    const values = floatValues(chunk, `columns.${name}`);
    for (let r = 0; r < chunk.length; r++, d++) {
      const v = values[r];
      if (!Number.isFinite(Math.fround(v))) throw notFinite(`documents[${d}].features.${name}`, v);
      if (c >= 0) out[d * width + c] = v;
    }
  }
}
