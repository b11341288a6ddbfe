/**
 * The fast path for JSON request bodies of the documented shape
 *
 *     {"documents": [{"id": "a", "features": [0.5, 1, …]}, …], "weights": …, …}
 *
 * A byte scanner that writes every feature straight into the model-input Float32Array, without a JS
 * value per number (`JSON.parse` of a 1,000 × 136 body builds 136,000 numbers in 1,000 arrays and takes
 * most of a request's time). Fields other than `documents` are small: each is cut out and parsed with
 * `JSON.parse`.
 *
 * Anything outside that shape or not valid — an escape in an id is fine, but a string among the
 * numbers, a wrong length, an unknown field, a non-canonical sparse key, a number out of float32 range,
 * invalid JSON — makes the scanner give up (`null`): the caller then parses the body with `JSON.parse`
 * and the general validation (documents.ts), so every refusal carries the general path's message. The
 * scanner refuses by itself only what bounds the work before it is done: a list longer than the limit
 * and a sparse map with more keys than the model has features; and what the general path refuses with
 * the same words (bodyText.ts) where the scanner meets it anyway: a key given twice (top level, document,
 * sparse map, option value), which `JSON.parse` would silently collapse to its last value, and bytes that
 * are not UTF-8 in the strings it decodes.
 */
import { NUMBER, scanNumber } from './jsonNumber';
import { base64Length, copyRow, decodeBase64Bytes, DEFAULT_MAX_VALUES, duplicateId, tooManyDocuments, tooManyKeys, tooManyValues, type FeatureLayout } from './documents';
import { arrayCapacity, freshArrays, type FloatArrays } from './bufferPool';
import { checkDuplicateKeys, decodeUtf8, givenTwice } from './bodyText';

/** A scanned request: `n` documents' model input, their ids, and the other fields, each parsed. */
export interface ScannedRequest {
  n: number;
  input: Float32Array;
  ids: (string | number)[];
  /** Every field but `documents` (a prototype-free record: `__proto__` is an ordinary unknown field here). */
  fields: Record<string, unknown>;
}

/** Thrown inside the scanner to give up; caught in `scanRequest` (one shared object: no stack to build). */
const GIVE_UP = { giveUp: true };

/** Document fields, as `documentKey` names them. */
const ID = 0;
const FEATURES = 1;
const FEATURES_KEY = Buffer.from('"features"');

/**
 * The documents of a body's second half, scanned by another thread while this one scans the first:
 * positions are offsets in the whole body (or in the half, as `scanTail` returns them); `rows` holds
 * `count` rows of the model input.
 */
export interface TailDocuments {
  /** Where the first of them starts (its `{`), and where the documents array ends (its `]`). */
  start: number;
  end: number;
  count: number;
  rows: Float32Array;
  /** Where each document's id value starts (re-read here: ids are values of this thread). */
  idStarts: Int32Array;
}

/** How a scan gets the documents of the body from byte `from` on, scanned elsewhere (null: none, scan them here). */
export interface TailHelp {
  from: number;
  wait(): TailDocuments | null;
}

/**
 * Scans `body` into a matrix taken from `arrays`; `null` when the general path must take it (see the
 * module comment). With `tail`, the documents from `tail.from` on are taken from another thread's scan
 * when it starts exactly at a document this scan reaches — the result is the same either way.
 */
export function scanRequest(body: Uint8Array, layout: FeatureLayout, maxDocuments: number, maxValues = DEFAULT_MAX_VALUES, arrays: FloatArrays = freshArrays, tail?: TailHelp): ScannedRequest | null {
  const scanner = new Scanner(body, layout, Math.min(maxDocuments, Math.floor(maxValues / layout.rawFeatureCount)), maxDocuments, maxValues, arrays, tail);
  try {
    return scanner.request();
  } catch (err) {
    scanner.dispose();
    if (err === GIVE_UP) return null;
    throw err;
  }
}

/**
 * The documents of `bytes` (a body's second half, splitScan.ts) from the document starting at `start` to
 * the end of the documents array, at most `maxRows`; positions relative to `bytes`. Null when anything on
 * the way is unusual or invalid (the first half's scan then reads them).
 */
export function scanTail(bytes: Uint8Array, start: number, layout: FeatureLayout, maxRows: number, arrays: FloatArrays): TailDocuments | null {
  const scanner = new Scanner(bytes, layout, maxRows, maxRows, Infinity, arrays);
  try {
    return scanner.tailDocuments(start);
  } catch {
    scanner.dispose();
    return null;
  }
}

class Scanner {
  private pos = 0;
  /** Where the last document's id value started (for `tailDocuments`). */
  private idStart = 0;
  private rows = 0;
  private input: Float32Array;
  /** Per raw feature, the last document (+1) that set it by a sparse key: finds duplicates in O(1). */
  private readonly stamp: Int32Array;
  private readonly scratch: Float32Array;
  /** The bytes of `scratch`, where base64 rows are decoded. */
  private readonly scratchBytes: Buffer;
  /** The body as latin1 text, for numbers too long for the fast path (made on first need). */
  private text: string | undefined;
  /** The body as a Buffer (for its string decoders), made once rather than per string. */
  private readonly bytes: Buffer;

  constructor(
    private readonly buf: Uint8Array,
    private readonly layout: FeatureLayout,
    /** Documents read at most: the smaller of the two limits below. */
    private readonly maxRows: number,
    private readonly maxDocuments: number,
    private readonly maxValues: number,
    private readonly arrays: FloatArrays,
    /** Another thread's scan of the second half (consulted once, at the first document at or past `from`). */
    private tail?: TailHelp,
  ) {
    this.rows = 64;
    this.input = arrays.floats(this.rows * layout.width);
    this.stamp = new Int32Array(layout.rawFeatureCount);
    this.scratch = new Float32Array(layout.rawFeatureCount);
    this.scratchBytes = Buffer.from(this.scratch.buffer);
    this.bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  request(): ScannedRequest {
    const fields: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    let ids: (string | number)[] | null = null;
    this.expect(0x7b); // {
    if (this.peek() === 0x7d) throw GIVE_UP;
    for (;;) {
      const key = this.string();
      this.expect(0x3a); // :
      if (key === 'documents' ? ids !== null : key in fields) throw givenTwice(key);
      if (key === 'documents') ids = this.documents();
      else fields[key] = this.value(key);
      const c = this.next();
      if (c === 0x7d) break;
      if (c !== 0x2c) throw GIVE_UP;
    }
    this.skipSpace();
    if (this.pos !== this.buf.length || ids === null) throw GIVE_UP;
    return { n: ids.length, input: this.input.subarray(0, ids.length * this.layout.width), ids, fields };
  }

  private documents(): (string | number)[] {
    const ids: (string | number)[] = [];
    const seen = new Set<string | number>();
    this.expect(0x5b); // [
    if (this.peek() === 0x5d) throw GIVE_UP;
    for (;;) {
      if (this.tail !== undefined && this.takeTail(ids, seen)) return ids;
      if (ids.length >= this.maxRows) {
        throw ids.length >= this.maxDocuments ? tooManyDocuments('documents', this.maxDocuments) : tooManyValues('documents', this.maxValues, this.layout.rawFeatureCount);
      }
      const d = ids.length;
      const id = this.document(d);
      if (seen.has(id)) throw duplicateId(`documents[${d}].id`, id);
      seen.add(id);
      ids.push(id);
      const c = this.next();
      if (c === 0x5d) return ids;
      if (c !== 0x2c) throw GIVE_UP;
    }
  }

  /**
   * At the first document at or past `tail.from`: waits for the other thread's scan; if it starts at this
   * very document (so it read exactly what this scan would) and fits the limits, its rows and ids become
   * documents d… and the scan goes on at the array's end (true). Otherwise this scan reads on (false).
   */
  private takeTail(ids: (string | number)[], seen: Set<string | number>): boolean {
    this.skipSpace();
    const help = this.tail as TailHelp;
    if (this.pos < help.from) return false;
    const got = help.wait();
    if (got !== null && this.pos < got.start) return false; // it starts at a later document: read on to it
    this.tail = undefined;
    if (got === null || this.pos !== got.start) return false; // none, or it started inside a document
    const d0 = ids.length;
    if (d0 + got.count > this.maxRows) return false; // this scan reaches the limit and says so
    while (this.rows < d0 + got.count) this.grow();
    const width = this.layout.width;
    this.input.set(got.rows.subarray(0, got.count * width), d0 * width);
    for (let k = 0; k < got.count; k++) {
      this.pos = got.idStarts[k];
      const id = this.id();
      if (seen.has(id)) throw duplicateId(`documents[${d0 + k}].id`, id);
      seen.add(id);
      ids.push(id);
    }
    this.pos = got.end;
    if (this.next() !== 0x5d) throw GIVE_UP;
    return true;
  }

  /** Documents from `start` to the end of their array (scanTail); positions relative to this buffer. */
  tailDocuments(start: number): TailDocuments {
    this.pos = start;
    const idStarts: number[] = [];
    for (;;) {
      if (idStarts.length >= this.maxRows) throw GIVE_UP;
      this.document(idStarts.length);
      idStarts.push(this.idStart);
      const c = this.next();
      if (c === 0x5d) return { start, end: this.pos - 1, count: idStarts.length, rows: this.input, idStarts: Int32Array.from(idStarts) };
      if (c !== 0x2c) throw GIVE_UP;
    }
  }

  /** One `{"id": …, "features": …}` into row d; returns the id. */
  private document(d: number): string | number {
    if (d === this.rows) this.grow();
    this.expect(0x7b);
    let id: string | number | undefined;
    let features = false;
    for (;;) {
      // the two keys matched on their bytes (no string per key); any other spelling gives up
      const key = this.documentKey();
      this.expect(0x3a);
      if (key === ID ? id !== undefined : features) throw givenTwice(`documents[${d}].${key === ID ? 'id' : 'features'}`);
      if (key === ID) {
        this.skipSpace();
        this.idStart = this.pos;
        id = this.id();
      } else {
        this.features(d);
        features = true;
      }
      const c = this.next();
      if (c === 0x7d) break;
      if (c !== 0x2c) throw GIVE_UP;
    }
    if (id === undefined || !features) throw GIVE_UP;
    return id;
  }

  /** Twice the rows: within the buffer when it has room (a reused one usually does), else in a bigger one. */
  private grow(): void {
    const length = this.input.length * 2;
    if (arrayCapacity(this.input) >= length) {
      const extended = new Float32Array(this.input.buffer, this.input.byteOffset, length);
      extended.fill(0, this.input.length);
      this.input = extended;
    } else {
      const bigger = this.arrays.floats(length);
      bigger.set(this.input);
      this.arrays.release(this.input);
      this.input = bigger;
    }
    this.rows = length / this.layout.width;
  }

  /** Gives the matrix back (the scanner gave up or failed). */
  dispose(): void {
    this.arrays.release(this.input);
  }

  private id(): string | number {
    const c = this.peek();
    if (c === 0x22) return this.string();
    this.number();
    const v = NUMBER[0];
    if (!Number.isSafeInteger(v)) throw GIVE_UP; // the general path refuses it (documents.ts numericId)
    return v;
  }

  private features(d: number): void {
    const c = this.peek();
    const row = d * this.layout.width;
    if (c === 0x5b) this.dense(row);
    else if (c === 0x7b) this.sparse(d, row);
    else if (c === 0x22) this.base64(d, row);
    else throw GIVE_UP;
  }

  /** A base64 float32 row decoded straight from the body's bytes (no string); anything unusual gives up. */
  private base64(d: number, row: number): void {
    const length = base64Length(this.layout.rawFeatureCount);
    const start = this.pos + 1;
    if (this.buf[start + length] !== 0x22 || !decodeBase64Bytes(this.bytes, start, length, this.scratchBytes)) throw GIVE_UP;
    this.pos = start + length + 1;
    copyRow(this.scratch, 0, this.input, row, this.layout, () => `documents[${d}].features`);
  }

  private dense(row: number): void {
    const { rawFeatureCount: nF, column } = this.layout;
    const out = this.input;
    this.pos++; // [
    for (let i = 0; i < nF; i++) {
      if (i > 0 && this.next() !== 0x2c) throw GIVE_UP;
      this.number(true);
      const v = NUMBER[0];
      const c = column[i];
      if (!Number.isFinite(Math.fround(v))) throw GIVE_UP;
      if (c >= 0) out[row + c] = v;
    }
    if (this.next() !== 0x5d) throw GIVE_UP;
  }

  private sparse(d: number, row: number): void {
    const { rawFeatureCount: nF, column } = this.layout;
    this.pos++; // {
    if (this.peek() === 0x7d) {
      this.pos++;
      return;
    }
    for (let count = 1; ; count++) {
      if (count > nF) throw tooManyKeys(`documents[${d}].features`, nF);
      const i = this.sparseKey(nF);
      if (this.stamp[i] === d + 1) throw givenTwice(`documents[${d}].features.${i + 1}`);
      this.stamp[i] = d + 1;
      this.expect(0x3a);
      this.number(true);
      const v = NUMBER[0];
      if (!Number.isFinite(Math.fround(v))) throw GIVE_UP;
      if (column[i] >= 0) this.input[row + column[i]] = v;
      const c = this.next();
      if (c === 0x7d) return;
      if (c !== 0x2c) throw GIVE_UP;
    }
  }

  /** A canonical decimal key `"1"`…`"nF"` as a 0-based index; anything else gives up (the general path says why). */
  private sparseKey(nF: number): number {
    const b = this.buf;
    this.expect(0x22);
    let p = this.pos;
    if (b[p] < 0x31 || b[p] > 0x39) throw GIVE_UP;
    let index = 0;
    while (b[p] >= 0x30 && b[p] <= 0x39 && index <= nF) index = index * 10 + (b[p++] - 0x30);
    if (b[p] !== 0x22 || index > nF) throw GIVE_UP;
    this.pos = p + 1;
    return index - 1;
  }

  /** A JSON number, left in `NUMBER[0]` (jsonNumber.ts); the rare token the fast reading declines goes through `Number`. */
  private number(float32 = false): void {
    this.skipSpace();
    const start = this.pos;
    const end = scanNumber(this.buf, start, float32);
    if (end < 0) throw GIVE_UP;
    this.pos = end;
    if (Number.isNaN(NUMBER[0])) {
      // the body as one latin1 string, made once: a number's token is then a cheap substring
      this.text ??= this.bytes.toString('latin1');
      NUMBER[0] = Number(this.text.substring(start, end));
    }
  }

  /** The key of a document field: `ID` for `"id"`, `FEATURES` for `"features"`; anything else gives up. */
  private documentKey(): number {
    this.skipSpace();
    const b = this.buf;
    const p = this.pos;
    if (b[p] !== 0x22) throw GIVE_UP;
    if (b[p + 1] === 0x69 && b[p + 2] === 0x64 && b[p + 3] === 0x22) {
      this.pos = p + 4;
      return ID;
    }
    for (let i = 0; i < FEATURES_KEY.length; i++) if (b[p + i] !== FEATURES_KEY[i]) throw GIVE_UP;
    this.pos = p + FEATURES_KEY.length;
    return FEATURES;
  }

  /** A string; one without escapes or non-ASCII bytes is read directly, others through `JSON.parse`. */
  private string(): string {
    this.expect(0x22);
    const b = this.buf;
    const start = this.pos;
    let p = start;
    let plain = true;
    for (;;) {
      const c = b[p];
      if (c === 0x22) break;
      if (c === undefined || c < 0x20) throw GIVE_UP;
      if (c === 0x5c) {
        plain = false;
        p++;
      } else if (c >= 0x80) plain = false;
      p++;
    }
    this.pos = p + 1;
    if (plain) return this.bytes.toString('latin1', start, p);
    return this.parse(start - 1, p + 1) as string;
  }

  /** The value of field `key`: its extent found by brackets and strings, then `JSON.parse` of those bytes. */
  private value(key: string): unknown {
    this.skipSpace();
    const b = this.buf;
    const start = this.pos;
    let depth = 0;
    let p = start;
    for (; p < b.length; p++) {
      const c = b[p];
      if (c === 0x22) {
        for (p++; p < b.length && b[p] !== 0x22; p++) if (b[p] === 0x5c) p++;
      } else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        if (depth === 0) break;
        depth--;
      } else if (c === 0x2c && depth === 0) break;
    }
    this.pos = p;
    const value = this.parse(start, p);
    if (typeof value === 'object' && value !== null) checkDuplicateKeys(this.bytes, start, p, key);
    return value;
  }

  private parse(start: number, end: number): unknown {
    const text = decodeUtf8(this.bytes, start, end);
    try {
      return JSON.parse(text);
    } catch {
      throw GIVE_UP;
    }
  }

  private skipSpace(): void {
    const b = this.buf;
    let p = this.pos;
    for (let c = b[p]; c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = b[++p]);
    this.pos = p;
  }

  private peek(): number {
    this.skipSpace();
    return this.buf[this.pos];
  }

  private next(): number {
    this.skipSpace();
    return this.buf[this.pos++];
  }

  private expect(c: number): void {
    if (this.next() !== c) throw GIVE_UP;
  }
}
