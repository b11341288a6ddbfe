/**
 * Scores files: the model scores that `cosrank eval` evaluates against a dataset.
 *
 * Format — CSV (comma-separated, RFC 4180 quoting allowed), a header line, then one row per document in
 * the dataset's order (query by query, as in its `.arrow` file):
 *
 *     qid,doc,score                 qid,w=1;0,w=0.5;0.5,w=0;1
 *     q1,0,2.31                     q1,0.2,0.4,0.9
 *     q1,1,-0.40                    q1,1.3,0.8,0.1
 *
 * Columns:
 * - `score` — a single run; or
 * - one or more **weight columns** `w=<w_1>;…;<w_m>` — a sweep: column j holds the scores of the model
 *   evaluated at the weights of the m auxiliary objectives named in its header (non-negative, summing to 1
 *   within 1e-3, so printed decimals are fine). Every weight column has the same m.
 * - optional `qid` (the query id of the row's document) and `doc` (its 0-based position within its query):
 *   alignment checks against the dataset, which catch a scores file written for another split or order.
 * A file has either `score` or weight columns, not both. Blank lines are ignored. Scores must be finite.
 * Every problem throws `DataError` naming the file and line (line 1 is the header).
 */
import { readFile } from 'node:fs/promises';
import type { RankingDataset } from '../data/dataset';
import { DataError } from '../util/errors';
import { requireInputFile } from '../util/inputFile';

/** The scores of one model (a single run, or one weight point of a sweep), one per document. */
export interface ScoreRun {
  /** Column header: `score` or `w=…`. */
  name: string;
  /** Auxiliary-objective weights of a sweep column; `null` for a single run. */
  weights: number[] | null;
  scores: Float64Array;
}

export interface ScoresFile {
  kind: 'single' | 'sweep';
  /** One run for `single`; the sweep columns in file order for `sweep`. */
  runs: ScoreRun[];
}

/** What the file is checked against: a document count, or a dataset (also checks `qid` and `doc`). */
export type ScoresExpectation = number | Pick<RankingDataset, 'queryOffsets' | 'queryIds'>;

const WEIGHT_PREFIX = 'w=';
/** Tolerance on Σ w = 1: headers carry rounded decimals. */
const WEIGHT_SUM_TOLERANCE = 1e-3;

/** Reads and checks a scores file (format in the module comment). */
export async function readScores(path: string, expected: ScoresExpectation): Promise<ScoresFile> {
  await requireInputFile(path, 'a scores file');
  return parseScores(await readFile(path, 'utf8'), path, expected);
}

/** Parses the text of a scores file; `path` is only used in error messages. */
export function parseScores(text: string, path: string, expected: ScoresExpectation): ScoresFile {
  const dataset = typeof expected === 'number' ? null : expected;
  const nDocs = dataset ? dataset.queryOffsets[dataset.queryOffsets.length - 1] : (expected as number);
  const lines = text.split(/\r?\n/);
  const headerIndex = lines.findIndex((l) => l.trim() !== '');
  if (headerIndex < 0) throw new DataError(path, null, 'empty scores file (expected a header line: score, or w=… columns)');
  const header = splitCsvLine(lines[headerIndex]).map((h) => h.trim());
  const layout = parseHeader(header, path, headerIndex + 1);
  const runs: ScoreRun[] = layout.runs.map((r) => ({ ...r, scores: new Float64Array(nDocs) }));

  // Walk queries alongside rows for the qid/doc checks.
  let query = 0;
  let row = 0;
  for (let i = headerIndex + 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const lineNo = i + 1;
    if (row >= nDocs) throw new DataError(path, lineNo, `more score rows than the ${nDocs} documents of the dataset`);
    const fields = splitCsvLine(line);
    if (fields.length !== header.length) {
      throw new DataError(path, lineNo, `expected ${header.length} fields (${header.join(',')}), got ${fields.length}`);
    }
    if (dataset) {
      while (dataset.queryOffsets[query + 1] <= row) query++;
      const pos = row - dataset.queryOffsets[query];
      if (layout.qid >= 0 && fields[layout.qid].trim() !== dataset.queryIds[query]) {
        throw new DataError(
          path,
          lineNo,
          `qid '${fields[layout.qid].trim()}' but document ${row} of the dataset belongs to query '${dataset.queryIds[query]}' (rows must follow the dataset's order)`,
        );
      }
      const docField = layout.doc >= 0 ? fields[layout.doc].trim() : String(pos);
      if (docField === '' || Number(docField) !== pos) {
        throw new DataError(path, lineNo, `doc '${docField}' but this row is document ${pos} of query '${dataset.queryIds[query]}'`);
      }
    }
    layout.runs.forEach((r, j) => {
      const field = fields[r.column].trim();
      const value = field === '' ? NaN : Number(field);
      if (!Number.isFinite(value)) throw new DataError(path, lineNo, `column '${r.name}': score '${field}' is not a finite number`);
      runs[j].scores[row] = value;
    });
    row++;
  }
  if (row !== nDocs) {
    throw new DataError(path, lines.length, `${row} score rows but the dataset has ${nDocs} documents`);
  }
  return { kind: layout.kind, runs };
}

interface Layout {
  kind: 'single' | 'sweep';
  qid: number;
  doc: number;
  runs: { name: string; weights: number[] | null; column: number }[];
}

function parseHeader(header: string[], path: string, lineNo: number): Layout {
  const fail = (detail: string): DataError => new DataError(path, lineNo, detail);
  const layout: Layout = { kind: 'single', qid: -1, doc: -1, runs: [] };
  const seen = new Set<string>();
  header.forEach((name, column) => {
    if (seen.has(name)) throw fail(`column '${name}' appears twice`);
    seen.add(name);
    if (name === 'qid') layout.qid = column;
    else if (name === 'doc') layout.doc = column;
    else if (name === 'score') layout.runs.push({ name, weights: null, column });
    else if (name.startsWith(WEIGHT_PREFIX)) layout.runs.push({ name, weights: parseWeights(name, fail), column });
    else throw fail(`unknown column '${name}' (expected qid, doc, score, or weight columns like w=0.3;0.7)`);
  });
  const single = layout.runs.filter((r) => r.weights === null).length;
  if (layout.runs.length === 0) throw fail('no score column (expected score, or weight columns like w=0.3;0.7)');
  if (single > 0 && layout.runs.length > 1) throw fail('a file has either one score column or weight columns w=…, not both');
  if (single === 0) {
    layout.kind = 'sweep';
    const m = (layout.runs[0].weights as number[]).length;
    const other = layout.runs.find((r) => (r.weights as number[]).length !== m);
    if (other) throw fail(`weight columns disagree on the number of objectives: '${layout.runs[0].name}' has ${m}, '${other.name}' ${(other.weights as number[]).length}`);
  }
  return layout;
}

function parseWeights(name: string, fail: (detail: string) => DataError): number[] {
  const parts = name.slice(WEIGHT_PREFIX.length).split(';');
  const weights = parts.map((p) => (p.trim() === '' ? NaN : Number(p)));
  if (weights.some((w) => !Number.isFinite(w) || w < 0)) {
    throw fail(`column '${name}': weights must be non-negative numbers separated by ';'`);
  }
  const sum = weights.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > WEIGHT_SUM_TOLERANCE) throw fail(`column '${name}': weights sum to ${sum}, expected 1`);
  return weights;
}

/** Splits one CSV line into fields: commas separate, double quotes enclose, `""` is a quote inside quotes. */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

/**
 * The header of a sweep column for these weights: `w=0.3;0.7`, each weight as its shortest round-trip
 * decimal, so that a file read back names exactly the points it was scored at (seeded Dirichlet points
 * have many digits; rounded, `cosrank eval`'s table would not repeat the run's weights).
 */
export function weightColumnName(weights: number[]): string {
  return WEIGHT_PREFIX + weights.map(String).join(';');
}

/**
 * Writes runs as scores-file text (the inverse of `parseScores`): a `qid` column when a dataset is given,
 * then `score` for one run without weights, or one `w=…` column per run. Scores are written with full
 * precision (shortest round-trip decimal).
 */
export function formatScores(runs: { weights: number[] | null; scores: ArrayLike<number> }[], dataset?: Pick<RankingDataset, 'queryOffsets' | 'queryIds'>): string {
  if (runs.length === 0) throw new RangeError('no runs to write');
  const sweep = runs.some((r) => r.weights !== null);
  if (sweep && runs.some((r) => r.weights === null)) throw new RangeError('either one run without weights or runs that all have weights');
  if (!sweep && runs.length > 1) throw new RangeError('several runs need weights (a sweep)');
  const nDocs = runs[0].scores.length;
  if (runs.some((r) => r.scores.length !== nDocs)) throw new RangeError('runs have different numbers of scores');
  const names = runs.map((r) => (r.weights ? weightColumnName(r.weights) : 'score'));
  const out: string[] = [(dataset ? ['qid', ...names] : names).join(',')];
  let query = 0;
  for (let d = 0; d < nDocs; d++) {
    const values = runs.map((r) => String(r.scores[d]));
    if (dataset) {
      while (dataset.queryOffsets[query + 1] <= d) query++;
      values.unshift(csvField(dataset.queryIds[query]));
    }
    out.push(values.join(','));
  }
  return out.join('\n') + '\n';
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
