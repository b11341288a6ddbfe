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
import { DataType, tableFromIPC, type Data, type Table, type Vector } from 'apache-arrow';
import { copyRow, DEFAULT_MAX_VALUES, duplicateId, notFinite, numericId, tooManyDocuments, tooManyValues, type FeatureLayout } from './documents';
import { filledArray, freshArrays, type FloatArrays } from './bufferPool';
import { RequestError } from './tradeoff';

/** What an Arrow body holds: `n` documents' model input and their ids. */
export interface ArrowDocuments {
  n: number;
  input: Float32Array;
  ids: (string | number)[];
}

/** Reads the candidates of an Arrow IPC stream body into the model-input matrix of `layout` (taken from `arrays`). */
export function readArrowDocuments(body: Uint8Array, layout: FeatureLayout, maxDocuments: number, maxValues = DEFAULT_MAX_VALUES, arrays: FloatArrays = freshArrays): ArrowDocuments {
  if (!isArrowFile(body)) checkStreamFraming(body);
  let table: Table;
  try {
    table = tableFromIPC(body);
  } catch (err) {
    throw new RequestError('body', `not a readable Arrow IPC stream (${err instanceof Error ? err.message : String(err)})`);
  }
  const n = table.numRows;
  if (n === 0) throw new RequestError('documents', 'expected a non-empty table of documents');
  if (n > maxDocuments) throw tooManyDocuments('documents', maxDocuments);
  if (n * layout.rawFeatureCount > maxValues) throw tooManyValues('documents', maxValues, layout.rawFeatureCount);
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

/** Whether the body is an Arrow IPC file (`ARROW1` magic) rather than a stream: its reader checks the footer itself. */
function isArrowFile(b: Uint8Array): boolean {
  return b.length >= 6 && b[0] === 0x41 && b[1] === 0x52 && b[2] === 0x52 && b[3] === 0x4f && b[4] === 0x57 && b[5] === 0x31;
}

/**
 * Walks the messages of an IPC stream (O(messages)): each must be whole, the end-of-stream marker must
 * follow the last, and nothing may follow it. apache-arrow stops quietly at the end of the bytes and at
 * the marker, so a body cut after a whole record batch lost its later documents, and bytes after the
 * marker were ignored. The format lets a writer end a stream by closing it, without the marker; over HTTP
 * that cannot be told from a body cut at a batch boundary, so the marker is required (Arrow writers emit
 * it when closed: pyarrow, arrow-rs, apache-arrow's `tableToIPC`).
 */
function checkStreamFraming(b: Uint8Array): void {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let p = 0;
  for (let start = 0; ; start = p) {
    if (p + 4 <= b.length && view.getInt32(p, true) === -1) p += 4; // continuation marker (absent before format 0.15)
    if (p + 4 > b.length) throw new RequestError('body', `not a complete Arrow IPC stream: no end-of-stream marker after ${b.length} bytes (cut short?)`);
    const size = view.getInt32(p, true);
    p += 4;
    if (size === 0) {
      if (p === b.length) return;
      throw new RequestError('body', `${b.length - p} bytes after the Arrow IPC end-of-stream marker at byte ${start}; expected nothing`);
    }
    const bodyLength = size > 0 && p + size <= b.length ? messageBodyLength(view, p, size) : -1;
    if (bodyLength < 0 || bodyLength > b.length - p - size) throw new RequestError('body', `not a complete Arrow IPC stream: the message at byte ${start} is cut short or malformed`);
    p += size + bodyLength;
  }
}

/**
 * The `bodyLength` of the flatbuffer `Message` in `view[at, at + size)` (field 3: vtable slot 10), or −1
 * when the flatbuffer points outside those bytes.
 */
function messageBodyLength(view: DataView, at: number, size: number): number {
  const end = at + size;
  if (size < 4) return -1;
  const table = at + view.getUint32(at, true);
  if (table + 4 > end) return -1;
  const vtable = table - view.getInt32(table, true);
  if (vtable < at || vtable + 4 > end) return -1;
  const slot = view.getUint16(vtable, true) >= 12 && vtable + 12 <= end ? view.getUint16(vtable + 10, true) : 0;
  if (slot === 0) return 0;
  if (table + slot + 8 > end) return -1;
  const length = Number(view.getBigInt64(table + slot, true));
  return length >= 0 ? length : -1;
}

function readIds(column: Vector): (string | number)[] {
  const t = column.type as DataType;
  const v = DataType.isDictionary(t) ? (t.dictionary as DataType) : t; // dictionary-encoded strings are strings
  if (!(DataType.isUtf8(v) || DataType.isLargeUtf8(v) || DataType.isInt(v) || DataType.isFloat(v))) {
    throw new RequestError('columns.id', `expected strings or numbers, got ${String(t)}`);
  }
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
