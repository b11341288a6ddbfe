/**
 * The LETOR / SVMlight line parser: turns complete lines of bytes into rows of a growing float32
 * matrix, labels, query groups and document ids, checking every token (see `readLetor` for the format).
 *
 * Memory: the matrix is allocated once at `capacityRows × width` (the caller counted the lines); its
 * pages are only touched as rows are written. A row with an index beyond the current width is held
 * aside and the matrix widened when the row ends.
 */
import { DataError } from '../util/errors';
import { labelProblem } from './grades';
import * as bytes from './letorBytes';
import type { LetorReadOptions } from './letorOptions';
import { DEFAULT_MAX_FEATURES, MAX_MATRIX_ELEMENTS, denseTableProblem, finite32, nonFiniteMessage, sparseTableLimit, tooManyFeaturesMessage } from './readLimits';

// Module-local copies: an imported binding compiled to CommonJS is a getter call at every use, which
// in the per-byte loops below costs more than the parsing itself.
const { COLON, CR, DOCID, DOT, HASH, LF, MINUS, NumberScanner, POW10, SP, TAB, endsToken, hasBareCr, tokenAt } = bytes;

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

/**
 * Parses complete lines into a growing dataset. `parseLines(buf, start, end)` takes bytes that end
 * with a line feed (`buf[end − 1] === 10`), so inner loops stop at LF without bound checks.
 */
export class LetorParser {
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
  /** Set by `readFeatures` for `finishRow`: the row's largest column and whether its indices increase. */
  private rowLastCol = -1;
  private rowIncreasing = true;
  private readonly keepNonFinite: boolean;
  private readonly grades: boolean;
  private readonly maxFeatures: number;
  private readonly acceptUnsorted: boolean;
  /** Largest dense table (elements) before an explicit maxFeatures is needed (`sparseTableLimit`). */
  private readonly sparseLimit: number;

  constructor(
    private readonly file: string,
    private readonly capacityRows: number,
    private readonly options: LetorReadOptions,
    /** The `.query` file groups come from when lines have no qid (undefined: none exists). */
    private readonly groupFile: string | undefined,
    /** Size of the whole file (not just the part this parser reads): bounds the dense table. */
    private readonly fileBytes: number,
  ) {
    this.columnShift = options.zeroBased ? 0 : 1;
    this.keepNonFinite = options.nonFinite === 'keep';
    this.grades = options.grades === true;
    this.maxFeatures = options.maxFeatures ?? DEFAULT_MAX_FEATURES;
    this.acceptUnsorted = options.unsortedIndices === true;
    this.sparseLimit = options.maxFeatures === undefined ? sparseTableLimit(fileBytes) : Infinity;
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

  /** Refuses a value that is NaN or ±Infinity once stored as float32 (the `nonFinite` policy). */
  private checkFinite(v: number, what: string, buf: Buffer, tokenStart: number): void {
    if (!finite32(v)) this.fail(nonFiniteMessage(what, v, tokenAt(buf, tokenStart).slice(1, -1)));
  }

  /** A carriage return not followed by a line feed: refused (a CR-only file would otherwise read as one line). */
  private bareCr(): never {
    this.fail('a carriage return (CR) inside a line: lines must end with LF or CRLF (is this a file with old Mac CR-only line endings? convert them to LF)');
  }

  /** Index of the LF ending the comment or blank rest of a line starting at i, refusing a bare CR in it. */
  private endOfComment(buf: Buffer, i: number): number {
    const lf = buf.indexOf(LF, i);
    const cr = buf.indexOf(CR, i);
    if (cr >= 0 && cr < lf && hasBareCr(buf, cr, lf)) this.bareCr();
    return lf;
  }

  /** Parses the complete lines of `buf[start .. end)` (which ends with LF), one row per data line. */
  parseLines(buf: Buffer, start: number, end: number): void {
    let i = start;
    // a UTF-8 byte order mark before the first line is not data (CSV readers drop it too)
    if (this.line === 1 && this.rows === 0 && buf[i] === 0xef && buf[i + 1] === 0xbb && buf[i + 2] === 0xbf) i += 3;
    while (i < end) {
      let c = buf[i];
      while (c === SP || c === TAB || c === CR) {
        if (c === CR && buf[i + 1] !== LF) this.bareCr();
        c = buf[++i];
      }
      if (c === LF || c === HASH) {
        // blank or comment-only line: not a row
        i = this.endOfComment(buf, i) + 1;
      } else {
        i = this.parseRow(buf, i) + 1; // past the LF
      }
      this.line++;
    }
  }

  /** Parses the data line starting at i (label, group, features, comment); returns the index of its LF. */
  private parseRow(buf: Buffer, i: number): number {
    if (this.rows >= this.capacityRows) this.fail('more rows than lines counted (was the file changed while reading?)');
    const lineStart = i;
    const row = this.rows;
    i = this.readLabel(buf, i, row);
    i = this.readGroup(buf, i, row);
    i = this.readFeatures(buf, i, row);
    this.finishRow(buf, lineStart, row);
    return i;
  }

  /** The label at i; returns the index of the next token. */
  private readLabel(buf: Buffer, i: number, row: number): number {
    const scan = this.scan;
    const label = scan.parse(buf, i);
    if (!scan.ok || !endsToken(buf[scan.end]) || buf[scan.end] === HASH) {
      this.fail(`expected a numeric label at the start of the line, got ${tokenAt(buf, i)}`);
    }
    if (!this.keepNonFinite) this.checkFinite(label, 'the label', buf, i);
    const problem = labelProblem(label, this.grades);
    if (problem !== null) this.fail(problem);
    this.labels[row] = label;
    i = scan.end;
    let c = buf[i];
    while (c === SP || c === TAB || c === CR) {
      if (c === CR && buf[i + 1] !== LF) this.bareCr();
      c = buf[++i];
    }
    return i;
  }

  /** The `qid:` token at i when lines carry one (the first row decides); returns the index after it. */
  private readGroup(buf: Buffer, i: number, row: number): number {
    const qidHere = buf[i] === 113 && buf[i + 1] === 105 && buf[i + 2] === 100 && buf[i + 3] === COLON;
    if (!this.modeKnown) this.decideGroups(qidHere);
    if (qidHere) {
      if (!this.hasQid) this.fail(`unexpected qid: on this line; earlier lines have none (groups come from the .query file)`);
      return this.readQid(buf, i + 4, row);
    }
    if (this.hasQid) this.fail(`expected qid:<id> after the label, got ${tokenAt(buf, i)}`);
    return i;
  }

  /**
   * The `index:value` tokens from i to the end of the line (and a trailing comment); returns the index
   * of the line's LF. Sets `rowLastCol` (the largest column) and `rowIncreasing` for `finishRow`.
   */
  private readFeatures(buf: Buffer, i: number, row: number): number {
    const scan = this.scan;
    const shift = this.columnShift;
    const features = this.features;
    const width = this.width;
    const base = row * width;
    let lastCol = -1;
    let increasing = true;
    let c: number;
    for (;;) {
      c = buf[i];
      while (c === SP || c === TAB || c === CR) {
        if (c === CR && buf[i + 1] !== LF) this.bareCr();
        c = buf[++i];
      }
      if (c === LF) break;
      if (c === HASH) {
        this.readComment(buf, i + 1);
        i = this.endOfComment(buf, i);
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
      if (buf[i] !== COLON) this.fail(`expected <index>:<value>, got ${tokenAt(buf, tokenStart)}`);
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
        if (!this.keepNonFinite) this.checkFinite(value, `the value of feature ${index}`, buf, i + 1);
        i = scan.end;
      }
      const col = index - shift;
      if (col < 0) this.fail(`feature index 0 in a 1-based file (indices start at 1; pass zeroBased for 0-based files)`);
      // lastCol is the running maximum; an index at or below it makes the row need the repeat check
      if (col > lastCol) lastCol = col;
      else increasing = false;
      if (col < width) features[base + col] = value;
      else this.holdOverflow(index, col, value);
    }
    this.rowLastCol = lastCol;
    this.rowIncreasing = increasing;
    return i;
  }

  /** An entry beyond the current width: refused above a declared width, else placed when the row ends. */
  private holdOverflow(index: number, col: number, value: number): void {
    if (this.declaredWidth >= 0) this.fail(`feature index ${index} is above the declared feature count ${this.declaredWidth}`);
    if (col >= this.maxFeatures) this.fail(tooManyFeaturesMessage(`feature index ${index}`, this.maxFeatures));
    this.overflowCols.push(col);
    this.overflowVals.push(value);
  }

  /** Checks repeats in an unordered row, places held entries, and records the row. */
  private finishRow(buf: Buffer, lineStart: number, row: number): void {
    if (!this.rowIncreasing) {
      if (!this.acceptUnsorted) this.refuseUnsorted(buf, lineStart);
      this.checkRepeats(buf, lineStart, row);
    }
    if (this.overflowCols.length > 0) this.placeOverflow(row);
    if (this.rowLastCol >= this.usedWidth) this.usedWidth = this.rowLastCol + 1;
    if (this.docIds.length === row) this.docIds.push(null);
    this.rows = row + 1;
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

  /** Names the first index that does not increase (SVMlight requires increasing indices along a line). */
  private refuseUnsorted(buf: Buffer, lineStart: number): never {
    const indices = this.indicesOfLine(buf, lineStart);
    let k = 1;
    while (k < indices.length && indices[k] > indices[k - 1]) k++;
    const [before, after] = [indices[k - 1], indices[k]];
    this.fail(
      before === after
        ? `feature index ${after} appears twice on this line`
        : `feature index ${after} follows ${before}: indices must increase along a line (unsortedIndices / --unsorted-indices accepts them)`,
    );
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
      const problem = denseTableProblem(maxCol + this.columnShift, this.capacityRows, needed, this.sparseLimit, this.fileBytes);
      if (problem !== null) this.fail(problem);
      const slack = row < 1024 || this.width === 0 ? needed : Math.max(needed, Math.ceil(this.width * 1.1));
      // the slack never takes the table past a limit the needed width respects
      const fits = Math.floor(Math.min(this.sparseLimit, MAX_MATRIX_ELEMENTS) / this.capacityRows);
      const newWidth = Math.min(slack, Math.max(needed, this.maxFeatures), Math.max(needed, fits));
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
