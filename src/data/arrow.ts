/**
 * Apache Arrow IPC: the canonical on-disk form of a ranking dataset (DESIGN.md §3), and the table
 * conversion that the Parquet reader shares.
 *
 * Canonical layout (formatVersion 1), one row per document, rows grouped by query:
 *
 *   qid       Utf8                              query id
 *   <label>   Float32            (one per ds.labelNames, main first)
 *   docid     Utf8, nullable     (only when ds.docIds)
 *   features  FixedSizeList<Float32>[nFeatures] the row-major feature matrix, one list per document
 *
 * and the schema metadata key `cosrank` = JSON `{formatVersion: 1, featureNames, labelNames, metadata}`.
 *
 * Foreign layouts (one numeric column per feature, numeric or string qids, List<…> feature vectors as
 * Parquet writers produce them) are read through explicit column options, see `ArrowReadOptions`.
 */
import { promises as fsp } from 'node:fs';
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import {
  Data,
  DataType,
  Field,
  FixedSizeList,
  Float32,
  Precision,
  RecordBatch,
  RecordBatchFileWriter,
  Schema,
  Struct,
  Table,
  Utf8,
  makeData,
  makeVector,
  tableFromIPC,
  type Vector,
} from 'apache-arrow';
import { defaultFeatureNames, documentCount, validateDataset, type RankingDataset } from './dataset';
import { groupQueries, gatherArray, gatherRows, type RowLocator } from './queryGroups';
import { DataError } from '../util/errors';
import { writeAtomic } from '../util/atomicWrite';
import { noProgress, type ProgressCallback } from '../util/progress';
import { rejectNonGrades } from './grades';
import { DEFAULT_MAX_FEATURES, columnRolesProblem, rejectNonFinite, tooManyFeaturesMessage, type NonFinitePolicy } from './readLimits';

/** Schema metadata key holding the cosrank JSON. */
export const ARROW_METADATA_KEY = 'cosrank';
/** Version of the canonical layout written by `writeArrow`. */
export const ARROW_FORMAT_VERSION = 1;

/** Contents of the `cosrank` schema metadata entry. */
export interface ArrowDatasetMetadata {
  formatVersion: number;
  featureNames: string[];
  labelNames: string[];
  metadata?: Record<string, unknown>;
}

export interface ArrowReadOptions {
  /** Query-id column (Utf8 or integer). Default `'qid'`. */
  qidColumn?: string;
  /**
   * Label columns, main objective first. Default: the canonical metadata's `labelNames`; else every
   * numeric scalar column that is not qid/docid/a feature when the features are a list column or an
   * explicit `featureColumns` list; else the column `relevance` or `label`, whichever exists.
   */
  labelColumns?: string[];
  /**
   * Feature columns: one list column (`['features']`, FixedSizeList or List of numbers), a list of
   * numeric scalar columns, or `'rest'` (every numeric scalar column that is not qid, docid or a label,
   * in schema order). Default: the list column `features` when there is one, else `'rest'`.
   */
  featureColumns?: string[] | 'rest';
  /** Document-id column; `null` for none. Default `'docid'` when such a column exists. */
  docidColumn?: string | null;
  /** Regroup rows whose queries are not contiguous instead of failing (stable, first appearance order). */
  groupNonContiguous?: boolean;
  /** NaN / ±Inf in features or labels once converted to float32 (float64 1e39 counts): `error` (default) or `keep`. */
  nonFinite?: NonFinitePolicy;
  /** Largest feature count accepted (default 100,000). */
  maxFeatures?: number;
  /** Read labels as relevance grades (finite, ≥ 0; see `grades.ts`), as evaluation does; default false. */
  grades?: boolean;
  onProgress?: ProgressCallback;
}

/** Rows per record batch written; a reader of several batches copies the features once. */
const WRITE_BATCH_ROWS = 1 << 18;

/**
 * Writes `ds` in the canonical layout as an Arrow IPC *file*. Written atomically (`writeAtomic`: a temporary
 * sibling, then renamed), so a crash never leaves a half-written `path`. The feature matrix is handed to the writer as views (no copy).
 */
export async function writeArrow(ds: RankingDataset, path: string, options: { onProgress?: ProgressCallback } = {}): Promise<void> {
  validateDataset(ds);
  const progress = options.onProgress ?? noProgress;
  const table = datasetToTable(ds);
  await writeAtomic(path, async (tmp) => {
    const writer = new RecordBatchFileWriter();
    const done = pipeline(writer.toNodeStream(), fs.createWriteStream(tmp));
    writer.write(table);
    writer.finish();
    await done;
  });
  progress({ stage: 'write', done: documentCount(ds), total: documentCount(ds) });
}

/**
 * The dataset as an apache-arrow Table in the canonical layout (record batches of at most
 * `WRITE_BATCH_ROWS` rows); the feature and label buffers are views of the dataset's arrays.
 */
export function datasetToTable(ds: RankingDataset): Table {
  const nDocs = documentCount(ds);
  const nF = ds.nFeatures;
  const rowQids: string[] = new Array(nDocs);
  for (let q = 0; q + 1 < ds.queryOffsets.length; q++) rowQids.fill(ds.queryIds[q], ds.queryOffsets[q], ds.queryOffsets[q + 1]);
  const featureType = new FixedSizeList(nF, new Field('item', new Float32(), false));
  const fields: Field[] = [new Field('qid', new Utf8(), false)];
  const columns: Data[] = [utf8Data(rowQids)];
  ds.labelNames.forEach((name, j) => {
    fields.push(new Field(name, new Float32(), false));
    columns.push(makeData({ type: new Float32(), length: nDocs, nullCount: 0, data: ds.labels[j] }));
  });
  if (ds.docIds) {
    fields.push(new Field('docid', new Utf8(), true));
    columns.push(utf8Data(ds.docIds));
  }
  fields.push(new Field('features', featureType, false));
  const child = makeData({ type: new Float32(), length: nDocs * nF, nullCount: 0, data: ds.features });
  columns.push(makeData({ type: featureType, length: nDocs, nullCount: 0, child }));
  const meta: ArrowDatasetMetadata = {
    formatVersion: ARROW_FORMAT_VERSION,
    featureNames: ds.featureNames,
    labelNames: ds.labelNames,
    metadata: ds.metadata,
  };
  const schema = new Schema(fields, new Map([[ARROW_METADATA_KEY, JSON.stringify(meta)]]));
  const batches: RecordBatch[] = [];
  const nBatches = Math.max(1, Math.ceil(nDocs / WRITE_BATCH_ROWS));
  for (let b = 0; b < nBatches; b++) {
    const a = b * WRITE_BATCH_ROWS;
    const len = Math.min(WRITE_BATCH_ROWS, nDocs - a);
    const children = columns.map((c) => c.slice(a, len));
    batches.push(new RecordBatch(schema, makeData({ type: new Struct(fields), length: len, nullCount: 0, children })));
  }
  return new Table(schema, batches);
}

/** A Utf8 column from strings (null allowed), encoded straight into one byte buffer. */
function utf8Data(values: readonly (string | null)[]): Data<Utf8> {
  const n = values.length;
  const valueOffsets = new Int32Array(n + 1);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) nulls++;
    valueOffsets[i + 1] = valueOffsets[i] + (v === null ? 0 : Buffer.byteLength(v, 'utf8'));
  }
  const data = Buffer.allocUnsafeSlow(valueOffsets[n]);
  const nullBitmap = nulls > 0 ? new Uint8Array((n + 7) >> 3) : undefined;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null) continue;
    data.write(v, valueOffsets[i], 'utf8');
    if (nullBitmap) nullBitmap[i >> 3] |= 1 << (i & 7);
  }
  return makeData({ type: new Utf8(), length: n, nullCount: nulls, valueOffsets, data, nullBitmap });
}

/**
 * Reads an Arrow IPC file or stream (format detected from the bytes) into a dataset. The file is read
 * into one buffer; for a canonical single-batch file the features are a view of that buffer, for several
 * batches they are copied once into one array.
 */
export async function readArrow(path: string, options: ArrowReadOptions = {}): Promise<RankingDataset> {
  const bytes = await readWholeFile(path, options.onProgress ?? noProgress);
  return datasetFromTable(decodeIpc(bytes, path), path, options);
}

/** Reads a file into one dedicated (8-byte aligned, unpooled) buffer, reporting bytes as `read` progress. */
export async function readWholeFile(path: string, progress: ProgressCallback): Promise<Buffer> {
  const handle = await fsp.open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    // allocUnsafeSlow: an own ArrayBuffer at offset 0, so Arrow's Float32 bodies stay aligned (no copy).
    const buf = Buffer.allocUnsafeSlow(size);
    const chunk = 1 << 24;
    for (let pos = 0; pos < size; ) {
      const { bytesRead } = await handle.read(buf, pos, Math.min(chunk, size - pos), pos);
      if (bytesRead === 0) throw new DataError(path, null, `file shrank while reading (${pos} of ${size} bytes)`);
      pos += bytesRead;
      progress({ stage: 'read', done: pos, total: size });
    }
    return buf;
  } finally {
    await handle.close();
  }
}

const FILE_MAGIC = Buffer.from('ARROW1');

/** Decodes IPC bytes (file or stream format); any damage becomes a DataError naming the file. */
export function decodeIpc(bytes: Uint8Array, file: string): Table {
  if (bytes.length === 0) throw new DataError(file, null, 'empty file, not an Arrow IPC file or stream');
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 6));
  if (head.equals(FILE_MAGIC)) {
    const tail = Buffer.from(bytes.buffer, bytes.byteOffset + Math.max(0, bytes.length - 6), Math.min(bytes.length, 6));
    if (bytes.length < 12 || !tail.equals(FILE_MAGIC)) {
      throw new DataError(file, null, `truncated or corrupt Arrow IPC file: no closing ARROW1 magic (${bytes.length} bytes)`);
    }
  }
  try {
    return tableFromIPC(bytes);
  } catch (err) {
    throw new DataError(file, null, `not a readable Arrow IPC file or stream: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The cosrank schema metadata of a table, or null for a foreign table. */
function canonicalMetadata(table: Table, file: string): ArrowDatasetMetadata | null {
  const text = table.schema.metadata.get(ARROW_METADATA_KEY);
  if (text === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new DataError(file, `schema metadata '${ARROW_METADATA_KEY}'`, 'is not valid JSON');
  }
  const m = parsed as Partial<ArrowDatasetMetadata> | null;
  const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  if (!m || typeof m !== 'object' || !isStrings(m.featureNames) || !isStrings(m.labelNames)) {
    throw new DataError(file, `schema metadata '${ARROW_METADATA_KEY}'`, 'expected {formatVersion, featureNames: string[], labelNames: string[], metadata}');
  }
  if (m.formatVersion !== ARROW_FORMAT_VERSION) {
    throw new DataError(file, `schema metadata '${ARROW_METADATA_KEY}'`, `formatVersion ${String(m.formatVersion)} is not supported (this reader knows ${ARROW_FORMAT_VERSION})`);
  }
  return { formatVersion: m.formatVersion, featureNames: m.featureNames, labelNames: m.labelNames, metadata: m.metadata };
}

const isNumeric = (t: DataType) => DataType.isFloat(t) || DataType.isInt(t);
const isNumericList = (t: DataType) =>
  (DataType.isFixedSizeList(t) || DataType.isList(t)) && isNumeric((t as FixedSizeList).children[0].type);

/** Which columns of a table hold what (see `resolveColumns`). */
interface ColumnRoles {
  qidName: string;
  docidName: string | null;
  labelNames: string[];
  /** Scalar feature columns, or the one list column when `listColumn`. */
  featureNames: string[];
  listColumn: boolean;
}

/**
 * Resolves the qid, docid, label and feature columns from the options, the canonical metadata and the
 * conventions (a `features` list column, `relevance`/`label`), checking each one's type.
 */
function resolveColumns(table: Table, file: string, options: ArrowReadOptions, meta: ArrowDatasetMetadata | null): ColumnRoles {
  const fields = table.schema.fields;
  const byName = new Map(fields.map((f) => [f.name, f]));
  const listing = () => fields.map((f) => `${f.name} (${String(f.type)})`).join(', ');
  const field = (name: string, role: string): Field => {
    const f = byName.get(name);
    if (!f) throw new DataError(file, null, `no ${role} column '${name}'; the columns are: ${listing()}`);
    return f;
  };

  const qidName = options.qidColumn ?? 'qid';
  field(qidName, 'qid');
  const docidName = options.docidColumn === undefined ? (byName.has('docid') ? 'docid' : null) : options.docidColumn;
  if (docidName !== null) field(docidName, 'docid');

  let featureNames = options.featureColumns ?? (byName.has('features') && isNumericList(byName.get('features')!.type) ? ['features'] : 'rest');
  const listColumn = Array.isArray(featureNames) && featureNames.length === 1 && isNumericList(field(featureNames[0], 'feature').type);
  const reserved = new Set([qidName, ...(docidName ? [docidName] : [])]);
  const scalarNumeric = (f: Field) => !reserved.has(f.name) && isNumeric(f.type);

  let labelNames = options.labelColumns ?? meta?.labelNames;
  if (!labelNames) {
    if (Array.isArray(featureNames)) {
      const feats = new Set(featureNames);
      labelNames = fields.filter((f) => scalarNumeric(f) && !feats.has(f.name)).map((f) => f.name);
    } else {
      const conventional = ['relevance', 'label'].find((n) => byName.has(n));
      if (!conventional) {
        throw new DataError(file, null, `cannot tell label columns from feature columns; pass labelColumns (and featureColumns). The columns are: ${listing()}`);
      }
      labelNames = [conventional];
    }
  }
  if (labelNames.length === 0) throw new DataError(file, null, `no label column; pass labelColumns. The columns are: ${listing()}`);
  for (const name of labelNames) {
    if (!isNumeric(field(name, 'label').type)) throw new DataError(file, name, `label column has type ${String(byName.get(name)!.type)}, expected a number type`);
  }
  if (featureNames === 'rest') {
    const labels = new Set(labelNames);
    featureNames = fields.filter((f) => scalarNumeric(f) && !labels.has(f.name)).map((f) => f.name);
  } else if (!listColumn) {
    for (const name of featureNames) {
      if (!isNumeric(field(name, 'feature').type)) throw new DataError(file, name, `feature column has type ${String(byName.get(name)!.type)}, expected a number type`);
    }
  }
  if (featureNames.length === 0) throw new DataError(file, null, `no feature columns; the columns are: ${listing()}`);
  const problem = columnRolesProblem(
    [
      { option: 'qidColumn', flag: '--qid', noun: 'qid', columns: [qidName] },
      { option: 'docidColumn', flag: '--docid', noun: 'docid', columns: docidName === null ? [] : [docidName] },
      { option: 'labelColumns', flag: '--labels', noun: 'label', columns: labelNames },
      { option: 'featureColumns', flag: '--features', noun: 'feature', columns: featureNames },
    ],
    (c) => c,
  );
  if (problem !== null) throw new DataError(file, null, problem);
  return { qidName, docidName, labelNames, featureNames, listColumn };
}

/**
 * Converts an apache-arrow table (from an IPC file/stream or Parquet) into a dataset: resolves the
 * columns (see `ArrowReadOptions`), checks query grouping, nulls and list lengths.
 */
export function datasetFromTable(table: Table, file: string, options: ArrowReadOptions = {}): RankingDataset {
  const meta = canonicalMetadata(table, file);
  const { qidName, docidName, labelNames, featureNames, listColumn } = resolveColumns(table, file, options, meta);

  const nDocs = table.numRows;
  // LETOR and CSV refuse a file without rows; so does this reader
  if (nDocs === 0) throw new DataError(file, null, 'no data rows (the table has 0 rows)');
  const maxFeatures = options.maxFeatures ?? DEFAULT_MAX_FEATURES;
  const declaredWidth = listColumn ? listWidth(table.getChild(featureNames[0])!) : featureNames.length;
  if (declaredWidth !== null && declaredWidth > maxFeatures) {
    throw new DataError(file, null, tooManyFeaturesMessage(`${declaredWidth} features`, maxFeatures));
  }
  const locate: RowLocator = (row) => ({ location: `row ${row}`, text: `row ${row}` });
  const qids = stringColumn(table.getChild(qidName)!, file, qidName, false) as string[];
  const grouping = groupQueries(qids, { file, locate, groupNonContiguous: options.groupNonContiguous });

  let features: Float32Array;
  let nFeatures: number;
  if (listColumn) {
    ({ features, nFeatures } = listFeatures(table.getChild(featureNames[0])!, file, featureNames[0], maxFeatures));
  } else {
    nFeatures = featureNames.length;
    features = new Float32Array(nDocs * nFeatures);
    featureNames.forEach((name, j) => scatterNumbers(table.getChild(name)!, file, name, features, j, nFeatures));
  }
  const labels: Float32Array[] = labelNames.map((name) => {
    const out = new Float32Array(nDocs);
    scatterNumbers(table.getChild(name)!, file, name, out, 0, 1);
    return out;
  });
  let docIds = docidName === null ? undefined : stringColumn(table.getChild(docidName)!, file, docidName, true);
  if (options.nonFinite !== 'keep') {
    rejectNonFinite(features, nFeatures, file, (j) => (listColumn ? `feature ${j + 1} of column '${featureNames[0]}'` : `column '${featureNames[j]}'`));
    labels.forEach((l, j) => rejectNonFinite(l, 1, file, () => `column '${labelNames[j]}'`));
  }
  if (options.grades === true) labels.forEach((l, j) => rejectNonGrades(l, file, labelNames[j]));

  const order = grouping.order;
  if (order) {
    features = gatherRows(features, nFeatures, order);
    for (let j = 0; j < labels.length; j++) labels[j] = gatherRows(labels[j], 1, order);
    if (docIds) docIds = gatherArray(docIds, order);
  }

  if (listColumn && meta && meta.featureNames.length !== nFeatures) {
    throw new DataError(file, `schema metadata '${ARROW_METADATA_KEY}'`, `names ${meta.featureNames.length} features but column '${featureNames[0]}' holds ${nFeatures}`);
  }
  const names = listColumn ? (meta?.featureNames ?? defaultFeatureNames(nFeatures)) : featureNames;
  const ds: RankingDataset = {
    features,
    nFeatures,
    featureNames: names,
    queryOffsets: grouping.queryOffsets,
    queryIds: grouping.queryIds,
    labelNames,
    labels,
    ...(docIds ? { docIds } : {}),
    ...(meta?.metadata !== undefined ? { metadata: meta.metadata } : {}),
  };
  try {
    validateDataset(ds);
  } catch (err) {
    throw new DataError(file, null, err instanceof Error ? err.message : String(err));
  }
  return ds;
}

/** Throws a DataError at the first null of a chunk whose rows start at `base`. */
function rejectNulls(d: Data, base: number, file: string, column: string): void {
  if (d.nullCount === 0) return;
  const v = makeVector(d);
  for (let i = 0; i < d.length; i++) {
    if (!v.isValid(i)) throw new DataError(file, `row ${base + i}`, `null in column '${column}'`);
  }
}

type NumberArray = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;

/** The numbers of a numeric chunk: a view of its buffer, or a converted copy for Int64/Float16. */
function chunkNumbers(d: Data): NumberArray {
  const t = d.type;
  const direct = (DataType.isFloat(t) && t.precision !== Precision.HALF) || (DataType.isInt(t) && t.bitWidth <= 32);
  if (direct) return (d.values as NumberArray).subarray(0, d.length);
  const v = makeVector(d);
  const out = new Float64Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Number(v.get(i));
  return out;
}

/** Writes a numeric column into `out[row * stride + at]` (float32 rounding), rejecting nulls. */
function scatterNumbers(col: Vector, file: string, name: string, out: Float32Array, at: number, stride: number): void {
  let row = 0;
  for (const d of col.data) {
    rejectNulls(d, row, file, name);
    const values = chunkNumbers(d);
    if (stride === 1) out.set(values, row);
    else for (let i = 0; i < d.length; i++) out[(row + i) * stride + at] = values[i];
    row += d.length;
  }
}

/** The width of a fixed-size list column, or null for a variable `List` (known only row by row). */
function listWidth(col: Vector): number | null {
  const t = col.type as DataType;
  return DataType.isFixedSizeList(t) ? t.listSize : null;
}

/**
 * Features from one list column. FixedSizeList<Float32> chunks are used as a view when there is one
 * chunk, else copied once; other element types or variable `List`s are converted, checking that every
 * row has the same length.
 */
function listFeatures(col: Vector, file: string, name: string, maxFeatures: number): { features: Float32Array; nFeatures: number } {
  const nDocs = col.length;
  const t = col.type as DataType;
  let nF: number | null = DataType.isFixedSizeList(t) ? t.listSize : null;
  let out: Float32Array | null = null;
  let row = 0;
  for (const d of col.data) {
    rejectNulls(d, row, file, name);
    const child = d.children[0];
    let start = 0;
    if (!DataType.isFixedSizeList(t)) {
      const offs = d.valueOffsets as Int32Array;
      for (let i = 0; i < d.length; i++) {
        const len = offs[i + 1] - offs[i];
        if (nF === null) {
          if (len > maxFeatures) throw new DataError(file, `row ${row + i}`, tooManyFeaturesMessage(`column '${name}' with ${len} values`, maxFeatures));
          nF = len;
        }
        if (len !== nF) throw new DataError(file, `row ${row + i}`, `column '${name}' has ${len} values, expected ${nF} like the rows before`);
      }
      start = d.length > 0 ? offs[0] : 0;
    }
    const width = nF ?? 0;
    if (child.nullCount > 0) {
      const cv = makeVector(child);
      for (let k = start; k < start + d.length * width; k++) {
        if (!cv.isValid(k)) throw new DataError(file, `row ${row + Math.floor((k - start) / width)}`, `null value inside column '${name}'`);
      }
    }
    const slice = chunkNumbers(child).subarray(start, start + d.length * width);
    if (col.data.length === 1 && slice instanceof Float32Array) return { features: slice, nFeatures: width };
    out ??= new Float32Array(nDocs * width);
    out.set(slice, row * width);
    row += d.length;
  }
  const width = nF ?? 0;
  return { features: out ?? new Float32Array(nDocs * width), nFeatures: width };
}

/**
 * A column of strings (Utf8 decoded straight from its buffers; dictionary, integer and other types
 * through apache-arrow, integers printed in base 10); nulls allowed only if `nullable`.
 */
function stringColumn(col: Vector, file: string, name: string, nullable: boolean): (string | null)[] {
  const out: (string | null)[] = new Array(col.length);
  let i = 0;
  for (const d of col.data) {
    const utf8 = DataType.isUtf8(d.type);
    // Sliced Utf8 data keeps its whole byte buffer; the (sliced) offsets index into it.
    const offsets = utf8 ? (d.valueOffsets as Int32Array) : null;
    const bytes = utf8 ? Buffer.from((d.values as Uint8Array).buffer, (d.values as Uint8Array).byteOffset, (d.values as Uint8Array).byteLength) : null;
    const v = utf8 ? null : makeVector(d);
    for (let k = 0; k < d.length; k++, i++) {
      if (d.nullCount > 0 && !d.getValid(k)) {
        if (!nullable) throw new DataError(file, `row ${i}`, `null in column '${name}'`);
        out[i] = null;
      } else if (bytes && offsets) {
        out[i] = bytes.toString('utf8', offsets[k], offsets[k + 1]);
      } else {
        out[i] = String(v!.get(k));
      }
    }
  }
  return out;
}
