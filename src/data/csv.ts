/**
 * CSV/TSV reader (streaming, linear in the file size; see `csvTokenizer.ts` for quoting and line
 * breaks): one row per document, rows grouped by query.
 *
 * Columns are chosen by header name or 0-based index. Feature selections also take ranges:
 * `"f1-f131"` (names f1, f2, …, f131 — a common prefix followed by numbers) or `"3-140"` (indices 3..140,
 * inclusive), several separated by commas, or an array mixing names, indices and ranges. A header name
 * always wins over the range reading of the same text.
 *
 * Line numbers in errors are physical lines of the file (header = line 1). Header names must be
 * distinct; at most `maxFeatures` (default 100,000) feature columns are read.
 */
import * as fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { CsvTokenizer, type RecordSink } from './csvTokenizer';
import { defaultFeatureNames, validateDataset, type RankingDataset } from './dataset';
import { labelProblem } from './grades';
import { groupQueries, gatherArray, gatherRows } from './queryGroups';
import { ConfigError, DataError } from '../util/errors';
import { noProgress, type ProgressCallback } from '../util/progress';
import { DEFAULT_MAX_FEATURES, columnRolesProblem, finite32, tooManyFeaturesMessage, type ColumnRole, type NonFinitePolicy } from './readLimits';

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
  /** NaN / ±Inf cells (`nan`, `inf`, `-Infinity`, or a decimal beyond float32 range such as 1e39): `error` (default) or `keep`. */
  nonFinite?: NonFinitePolicy;
  /** Read labels as relevance grades (finite, ≥ 0; see `grades.ts`), as evaluation does; default false. */
  grades?: boolean;
  /** Largest number of feature columns accepted (default 100,000). */
  maxFeatures?: number;
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
  const rows = new CsvRows(path, options, header);
  await tokenizeFile(path, options, (fields, line) => rows.add(fields, line));
  return rows.dataset();
}

/** Streams the file through the tokenizer (UTF-8, a leading byte order mark dropped), reporting progress in bytes. */
async function tokenizeFile(path: string, options: CsvReadOptions, sink: RecordSink): Promise<void> {
  const progress = options.onProgress ?? noProgress;
  const delimiter = options.delimiter ?? (/\.tsv$/i.test(path) ? '\t' : ',');
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new ConfigError([{ path: 'csv.delimiter', value: delimiter, expected: 'one character other than a quote or a line break' }], path);
  }
  const tokenizer = new CsvTokenizer(path, delimiter.charCodeAt(0), sink);
  const total = fs.statSync(path).size;
  const input = fs.createReadStream(path, { highWaterMark: 1 << 20 });
  const decoder = new StringDecoder('utf8');
  let bytes = 0;
  let first = true;
  try {
    for await (const chunk of input as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      let text = decoder.write(chunk);
      if (first && text.length > 0) {
        text = text.replace(/^\uFEFF/, '');
        first = false;
      }
      tokenizer.push(text);
      progress({ stage: 'read', done: bytes, total });
    }
    tokenizer.push(decoder.end());
    tokenizer.end();
  } finally {
    input.destroy();
  }
}

/** Collects the records of a CSV file into columns, checking each against the layout the header (or first row) fixed. */
class CsvRows {
  private layout: Layout | null = null;
  private width = 0;
  private readonly qids: string[] = [];
  private readonly lines: number[] = [];
  private readonly docIds: (string | null)[] = [];
  private features: FloatBuffer | null = null;
  private labels: FloatBuffer[] = [];
  private readonly keepNonFinite: boolean;
  private readonly grades: boolean;

  constructor(
    private readonly path: string,
    private readonly options: CsvReadOptions,
    private readonly header: boolean,
  ) {
    this.keepNonFinite = options.nonFinite === 'keep';
    this.grades = options.grades === true;
  }

  add(row: string[], line: number): void {
    const path = this.path;
    if (!this.layout) {
      this.width = row.length;
      if (this.header) {
        this.layout = resolveLayout(row, this.options, path, line);
        return;
      }
      this.layout = resolveLayout(null, this.options, path, line, this.width);
    }
    const layout = this.layout;
    if (!this.features) {
      this.features = new FloatBuffer(layout.features.length);
      this.labels = layout.labels.map(() => new FloatBuffer(1));
    }
    if (row.length !== this.width) {
      throw new DataError(path, line, `${row.length} fields, expected ${this.width} like ${this.header ? 'the header' : 'the first row'}`);
    }
    if (row[layout.qid] === '') throw new DataError(path, line, `column '${layout.names[layout.qid]}': empty query id`);
    this.qids.push(row[layout.qid]);
    this.lines.push(line);
    if (layout.docid !== null) this.docIds.push(row[layout.docid] === '' ? null : row[layout.docid]);
    const keep = this.keepNonFinite;
    for (let j = 0; j < layout.labels.length; j++) {
      const c = layout.labels[j];
      const label = cellNumber(row[c], path, line, layout.names[c], keep);
      const problem = labelProblem(label, this.grades);
      if (problem !== null) throw new DataError(path, line, `column '${layout.names[c]}': ${problem}`);
      this.labels[j].push(label);
    }
    const features = this.features;
    for (const c of layout.features) features.push(cellNumber(row[c], path, line, layout.names[c], keep));
  }

  dataset(): RankingDataset {
    const { path, header, options, qids, lines } = this;
    const layout = this.layout;
    if (!layout) throw new DataError(path, null, 'empty file');
    if (qids.length === 0) throw new DataError(path, null, 'no data rows after the header');
    const grouping = groupQueries(qids, {
      file: path,
      locate: (r) => ({ location: lines[r], text: `line ${lines[r]}` }),
      groupNonContiguous: options.groupNonContiguous,
    });
    const nF = layout.features.length;
    let featureArray = this.features ? this.features.finish() : new Float32Array(0);
    let labelArrays = layout.labels.map((_, j) => (this.labels[j] ? this.labels[j].finish() : new Float32Array(0)));
    let docIdList = layout.docid !== null ? this.docIds : undefined;
    if (grouping.order) {
      featureArray = gatherRows(featureArray, nF, grouping.order);
      labelArrays = labelArrays.map((a) => gatherRows(a, 1, grouping.order!));
      if (docIdList) docIdList = gatherArray(docIdList, grouping.order);
    }
    const ds: RankingDataset = {
      features: featureArray,
      nFeatures: nF,
      featureNames: header ? layout.features.map((c) => layout.names[c]) : defaultFeatureNames(nF),
      queryOffsets: grouping.queryOffsets,
      queryIds: grouping.queryIds,
      labelNames: header
        ? layout.labels.map((c) => layout.names[c])
        : layout.labels.map((_, j) => options.labelNames?.[j] ?? (j === 0 ? 'relevance' : `label${j}`)),
      labels: labelArrays,
      ...(docIdList ? { docIds: docIdList } : {}),
      metadata: { source: path, format: 'csv' },
    };
    validateDataset(ds);
    return ds;
  }
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
  const column = head ? headerIndex(head, file, line) : new Map<string, number>();
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
    const named = column.get(token);
    if (named !== undefined) return [named];
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
  const optional = (name: string) => column.get(name) ?? null;

  const qid = single(options.qid ?? 'qid', 'qid');
  let labelSpecs = options.labels;
  if (!labelSpecs) {
    const conventional = ['relevance', 'label'].find((n) => column.has(n));
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
  const roles: ColumnRole<number>[] = [
    { option: 'qid', flag: '--qid', noun: 'qid', columns: [qid] },
    { option: 'docid', flag: '--docid', noun: 'docid', columns: docid === null ? [] : [docid] },
    { option: 'labels', flag: '--labels', noun: 'label', columns: labels },
    { option: 'features', flag: '--features', noun: 'feature', columns: features },
  ];
  const problem = columnRolesProblem(roles, (c) => names[c]);
  if (problem !== null) throw new DataError(file, where, problem);
  if (features.length === 0) throw new DataError(file, where, 'no feature columns');
  const maxFeatures = options.maxFeatures ?? DEFAULT_MAX_FEATURES;
  if (features.length > maxFeatures) throw new DataError(file, where, tooManyFeaturesMessage(`${features.length} feature columns`, maxFeatures));
  return { qid, labels, features, docid, names };
}

/** Header name → column; a name given twice is refused (a selection by name would be ambiguous). */
function headerIndex(head: string[], file: string, line: number): Map<string, number> {
  const column = new Map<string, number>();
  head.forEach((name, i) => {
    const earlier = column.get(name);
    if (earlier !== undefined) {
      throw new DataError(file, line, `column name ${JSON.stringify(name)} appears twice in the header (columns ${earlier} and ${i}, 0-based); header names must be distinct`);
    }
    column.set(name, i);
  });
  return column;
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
  // checked as float32, where the value is stored: 1e39 becomes Infinity
  if (!keepNonFinite && !finite32(v)) {
    const f = Math.fround(v);
    throw new DataError(
      file,
      line,
      `column '${column}': ${JSON.stringify(text)} is ${f}${Number.isFinite(v) ? ' as float32' : ''}; non-finite values are refused (pass nonFinite: 'keep' / --non-finite keep to allow them)`,
    );
  }
  return v;
}

/** A Float32 array that grows by doubling; `finish` returns exactly the pushed values. */
class FloatBuffer {
  private data: Float32Array;
  private length = 0;
  constructor(rowWidth: number) {
    // a few rows to start with, but never a huge block for a very wide file
    this.data = new Float32Array(Math.min(1 << 20, Math.max(1024, rowWidth * 256)));
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
