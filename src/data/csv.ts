/**
 * CSV/TSV reader (streaming, fast-csv): one row per document, rows grouped by query.
 *
 * Columns are chosen by header name or 0-based index. Feature selections also take ranges:
 * `"f1-f131"` (names f1, f2, …, f131 — a common prefix followed by numbers) or `"3-140"` (indices 3..140,
 * inclusive), several separated by commas, or an array mixing names, indices and ranges. A header name
 * always wins over the range reading of the same text.
 *
 * Line numbers in errors count records (header = line 1); they equal file lines unless a quoted field
 * spans several lines.
 */
import * as fs from 'node:fs';
import { parse } from 'fast-csv';
import { defaultFeatureNames, validateDataset, type RankingDataset } from './dataset';
import { groupQueries, gatherArray, gatherRows } from './queryGroups';
import { ConfigError, DataError } from '../util/errors';
import { noProgress, type ProgressCallback } from '../util/progress';

/** A column: header name or 0-based index. */
export type CsvColumn = string | number;

export interface CsvReadOptions {
  /** First record is a header. Default true. */
  header?: boolean;
  /** Field delimiter. Default tab for `.tsv` files, else comma. */
  delimiter?: string;
  /** Query-id column. Default `'qid'` with a header; required without one. */
  qid?: CsvColumn;
  /** Label columns, main objective first. Default `['relevance']` or `['label']` (whichever the header has); required without a header. */
  labels?: CsvColumn[];
  /** Feature columns (names, indices, ranges — see the module comment). Default: every column that is not qid, a label or the docid. */
  features?: string | CsvColumn[];
  /** Document-id column; `null` for none. Default `'docid'` when the header has it. */
  docid?: CsvColumn | null;
  /** Label names when there is no header. Default `relevance`, `label1`, `label2`, … */
  labelNames?: string[];
  /** Regroup rows whose queries are not contiguous instead of failing. */
  groupNonContiguous?: boolean;
  /** NaN / ±Inf cells (`nan`, `inf`, `-Infinity`, or a decimal beyond float range): `error` (default) or `keep`. */
  nonFinite?: 'error' | 'keep';
  onProgress?: ProgressCallback;
}

/** Reads a CSV/TSV file into a dataset (see `CsvReadOptions`). */
export async function readCsv(path: string, options: CsvReadOptions = {}): Promise<RankingDataset> {
  const header = options.header ?? true;
  if (!header && (options.qid === undefined || options.labels === undefined)) {
    throw new ConfigError(
      [
        ...(options.qid === undefined ? [{ path: 'csv.qid', value: undefined, expected: 'a 0-based column index (the file has no header)' }] : []),
        ...(options.labels === undefined ? [{ path: 'csv.labels', value: undefined, expected: 'a list of 0-based column indices (the file has no header)' }] : []),
      ],
      path,
    );
  }
  const progress = options.onProgress ?? noProgress;
  const keepNonFinite = options.nonFinite === 'keep';
  const total = fs.statSync(path).size;
  const input = fs.createReadStream(path);
  let bytes = 0;
  input.on('data', (chunk) => {
    bytes += chunk.length;
    progress({ stage: 'read', done: bytes, total });
  });
  const rows = input.pipe(parse<string[], string[]>({ headers: false, delimiter: options.delimiter ?? (/\.tsv$/i.test(path) ? '\t' : ','), trim: true }));
  input.on('error', (err) => rows.destroy(err));

  let layout: Layout | null = null;
  let width = 0;
  let line = 0;
  const qids: string[] = [];
  const lines: number[] = [];
  const docIds: (string | null)[] = [];
  let features: FloatBuffer | null = null;
  let labels: FloatBuffer[] = [];
  try {
    for await (const row of rows as AsyncIterable<string[]>) {
      line++;
      if (row.length === 0 || (row.length === 1 && row[0] === '')) continue; // blank line
      if (!layout) {
        width = row.length;
        if (header) {
          row[0] = row[0].replace(/^\uFEFF/, '');
          layout = resolveLayout(row, options, path, line);
          continue;
        }
        layout = resolveLayout(null, options, path, line, width);
      }
      if (!features) {
        features = new FloatBuffer(layout.features.length);
        labels = layout.labels.map(() => new FloatBuffer(1));
      }
      if (row.length !== width) {
        throw new DataError(path, line, `${row.length} fields, expected ${width} like ${header ? 'the header' : 'the first row'}`);
      }
      if (row[layout.qid] === '') throw new DataError(path, line, `column '${layout.names[layout.qid]}': empty query id`);
      qids.push(row[layout.qid]);
      lines.push(line);
      if (layout.docid !== null) docIds.push(row[layout.docid] === '' ? null : row[layout.docid]);
      layout.labels.forEach((c, j) => labels[j].push(cellNumber(row[c], path, line, layout!.names[c], keepNonFinite)));
      for (const c of layout.features) features.push(cellNumber(row[c], path, line, layout.names[c], keepNonFinite));
    }
  } finally {
    input.destroy();
  }
  if (!layout) throw new DataError(path, null, 'empty file');
  if (qids.length === 0) throw new DataError(path, null, 'no data rows after the header');

  const grouping = groupQueries(qids, {
    file: path,
    locate: (r) => ({ location: lines[r], text: `line ${lines[r]}` }),
    groupNonContiguous: options.groupNonContiguous,
  });
  const nF = layout.features.length;
  let featureArray = features ? features.finish() : new Float32Array(0);
  let labelArrays = layout.labels.map((_, j) => (labels[j] ? labels[j].finish() : new Float32Array(0)));
  let docIdList = layout.docid !== null ? docIds : undefined;
  if (grouping.order) {
    featureArray = gatherRows(featureArray, nF, grouping.order);
    labelArrays = labelArrays.map((a) => gatherRows(a, 1, grouping.order!));
    if (docIdList) docIdList = gatherArray(docIdList, grouping.order);
  }
  const ds: RankingDataset = {
    features: featureArray,
    nFeatures: nF,
    featureNames: header ? layout.features.map((c) => layout!.names[c]) : defaultFeatureNames(nF),
    queryOffsets: grouping.queryOffsets,
    queryIds: grouping.queryIds,
    labelNames: header
      ? layout.labels.map((c) => layout!.names[c])
      : layout.labels.map((_, j) => options.labelNames?.[j] ?? (j === 0 ? 'relevance' : `label${j}`)),
    labels: labelArrays,
    ...(docIdList ? { docIds: docIdList } : {}),
  };
  validateDataset(ds);
  return ds;
}

/** Column indices of every role, and a display name per column. */
interface Layout {
  qid: number;
  labels: number[];
  features: number[];
  docid: number | null;
  names: string[];
}

function resolveLayout(head: string[] | null, options: CsvReadOptions, file: string, line: number, width = head?.length ?? 0): Layout {
  const names = head ?? Array.from({ length: width }, (_, i) => `column ${i}`);
  const where = head ? line : null;
  const missing = (spec: CsvColumn, role: string, within?: string) => {
    const what = `no ${role} column ${JSON.stringify(spec)}${within ? ` (in range ${JSON.stringify(within)})` : ''}`;
    return new DataError(
      file,
      where,
      head ? `${what}; the header has: ${head.join(', ')}` : `${what}; rows have ${width} columns (0-based indices 0..${width - 1}, no header)`,
    );
  };
  // One token (name, index or range) → column indices; `within` is the range a token came from.
  const resolve = (spec: CsvColumn, role: string, allowRange: boolean, within?: string): number[] => {
    if (typeof spec === 'number') {
      if (!Number.isInteger(spec) || spec < 0 || spec >= width) throw missing(spec, role, within);
      return [spec];
    }
    const token = spec.trim();
    if (head) {
      const i = head.indexOf(token);
      if (i >= 0) return [i];
    }
    if (/^\d+$/.test(token)) return resolve(Number(token), role, false, within);
    const range = allowRange ? /^(.*?)(\d+)-(.*?)(\d+)$/.exec(token) : null;
    if (range && range[1] === range[3]) {
      const [a, b] = [Number(range[2]), Number(range[4])];
      if (b < a) throw missing(spec, role);
      const out: number[] = [];
      for (let k = a; k <= b; k++) out.push(...resolve(range[1] === '' ? k : `${range[1]}${k}`, role, false, token));
      return out;
    }
    throw missing(spec, role, within);
  };
  const single = (spec: CsvColumn, role: string) => resolve(spec, role, false)[0];
  const optional = (name: string) => (head && head.includes(name) ? head.indexOf(name) : null);

  const qid = single(options.qid ?? 'qid', 'qid');
  let labelSpecs = options.labels;
  if (!labelSpecs) {
    const conventional = ['relevance', 'label'].find((n) => head?.includes(n));
    if (!conventional) throw missing('relevance', 'label (pass labels, e.g. --labels)');
    labelSpecs = [conventional];
  }
  const labels = labelSpecs.map((s) => single(s, 'label'));
  const docid = options.docid === undefined ? optional('docid') : options.docid === null ? null : single(options.docid, 'docid');
  let features: number[];
  if (options.features === undefined) {
    const taken = new Set([qid, ...labels, ...(docid === null ? [] : [docid])]);
    features = names.map((_, i) => i).filter((i) => !taken.has(i));
  } else {
    const specs: CsvColumn[] = typeof options.features === 'string' ? [options.features] : options.features;
    features = specs
      .flatMap<CsvColumn>((s) => (typeof s === 'string' ? s.split(',') : [s]))
      .flatMap((s) => resolve(s, 'feature', true));
  }
  if (features.length === 0) throw new DataError(file, where, 'no feature columns');
  return { qid, labels, features, docid, names };
}

const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE_TEXT = /^([+-]?)(nan|inf|infinity)$/i;

/**
 * A cell as a number: decimal text (no hex, no blanks), or nan / inf / infinity with an optional sign.
 * Anything else, and a non-finite value unless `keepNonFinite`, is a DataError at file:line naming the column.
 */
function cellNumber(text: string, file: string, line: number, column: string, keepNonFinite: boolean): number {
  let v: number;
  if (DECIMAL_TEXT.test(text)) v = Number(text);
  else {
    const m = NON_FINITE_TEXT.exec(text);
    if (m === null) throw new DataError(file, line, `column '${column}': ${JSON.stringify(text)} is not a number`);
    v = m[2].toLowerCase() === 'nan' ? NaN : m[1] === '-' ? -Infinity : Infinity;
  }
  if (!keepNonFinite && !Number.isFinite(v)) {
    throw new DataError(file, line, `column '${column}': ${JSON.stringify(text)} is ${v}; non-finite values are refused (pass nonFinite: 'keep' / --non-finite keep to allow them)`);
  }
  return v;
}

/** A Float32 array that grows by doubling; `finish` returns exactly the pushed values. */
class FloatBuffer {
  private data: Float32Array;
  private length = 0;
  constructor(rowWidth: number) {
    this.data = new Float32Array(Math.max(1024, rowWidth * 256));
  }
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float32Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
  finish(): Float32Array {
    return this.data.slice(0, this.length);
  }
}
