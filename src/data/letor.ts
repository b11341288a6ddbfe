/**
 * LETOR / SVMlight text: reader and writer (issue 2).
 *
 * Line format: `label [qid:Q] i:v i:v … [# comment]`, LF or CRLF, fields separated by spaces or tabs.
 * - Indices are 1-based (feature `i` is column `i − 1`), or 0-based with `zeroBased`. Missing = 0.
 * - Queries come from `qid:` (rows of one qid must be contiguous unless `groupNonContiguous`), or, for
 *   lines without `qid:`, from a LightGBM-style `.query` file (one group size per line, in row order):
 *   `options.queryFile`, else `<data file>.query` when it exists.
 * - A trailing comment holding `docid = X` gives the row's document id; other comment text is ignored.
 *   Blank lines and lines that are only a comment are not rows.
 *
 * Values are parsed from the bytes (no per-line strings): `m · 10^e` with an integer mantissa m is
 * exact when `m < 2^53` and `|e| ≤ 22` (one correctly rounded IEEE multiply or divide); any other
 * token goes through `parseFloat`. Either way the double is then rounded to float32 (`Math.fround`),
 * which is what `writeLetor` relies on to print the shortest text that reads back bit-exactly.
 *
 * Memory: a first pass counts lines (a native newline search), so the float32 matrix is allocated once
 * at `lines × width`. Its pages are only touched as rows are written, so the peak is about the size
 * of the final matrix, plus labels and doc ids (with `threads: 2`, plus the worker's half).
 */
import { promises as fsp } from 'node:fs';
import { extname, join as pathJoin } from 'node:path';
import { Worker } from 'node:worker_threads';
import { DataError } from '../util/errors';
import { writeStreamAtomic } from '../util/atomicWrite';
import { noProgress, type ProgressCallback } from '../util/progress';
import { defaultFeatureNames, validateDataset, type RankingDataset } from './dataset';

export interface LetorReadOptions {
  /** Feature indices start at 0 (default false: 1-based, LETOR / SVMlight convention). */
  zeroBased?: boolean;
  /** Declared feature count: an index above it is an error. Default: the largest index seen. */
  nFeatures?: number;
  /** LightGBM-style group file (one group size per line), used when lines have no `qid:`. */
  queryFile?: string;
  /** Gather rows of a qid that are not contiguous (stable) instead of failing (default false). */
  groupNonContiguous?: boolean;
  /** NaN / ±Inf in labels or values: `error` (default) or `keep`. */
  nonFinite?: 'error' | 'keep';
  /** Name of the label column (default `relevance`). */
  labelName?: string;
  /** Receives `{stage: 'read', done: bytes, total: bytes}` as the file is parsed. */
  onProgress?: ProgressCallback;
  /** Bytes read at a time (default 8 MiB; a longer line grows the buffer). Tests shrink it to cross chunk edges. */
  chunkBytes?: number;
  /**
   * 1: this thread reads everything; the peak memory is about 1.1× the float32 matrix.
   * 2: a worker thread parses the second half of the file while this thread parses the first (its half
   * is copied in at the end, so the peak is about 1.5× the matrix). Measured on 2 idle cores with a
   * 393 MB MSLR-shaped file: 238 MB/s with 1 thread, 328 MB/s with 2.
   * Default: 2 for files of 64 MiB or more (where the speed matters), else 1.
   */
  threads?: number;
}

/** Files at least this large are parsed by two threads unless `threads` says otherwise. */
const PARALLEL_READ_BYTES = 64 * 1024 * 1024;

/** What a worker thread is asked to parse: the lines of bytes `start .. end` of `path`. */
export interface LetorPartJob {
  path: string;
  start: number;
  end: number;
  /** 1-based number of the line starting at `start`, and how many lines the range holds. */
  firstLine: number;
  lines: number;
  options: Omit<LetorReadOptions, 'onProgress'>;
  groupFile: string | undefined;
  chunkBytes: number;
}

/** A parsed part of a file (see `LetorParser.part` / `appendPart`). */
export interface LetorPart {
  rows: number;
  /** Line number after the part. */
  line: number;
  width: number;
  usedWidth: number;
  features: Float32Array;
  labels: Float32Array;
  modeKnown: boolean;
  hasQid: boolean;
  queryIds: string[];
  queryStarts: number[];
  queryFirstLine: number[];
  queryLastLine: number[];
  docIds: (string | null)[];
  anyDocId: boolean;
}

export interface LetorWriteOptions {
  /** Which label column to write as the LETOR label (default 0, the main objective). */
  labelIndex?: number;
  /**
   * Omit zero values (default false: every feature written, as LETOR files do). The last feature is
   * always written so the feature count survives a round trip.
   */
  sparse?: boolean;
}

const READ_CHUNK = 8 << 20;
const LF = 10;
const CR = 13;
const SP = 32;
const TAB = 9;
const HASH = 35;
const COLON = 58;
const DOT = 46;
const MINUS = 45;
const PLUS = 43;
/** Exact powers of ten as doubles (10^22 is the largest exactly representable one). */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const TWO53 = 2 ** 53;
const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NON_FINITE_TEXT = /^([+-]?)(nan|inf|infinity)$/i;
const DOCID = Buffer.from('docid');

/** Whether byte c ends a token: space, tab, CR, LF or the start of a comment. */
function endsToken(c: number): boolean {
  return c === SP || c === TAB || c === CR || c === LF || c === HASH;
}

/**
 * Reads one decimal number from bytes. `parse(buf, i)` returns the value (a double, not yet rounded
 * to float32) and leaves `end` at the first byte after it; `ok` is false when the token at i is not a
 * number (the caller reports it). The caller also checks that `end` is a token boundary.
 */
class NumberScanner {
  end = 0;
  ok = true;

  parse(buf: Uint8Array, start: number): number {
    let i = start;
    let c = buf[i];
    let negative = false;
    if (c === MINUS || c === PLUS) {
      negative = c === MINUS;
      c = buf[++i];
    }
    let mantissa = 0;
    let digits = 0;
    let d = c - 48;
    while (d >= 0 && d <= 9) {
      mantissa = mantissa * 10 + d;
      digits++;
      d = buf[++i] - 48;
    }
    let exponent = 0;
    if (buf[i] === DOT) {
      d = buf[++i] - 48;
      while (d >= 0 && d <= 9) {
        mantissa = mantissa * 10 + d;
        digits++;
        exponent--;
        d = buf[++i] - 48;
      }
    }
    if (digits === 0) return this.slow(buf, start);
    c = buf[i];
    if (c === 101 || c === 69) {
      // e / E: an explicit exponent
      c = buf[++i];
      let expNegative = false;
      if (c === MINUS || c === PLUS) {
        expNegative = c === MINUS;
        c = buf[++i];
      }
      let e = 0;
      let eDigits = 0;
      d = c - 48;
      while (d >= 0 && d <= 9 && eDigits < 6) {
        e = e * 10 + d;
        eDigits++;
        d = buf[++i] - 48;
      }
      if (eDigits === 0 || (d >= 0 && d <= 9)) return this.slow(buf, start);
      exponent += expNegative ? -e : e;
    }
    // Long mantissas (> 15 digits may exceed 2^53) and large exponents are not exact here.
    if ((digits > 15 && mantissa >= TWO53) || exponent > 22 || exponent < -22) return this.slow(buf, start);
    this.end = i;
    this.ok = true;
    const v = exponent >= 0 ? mantissa * POW10[exponent] : mantissa / POW10[-exponent];
    return negative ? -v : v;
  }

  /** Any token the fast path does not take: full decimal syntax through parseFloat, or nan / inf. */
  private slow(buf: Uint8Array, start: number): number {
    let i = start;
    while (!endsToken(buf[i])) i++;
    this.end = i;
    const text = Buffer.from(buf.buffer, buf.byteOffset + start, i - start).toString('latin1');
    if (NUMBER_TEXT.test(text)) {
      this.ok = true;
      return parseFloat(text);
    }
    const m = NON_FINITE_TEXT.exec(text);
    this.ok = m !== null;
    if (m === null) return NaN;
    if (m[2].toLowerCase() === 'nan') return NaN;
    return m[1] === '-' ? -Infinity : Infinity;
  }
}

/** The text of the token starting at byte i (for error messages, cut to 40 characters). */
function tokenAt(buf: Buffer, i: number): string {
  let j = i;
  while (j < buf.length && !endsToken(buf[j]) && j - i < 40) j++;
  return j === i ? (buf[i] === LF || i >= buf.length ? 'end of line' : `'${String.fromCharCode(buf[i])}'`) : `'${buf.toString('latin1', i, j)}'`;
}

/**
 * Parses complete lines into a growing dataset. `parseLines(buf, start, end)` takes bytes that end
 * with a line feed (`buf[end − 1] === 10`), so inner loops stop at LF without bound checks.
 */
class LetorParser {
  line = 1;
  rows = 0;
  /** Row-major, `capacityRows × width`; untouched pages cost no memory until written. */
  features = new Float32Array(0);
  labels: Float32Array;
  /** Current row stride (columns); ≥ every column written so far. */
  width: number;
  /** Largest column written + 1 (the final width when nFeatures is not declared). */
  usedWidth = 0;
  docIds: (string | null)[] = [];
  anyDocId = false;
  /** `true` once the first row shows whether lines carry `qid:` (then `hasQid` says which). */
  modeKnown = false;
  hasQid = false;
  /** qid mode: query ids in order of first appearance, the row each starts at, their line spans. */
  queryIds: string[] = [];
  queryStarts: number[] = [];
  queryFirstLine: number[] = [];
  queryLastLine: number[] = [];
  private queryIndex = new Map<string, number>();
  private currentQuery = -1;
  private qidBytes = Buffer.alloc(64);
  private qidLength = -1;
  /** With groupNonContiguous: the query of each row (queries numbered by first appearance). */
  rowQuery: Int32Array | null;
  regroup = false;
  private readonly scan = new NumberScanner();
  private readonly columnShift: number;
  private readonly declaredWidth: number;
  /** Per-column marks for the repeated-index check of rows whose indices are not increasing. */
  private seen = new Int32Array(0);
  /** Entries of the current row beyond the current width, placed when the row ends. */
  private overflowCols: number[] = [];
  private overflowVals: number[] = [];

  constructor(
    private readonly file: string,
    private readonly capacityRows: number,
    private readonly options: LetorReadOptions,
    /** The `.query` file groups come from when lines have no qid (undefined: none exists). */
    private readonly groupFile: string | undefined,
  ) {
    this.columnShift = options.zeroBased ? 0 : 1;
    this.declaredWidth = options.nFeatures ?? -1;
    this.width = Math.max(0, this.declaredWidth);
    this.features = new Float32Array(capacityRows * this.width);
    this.labels = new Float32Array(capacityRows);
    this.rowQuery = options.groupNonContiguous ? new Int32Array(capacityRows) : null;
  }

  /** The first row decides where groups come from; both or neither is an error at that line. */
  private decideGroups(qidHere: boolean): void {
    this.modeKnown = true;
    this.hasQid = qidHere;
    if (qidHere && this.options.queryFile !== undefined) {
      this.fail(`lines carry qid: and a queryFile was also given (${this.options.queryFile}); use one source of groups`);
    }
    if (!qidHere && this.groupFile === undefined) {
      this.fail(`expected qid:<id> after the label, or a group file (${this.file}.query or the queryFile option)`);
    }
  }

  private fail(message: string): never {
    throw new DataError(this.file, this.line, message);
  }

  private checkFinite(v: number, what: string): void {
    if (this.options.nonFinite !== 'keep' && !Number.isFinite(v)) {
      this.fail(`${what} is ${v}; non-finite values are refused (pass nonFinite: 'keep' to allow them)`);
    }
  }

  parseLines(buf: Buffer, start: number, end: number): void {
    const scan = this.scan;
    const shift = this.columnShift;
    const keepNonFinite = this.options.nonFinite === 'keep';
    let i = start;
    while (i < end) {
      let c = buf[i];
      while (c === SP || c === TAB || c === CR) c = buf[++i];
      if (c === LF || c === HASH) {
        // blank or comment-only line: not a row
        i = buf.indexOf(LF, i) + 1;
        this.line++;
        continue;
      }
      if (this.rows >= this.capacityRows) this.fail('more rows than lines counted (was the file changed while reading?)');
      const lineStart = i;
      const row = this.rows;

      // label
      const label = scan.parse(buf, i);
      if (!scan.ok || !endsToken(buf[scan.end]) || buf[scan.end] === HASH) {
        this.fail(`expected a numeric label at the start of the line, got ${tokenAt(buf, i)}`);
      }
      if (!keepNonFinite) this.checkFinite(label, 'the label');
      this.labels[row] = label;
      i = scan.end;
      c = buf[i];
      while (c === SP || c === TAB || c === CR) c = buf[++i];

      // qid
      const qidHere = buf[i] === 113 && buf[i + 1] === 105 && buf[i + 2] === 100 && buf[i + 3] === COLON;
      if (!this.modeKnown) this.decideGroups(qidHere);
      if (qidHere) {
        if (!this.hasQid) this.fail(`unexpected qid: on this line; earlier lines have none (groups come from the .query file)`);
        i = this.readQid(buf, i + 4, row);
      } else if (this.hasQid) {
        this.fail(`expected qid:<id> after the label, got ${tokenAt(buf, i)}`);
      }

      // features
      let features = this.features;
      let width = this.width;
      let base = row * width;
      let lastCol = -1;
      let increasing = true;
      for (;;) {
        c = buf[i];
        while (c === SP || c === TAB || c === CR) c = buf[++i];
        if (c === LF) break;
        if (c === HASH) {
          this.readComment(buf, i + 1);
          i = buf.indexOf(LF, i);
          break;
        }
        const tokenStart = i;
        let index = c - 48;
        if (index < 0 || index > 9) this.fail(`expected <index>:<value>, got ${tokenAt(buf, tokenStart)}`);
        let d = buf[++i] - 48;
        while (d >= 0 && d <= 9) {
          index = index * 10 + d;
          d = buf[++i] - 48;
        }
        if (buf[i] !== COLON || index > 0x3fffffff) this.fail(`expected <index>:<value>, got ${tokenAt(buf, tokenStart)}`);
        // The value: NumberScanner.parse's fast path inlined for plain decimals of ≤ 15 digits without
        // exponent (most LETOR values); everything else goes through the scanner itself.
        let j = i + 1;
        let negative = false;
        if (buf[j] === MINUS) {
          negative = true;
          j++;
        }
        let mantissa = 0;
        let digits = 0;
        let exponent = 0;
        d = buf[j] - 48;
        while (d >= 0 && d <= 9) {
          mantissa = mantissa * 10 + d;
          digits++;
          d = buf[++j] - 48;
        }
        if (d === DOT - 48) {
          d = buf[++j] - 48;
          while (d >= 0 && d <= 9) {
            mantissa = mantissa * 10 + d;
            digits++;
            exponent--;
            d = buf[++j] - 48;
          }
        }
        c = buf[j];
        let value: number;
        if (digits > 0 && digits <= 15 && (c === SP || c === LF || c === CR || c === TAB || c === HASH)) {
          value = exponent === 0 ? mantissa : mantissa / POW10[-exponent];
          if (negative) value = -value;
          i = j;
        } else {
          value = scan.parse(buf, i + 1);
          if (!scan.ok || !endsToken(buf[scan.end])) this.fail(`expected <index>:<value> with a numeric value, got ${tokenAt(buf, tokenStart)}`);
          if (!keepNonFinite && !Number.isFinite(value)) this.checkFinite(value, `the value of feature ${index}`);
          i = scan.end;
        }
        const col = index - shift;
        if (col < 0) this.fail(`feature index 0 in a 1-based file (indices start at 1; pass zeroBased for 0-based files)`);
        // lastCol is the running maximum; an index at or below it makes the row need the repeat check
        if (col > lastCol) lastCol = col;
        else increasing = false;
        if (col < width) {
          features[base + col] = value;
        } else {
          if (this.declaredWidth >= 0) {
            this.fail(`feature index ${index} is above the declared feature count ${this.declaredWidth}`);
          }
          this.overflowCols.push(col);
          this.overflowVals.push(value);
        }
      }
      if (!increasing) this.checkRepeats(buf, lineStart, row);
      if (this.overflowCols.length > 0) {
        this.placeOverflow(row);
        features = this.features;
        width = this.width;
        base = row * width;
      }
      if (lastCol >= this.usedWidth) this.usedWidth = lastCol + 1;
      if (this.docIds.length === row) this.docIds.push(null);
      this.rows = row + 1;
      i++; // past the LF
      this.line++;
    }
  }

  /** Reads the qid token at i and starts a new query when it changes; returns the index after it. */
  private readQid(buf: Buffer, i: number, row: number): number {
    const start = i;
    while (!endsToken(buf[i])) i++;
    const len = i - start;
    if (len === 0) this.fail(`expected a query id after qid:, got ${tokenAt(buf, start)}`);
    if (len === this.qidLength && buf.compare(this.qidBytes, 0, len, start, i) === 0) {
      if (this.rowQuery) this.rowQuery[row] = this.currentQuery;
      this.queryLastLine[this.currentQuery] = this.line;
      return i;
    }
    if (len > this.qidBytes.length) this.qidBytes = Buffer.alloc(len * 2);
    buf.copy(this.qidBytes, 0, start, i);
    this.qidLength = len;
    const qid = buf.toString('latin1', start, i);
    const earlier = this.queryIndex.get(qid);
    if (earlier !== undefined) {
      if (!this.options.groupNonContiguous) {
        this.fail(
          `rows of qid ${qid} are not contiguous: its earlier rows end at line ${this.queryLastLine[earlier]} ` +
            `and it reappears at line ${this.line} (pass groupNonContiguous to gather them)`,
        );
      }
      this.regroup = true;
      this.currentQuery = earlier;
    } else {
      this.currentQuery = this.queryIds.length;
      this.queryIndex.set(qid, this.currentQuery);
      this.queryIds.push(qid);
      this.queryStarts.push(row);
      this.queryFirstLine.push(this.line);
    }
    this.queryLastLine[this.currentQuery] = this.line;
    if (this.rowQuery) this.rowQuery[row] = this.currentQuery;
    return i;
  }

  /** Keeps the document id of a `# docid = X …` comment (bytes after the `#` start at i). */
  private readComment(buf: Buffer, i: number): void {
    while (buf[i] === SP || buf[i] === TAB) i++;
    if (buf.compare(DOCID, 0, DOCID.length, i, i + DOCID.length) !== 0) return;
    i += DOCID.length;
    while (buf[i] === SP || buf[i] === TAB) i++;
    if (buf[i] !== 61) return; // '='
    i++;
    while (buf[i] === SP || buf[i] === TAB) i++;
    const start = i;
    while (!endsToken(buf[i]) || buf[i] === HASH) i++;
    if (i === start) return;
    this.docIds.push(buf.toString('utf8', start, i));
    this.anyDocId = true;
  }

  /** Re-reads the indices of a row whose indices are not increasing, to refuse a repeated one. */
  private checkRepeats(buf: Buffer, lineStart: number, row: number): void {
    for (const index of this.indicesOfLine(buf, lineStart)) {
      if (index >= this.seen.length) {
        const grown = new Int32Array(Math.max(index + 1, this.seen.length * 2));
        grown.set(this.seen);
        this.seen = grown;
      }
      if (this.seen[index] === row + 1) this.fail(`feature index ${index} appears twice on this line`);
      this.seen[index] = row + 1;
    }
  }

  /** The feature indices of an already validated line (slow path, rare rows only). */
  private indicesOfLine(buf: Buffer, lineStart: number): number[] {
    const end = buf.indexOf(LF, lineStart);
    const hash = buf.indexOf(HASH, lineStart);
    const text = buf.toString('latin1', lineStart, hash >= 0 && hash < end ? hash : end);
    return text
      .split(/[ \t\r]+/)
      .filter((t) => t.length > 0)
      .slice(this.hasQid ? 2 : 1)
      .map((t) => parseInt(t, 10));
  }

  /**
   * Widens the matrix so the pending entries of row `row` fit, then writes them. Widening copies the
   * rows so far into a new `capacityRows × width` array; past the first rows it adds 10% slack so a
   * slowly growing max index does not copy the matrix again and again (trimmed in `finish`).
   */
  private placeOverflow(row: number): void {
    let maxCol = 0;
    for (const c of this.overflowCols) maxCol = Math.max(maxCol, c);
    const needed = maxCol + 1;
    if (needed > this.width) {
      const newWidth = row < 1024 || this.width === 0 ? needed : Math.max(needed, Math.ceil(this.width * 1.1));
      const grown = new Float32Array(this.capacityRows * newWidth);
      const old = this.features;
      const w = this.width;
      for (let r = 0; r <= row; r++) grown.set(old.subarray(r * w, r * w + w), r * newWidth);
      this.features = grown;
      this.width = newWidth;
    }
    const base = row * this.width;
    for (let k = 0; k < this.overflowCols.length; k++) this.features[base + this.overflowCols[k]] = this.overflowVals[k];
    this.overflowCols.length = 0;
    this.overflowVals.length = 0;
  }

  /** This parser's result as a part (for a worker thread to post back). */
  part(): LetorPart {
    const { rows, line, width, usedWidth, features, labels, modeKnown, hasQid, queryIds, queryStarts, queryFirstLine, queryLastLine, docIds, anyDocId } = this;
    return { rows, line, width, usedWidth, features, labels, modeKnown, hasQid, queryIds, queryStarts, queryFirstLine, queryLastLine, docIds, anyDocId };
  }

  /**
   * Appends a part parsed by a worker from the lines right after this parser's. Returns false, and
   * changes nothing, unless the part continues this file cleanly: same grouping mode, fits the current
   * width, and no qid of the part was already seen here (except the query running across the seam).
   * The caller then parses those lines itself, which gives the canonical error or regrouping.
   */
  appendPart(p: LetorPart): boolean {
    if (p.rows === 0) {
      this.line = p.line;
      return true;
    }
    if (!this.modeKnown || p.hasQid !== this.hasQid || p.usedWidth > this.width || this.rowQuery) return false;
    const continues = this.hasQid && p.queryIds[0] === this.queryIds[this.currentQuery];
    for (let k = continues ? 1 : 0; k < p.queryIds.length; k++) if (this.queryIndex.has(p.queryIds[k])) return false;

    const base = this.rows;
    for (let k = 0; k < p.queryIds.length; k++) {
      if (k === 0 && continues) {
        this.queryLastLine[this.currentQuery] = p.queryLastLine[0];
        continue;
      }
      this.currentQuery = this.queryIds.length;
      this.queryIndex.set(p.queryIds[k], this.currentQuery);
      this.queryIds.push(p.queryIds[k]);
      this.queryStarts.push(base + p.queryStarts[k]);
      this.queryFirstLine.push(p.queryFirstLine[k]);
      this.queryLastLine.push(p.queryLastLine[k]);
    }
    if (this.hasQid) {
      this.qidBytes = Buffer.from(this.queryIds[this.currentQuery], 'latin1');
      this.qidLength = this.qidBytes.length;
    }
    const w = this.width;
    if (p.width === w) {
      this.features.set(p.features.subarray(0, p.rows * w), base * w);
    } else {
      for (let r = 0; r < p.rows; r++) this.features.set(p.features.subarray(r * p.width, r * p.width + p.usedWidth), (base + r) * w);
    }
    this.labels.set(p.labels.subarray(0, p.rows), base);
    this.docIds = this.docIds.concat(p.docIds);
    this.anyDocId ||= p.anyDocId;
    this.usedWidth = Math.max(this.usedWidth, p.usedWidth);
    this.rows += p.rows;
    this.line = p.line;
    return true;
  }

  /** The matrix at its final width `nFeatures` (in place when the stride had slack). */
  finishFeatures(nFeatures: number): Float32Array {
    const n = this.rows;
    const w = this.width;
    const f = this.features;
    if (w !== nFeatures) {
      for (let r = 1; r < n; r++) f.copyWithin(r * nFeatures, r * w, r * w + nFeatures);
    }
    const used = n * nFeatures;
    return used === f.length ? f : f.subarray(0, used);
  }
}

/**
 * Counts lines (LF-terminated, plus a last unterminated one) and finds where a second thread could
 * start: the first line beginning at or after the middle byte (`splitByte`, with `linesBefore` lines
 * before it; `splitByte` is 0 when there is no such line).
 */
async function countLines(path: string, chunkBytes: number): Promise<{ lines: number; bytes: number; splitByte: number; linesBefore: number }> {
  const fh = await fsp.open(path, 'r');
  try {
    const middle = Math.floor((await fh.stat()).size / 2);
    const buf = Buffer.allocUnsafe(chunkBytes);
    let lines = 0;
    let bytes = 0;
    let last = LF;
    let splitByte = 0;
    let linesBefore = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, bytes);
      if (bytesRead === 0) break;
      let p = buf.indexOf(LF, 0);
      while (p >= 0 && p < bytesRead) {
        lines++;
        if (splitByte === 0 && bytes + p + 1 >= middle) {
          splitByte = bytes + p + 1;
          linesBefore = lines;
        }
        p = buf.indexOf(LF, p + 1);
      }
      last = buf[bytesRead - 1];
      bytes += bytesRead;
    }
    if (last !== LF) lines++;
    if (splitByte >= bytes) splitByte = 0;
    return { lines, bytes, splitByte, linesBefore };
  } finally {
    await fh.close();
  }
}

/**
 * Feeds the lines of bytes `start .. end` of a file to a parser, `chunkBytes` at a time; a last line
 * without LF (at the end of the file) gets one. `onBytes(done)` reports bytes consumed so far.
 */
async function parseRange(path: string, parser: LetorParser, start: number, end: number, chunkBytes: number, onBytes: (done: number) => void): Promise<void> {
  const fh = await fsp.open(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(chunkBytes);
    let filled = 0;
    let position = start;
    for (;;) {
      if (filled === buf.length) {
        // one line longer than the buffer: make room for it
        const grown = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(grown, 0, 0, filled);
        buf = grown;
      }
      const { bytesRead } = await fh.read(buf, filled, Math.min(buf.length - filled, end - position), position);
      position += bytesRead;
      filled += bytesRead;
      if (bytesRead === 0) {
        if (filled > 0) {
          if (filled === buf.length) {
            const grown = Buffer.allocUnsafe(buf.length + 1);
            buf.copy(grown, 0, 0, filled);
            buf = grown;
          }
          buf[filled++] = LF;
          parser.parseLines(buf, 0, filled);
        }
        break;
      }
      const stop = buf.lastIndexOf(LF, filled - 1) + 1;
      if (stop > 0) {
        parser.parseLines(buf, 0, stop);
        buf.copy(buf, 0, stop, filled);
        filled -= stop;
      }
      onBytes(position - filled - start);
    }
  } finally {
    await fh.close();
  }
}

/** Worker-thread side: parses one part of a file with its own parser (see letorWorker.ts). */
export async function parseLetorPart(job: LetorPartJob, onBytes: (done: number) => void): Promise<LetorPart> {
  const parser = new LetorParser(job.path, job.lines, job.options, job.groupFile);
  parser.line = job.firstLine;
  await parseRange(job.path, parser, job.start, job.end, job.chunkBytes, onBytes);
  return parser.part();
}

/**
 * Code that starts letorWorker in a thread: the compiled `.js` as is; from TypeScript sources (tsx,
 * jest) through tsx's require hook, which worker threads do not inherit.
 */
function workerEntry(): string {
  const file = pathJoin(__dirname, `letorWorker${extname(__filename)}`);
  const hook = extname(__filename) === '.ts' ? `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register();` : '';
  return `${hook} require(${JSON.stringify(file)});`;
}

/**
 * Runs `parseLetorPart` in a worker thread. Resolves to null when the worker cannot start (e.g. a
 * test runner that cannot load TypeScript in workers) or its part fails to parse: the caller then
 * parses those lines itself, so errors come out exactly as in a single-threaded read.
 */
function parseInWorker(job: LetorPartJob, onBytes: (done: number) => void): Promise<LetorPart | null> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(workerEntry(), { eval: true, workerData: job });
    } catch {
      resolve(null);
      return;
    }
    let settled = false;
    const finish = (part: LetorPart | null) => {
      if (settled) return;
      settled = true;
      resolve(part);
      void worker.terminate();
    };
    worker.on('message', (m: { done?: number; part?: LetorPart; error?: string }) => {
      if (m.done !== undefined) onBytes(m.done);
      else finish(m.part ?? null);
    });
    worker.on('error', () => finish(null));
    worker.on('exit', () => finish(null));
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch {
    return false;
  }
}

/** Group sizes of a `.query` file: one positive integer per line (blank lines ignored). */
async function readQueryFile(path: string): Promise<number[]> {
  const text = await fsp.readFile(path, 'latin1');
  const sizes: number[] = [];
  text.split('\n').forEach((raw, k) => {
    const t = raw.trim();
    if (t === '') return;
    if (!/^\d+$/.test(t) || Number(t) === 0) throw new DataError(path, k + 1, `expected a positive integer group size, got '${t.slice(0, 40)}'`);
    sizes.push(Number(t));
  });
  return sizes;
}

/**
 * Reads a LETOR / SVMlight file into a RankingDataset (one label column, `labelName`; features
 * `f1..fN`; queryIds the qid strings, or the group index as a string for `.query` groups; docIds when
 * at least one row has `# docid = X`, with `null` for rows without one).
 *
 * Example: the two lines `2 qid:7 1:0.5 3:1 # docid = d1` and `0 qid:7 2:0.25` give nFeatures 3,
 * features [0.5, 0, 1, 0, 0.25, 0], labels [[2, 0]], queryOffsets [0, 2], queryIds ['7'], docIds ['d1', null].
 *
 * Throws DataError(file, line, …) for anything it cannot read as stated; nothing is silently dropped.
 */
export async function readLetor(path: string, options: LetorReadOptions = {}): Promise<RankingDataset> {
  const onProgress = options.onProgress ?? noProgress;
  if (options.nFeatures !== undefined && !(Number.isInteger(options.nFeatures) && options.nFeatures >= 0)) {
    throw new DataError(path, null, `nFeatures must be a non-negative integer, got ${options.nFeatures}`);
  }
  const chunkBytes = Math.max(16, options.chunkBytes ?? READ_CHUNK);
  const { lines, bytes, splitByte, linesBefore } = await countLines(path, chunkBytes);
  const queryFile = options.queryFile ?? ((await exists(`${path}.query`)) ? `${path}.query` : undefined);
  const parser = new LetorParser(path, lines, options, queryFile);

  // Regrouping needs every row's query in one place, so it stays single-threaded.
  const threads = options.threads ?? (bytes >= PARALLEL_READ_BYTES ? 2 : 1);
  const split = threads >= 2 && splitByte > 0 && !options.groupNonContiguous ? splitByte : bytes;
  let doneHere = 0;
  let doneThere = 0;
  const report = () => onProgress({ stage: 'read', done: doneHere + doneThere, total: bytes });
  const { zeroBased, nFeatures: declared, nonFinite } = options;
  const workerOptions = { zeroBased, nFeatures: declared, nonFinite, queryFile: options.queryFile };
  const second =
    split < bytes
      ? parseInWorker(
          { path, start: split, end: bytes, firstLine: linesBefore + 1, lines: lines - linesBefore, options: workerOptions, groupFile: queryFile, chunkBytes },
          (done) => ((doneThere = done), report()),
        )
      : null;
  await parseRange(path, parser, 0, split, chunkBytes, (done) => ((doneHere = done), report()));
  let threadsUsed = 1;
  if (second) {
    const part = await second;
    if (part && parser.appendPart(part)) {
      threadsUsed = 2;
    } else {
      doneThere = 0;
      await parseRange(path, parser, split, bytes, chunkBytes, (done) => ((doneHere = split + done), report()));
    }
  }
  // the last event says the whole file was read, once (the parts may already have said so)
  if (doneHere + doneThere !== bytes) onProgress({ stage: 'read', done: bytes, total: bytes });

  const nDocs = parser.rows;
  if (nDocs === 0) throw new DataError(path, null, 'no data rows (expected lines of the form `label qid:Q i:v …`)');

  let queryOffsets: Int32Array;
  let queryIds: string[];
  let order: Int32Array | null = null;
  if (parser.hasQid) {
    queryIds = parser.queryIds;
    if (parser.regroup && parser.rowQuery) {
      ({ queryOffsets, order } = gatherQueries(parser.rowQuery.subarray(0, nDocs), queryIds.length));
    } else {
      queryOffsets = Int32Array.from([...parser.queryStarts, nDocs]);
    }
  } else if (queryFile !== undefined) {
    // (the parser refused a first row without qid: when there is no group file)
    const sizes = await readQueryFile(queryFile);
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== nDocs) {
      throw new DataError(queryFile, null, `group sizes sum to ${total} but ${path} has ${nDocs} rows`);
    }
    queryOffsets = new Int32Array(sizes.length + 1);
    sizes.forEach((s, q) => (queryOffsets[q + 1] = queryOffsets[q] + s));
    queryIds = sizes.map((_, q) => String(q));
  } else {
    throw new DataError(path, null, 'lines have no qid: and there is no .query file');
  }

  const nFeatures = options.nFeatures ?? parser.usedWidth;
  const features = parser.finishFeatures(nFeatures);
  let labels = parser.labels.length === nDocs ? parser.labels : parser.labels.slice(0, nDocs);
  let docIds = parser.anyDocId ? parser.docIds : undefined;
  if (order) {
    permuteRows(features, nFeatures, order);
    const permuted = new Float32Array(nDocs);
    for (let r = 0; r < nDocs; r++) permuted[r] = labels[order[r]];
    labels = permuted;
    if (docIds) {
      const ids = docIds;
      docIds = Array.from(order, (r) => ids[r]);
    }
  }
  const ds: RankingDataset = {
    features,
    nFeatures,
    featureNames: defaultFeatureNames(nFeatures),
    queryOffsets,
    queryIds,
    labelNames: [options.labelName ?? 'relevance'],
    labels: [labels],
    ...(docIds ? { docIds } : {}),
    metadata: { source: path, format: 'letor', threads: threadsUsed, ...(queryFile && !parser.hasQid ? { queryFile } : {}) },
  };
  validateDataset(ds);
  return ds;
}

/**
 * Stable grouping of rows by query: `order[k]` is the source row of output row k (queries in order of
 * first appearance, rows of one query in file order).
 */
function gatherQueries(rowQuery: Int32Array, nQueries: number): { queryOffsets: Int32Array; order: Int32Array } {
  const queryOffsets = new Int32Array(nQueries + 1);
  for (let r = 0; r < rowQuery.length; r++) queryOffsets[rowQuery[r] + 1]++;
  for (let q = 0; q < nQueries; q++) queryOffsets[q + 1] += queryOffsets[q];
  const next = queryOffsets.slice(0, nQueries);
  const order = new Int32Array(rowQuery.length);
  for (let r = 0; r < rowQuery.length; r++) order[next[rowQuery[r]]++] = r;
  return { queryOffsets, order };
}

/**
 * Reorders the rows of a row-major matrix in place so that new row k is old row `order[k]`,
 * following the permutation's cycles with one row of scratch space (no second matrix).
 */
function permuteRows(m: Float32Array, width: number, order: Int32Array): void {
  const n = order.length;
  const done = new Uint8Array(n);
  const tmp = new Float32Array(width);
  for (let s = 0; s < n; s++) {
    if (done[s] || order[s] === s) continue;
    tmp.set(m.subarray(s * width, s * width + width));
    let j = s;
    for (;;) {
      done[j] = 1;
      const k = order[j];
      if (k === s) {
        m.set(tmp, j * width);
        break;
      }
      m.copyWithin(j * width, k * width, k * width + width);
      j = k;
    }
  }
}

/**
 * The shortest decimal text that reads back (parseFloat, then Math.fround) to the float32 `v`.
 * Six significant digits always survive a float32 round trip the other way, so when the shortest
 * form has ≤ 6 digits, `toPrecision(6)` is it padded with zeros; otherwise 7, 8 or 9 digits.
 */
export function formatFloat32(v: number): string {
  const f = Math.fround(v);
  if (Number.isInteger(f) && Math.abs(f) < 2 ** 24) return String(f);
  if (!Number.isFinite(f)) return String(f);
  for (let p = 6; p <= 9; p++) {
    const s = trimZeros(f.toPrecision(p));
    if (Math.fround(parseFloat(s)) === f) return s;
  }
  return String(f);
}

/** Drops trailing zeros of the mantissa of a toPrecision result ("0.500000" → "0.5", "1.20e-7" → "1.2e-7"). */
function trimZeros(s: string): string {
  const e = s.indexOf('e');
  let mantissa = e >= 0 ? s.slice(0, e) : s;
  if (mantissa.includes('.')) mantissa = mantissa.replace(/\.?0+$/, '');
  return e >= 0 ? mantissa + s.slice(e) : mantissa;
}

/**
 * Writes a dataset as LETOR text: `label qid:Q 1:v … nF:v #docid = X` per row, grouped by query,
 * LF line endings, values in the shortest text that reads back to the same float32 (so
 * `readLetor(writeLetor(ds))` is bit-exact). The label is `ds.labels[labelIndex ?? 0]`. Written
 * atomically (a temporary sibling, renamed when complete): a full disk leaves no partial file, and
 * the error names `path`.
 */
export async function writeLetor(ds: RankingDataset, path: string, options: LetorWriteOptions = {}): Promise<void> {
  validateDataset(ds);
  const labelIndex = options.labelIndex ?? 0;
  const labels = ds.labels[labelIndex];
  if (!labels) throw new DataError(path, null, `labelIndex ${labelIndex} is out of range (the dataset has ${ds.labels.length} label columns)`);
  ds.queryIds.forEach((q) => {
    if (q === '' || /[\s#]/.test(q)) throw new DataError(path, null, `query id '${q}' cannot be written after qid: (empty, or holds whitespace or #)`);
  });
  await writeStreamAtomic(path, async (out) => {
    const nQ = ds.queryOffsets.length - 1;
    let text = '';
    for (let q = 0; q < nQ; q++) {
      const qid = ds.queryIds[q];
      for (let r = ds.queryOffsets[q]; r < ds.queryOffsets[q + 1]; r++) {
        text += letorLine(ds, labels, r, qid, options.sparse === true, path) + '\n';
        if (text.length > 1 << 20) {
          await out.write(text);
          text = '';
        }
      }
    }
    await out.write(text);
  });
}

/** One row as LETOR text (without the line feed). */
function letorLine(ds: RankingDataset, labels: Float32Array, r: number, qid: string, sparse: boolean, path: string): string {
  const nF = ds.nFeatures;
  let line = `${formatFloat32(labels[r])} qid:${qid}`;
  const base = r * nF;
  for (let j = 0; j < nF; j++) {
    const v = ds.features[base + j];
    if (sparse && v === 0 && j < nF - 1) continue;
    line += ` ${j + 1}:${formatFloat32(v)}`;
  }
  const id = ds.docIds?.[r];
  if (id !== null && id !== undefined) {
    if (/[\r\n]/.test(id)) throw new DataError(path, null, `document id of row ${r} holds a line break`);
    line += ` #docid = ${id}`;
  }
  return line;
}
