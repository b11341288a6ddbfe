/**
 * CSV/TSV records from text chunks (RFC 4180 quoting), in one pass over the characters: time is linear
 * in the file size whatever the number of columns.
 *
 * - Records end at LF, CRLF or a lone CR; inside a quoted field these are part of the value.
 * - A field that starts (after blanks) with `"` is quoted; `""` inside it is one `"`; after the closing
 *   quote only blanks may come before the delimiter or the end of the record.
 * - A quote inside an unquoted field is an ordinary character (`5" screen`), as in Python's csv module.
 * - Unquoted fields are trimmed of spaces and tabs (unless the delimiter is a tab, which is then kept
 *   as a separator); quoted values are kept as written.
 * - Line numbers are physical lines of the file (a quoted line break counts), so errors point where an
 *   editor shows the problem; an unterminated quote names the line where it opened.
 */
import { DataError } from '../util/errors';

const LF = 10;
const CR = 13;
const QUOTE = 34;
const SPACE = 32;
const TAB = 9;

const enum State {
  /** Before the first character of a field (blanks skipped). */
  Start,
  /** Inside an unquoted field. */
  Unquoted,
  /** Inside a quoted field. */
  Quoted,
  /** Just read a quote inside a quoted field: the end of the field, or the first half of `""`. */
  QuoteInQuoted,
  /** After the closing quote: only blanks until the delimiter or end of record. */
  AfterQuoted,
}

/** Receives each record's fields and the physical line its first character is on. */
export type RecordSink = (fields: string[], line: number) => void;

export class CsvTokenizer {
  private state = State.Start;
  private fields: string[] = [];
  /** The current field's text so far (across chunks). */
  private field = '';
  /** Physical line of the next character, of the current record's start, and of an open quote. */
  private line = 1;
  private recordLine = 1;
  private quoteLine = 0;
  /** The previous chunk ended with CR: a leading LF of this chunk belongs to it. */
  private pendingCr = false;
  private readonly blanks: (c: number) => boolean;

  constructor(
    private readonly file: string,
    private readonly delimiter: number,
    private readonly sink: RecordSink,
  ) {
    this.blanks = delimiter === TAB ? (c) => c === SPACE : (c) => c === SPACE || c === TAB;
  }

  /** Feeds the next chunk of text. */
  push(text: string): void {
    let i = 0;
    if (this.pendingCr && text.charCodeAt(0) === LF) i = 1;
    this.pendingCr = false;
    let from = i; // start of the current field's text within this chunk (Unquoted/Quoted)
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      switch (this.state) {
        case State.Start:
          if (c === QUOTE) {
            this.state = State.Quoted;
            this.quoteLine = this.line;
            from = i + 1;
          } else if (c === this.delimiter) this.endField('');
          else if (c === LF || c === CR) i = this.endRecord(text, i, '');
          else if (!this.blanks(c)) {
            this.state = State.Unquoted;
            from = i;
          }
          break;
        case State.Unquoted:
          if (c === this.delimiter) this.endField(this.field + text.slice(from, i));
          else if (c === LF || c === CR) i = this.endRecord(text, i, this.field + text.slice(from, i));
          break;
        case State.Quoted:
          if (c === QUOTE) {
            this.field += text.slice(from, i);
            this.state = State.QuoteInQuoted;
          } else if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) this.line++;
          break;
        case State.QuoteInQuoted:
          if (c === QUOTE) {
            // "" is one quote character
            this.state = State.Quoted;
            from = i;
          } else {
            this.state = State.AfterQuoted;
            i--; // the character is looked at again as what follows the closing quote
          }
          break;
        case State.AfterQuoted:
          if (c === this.delimiter) this.endQuotedField();
          else if (c === LF || c === CR) {
            const value = this.field;
            this.field = '';
            i = this.endRecord(text, i, value, true);
          } else if (!this.blanks(c)) this.fail(this.line, `unexpected ${JSON.stringify(String.fromCharCode(c))} after the closing quote of a field`);
          break;
      }
    }
    // keep the unfinished field's text of this chunk
    if (this.state === State.Unquoted || this.state === State.Quoted) this.field += text.slice(from);
  }

  /** Ends the input: an open quote is an error at the line where it opened; a last record without a line break is emitted. */
  end(): void {
    if (this.state === State.Quoted) this.fail(this.quoteLine, 'unterminated quoted field: the quote opened on this line is never closed');
    if (this.state === State.QuoteInQuoted || this.state === State.AfterQuoted) {
      const value = this.field;
      this.field = '';
      this.finishRecord(value, true);
    } else if (this.state === State.Unquoted || this.fields.length > 0) {
      const value = this.field;
      this.field = '';
      this.finishRecord(value, false);
    }
  }

  private fail(line: number, detail: string): never {
    throw new DataError(this.file, line, detail);
  }

  private trim(s: string): string {
    let a = 0;
    let b = s.length;
    while (a < b && this.blanks(s.charCodeAt(a))) a++;
    while (b > a && this.blanks(s.charCodeAt(b - 1))) b--;
    return a === 0 && b === s.length ? s : s.slice(a, b);
  }

  private endField(raw: string): void {
    this.fields.push(this.trim(raw));
    this.field = '';
    this.state = State.Start;
  }

  private endQuotedField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.state = State.Start;
  }

  /** Ends the record at the line break at `i` (CRLF taken whole); returns the index of its last character. */
  private endRecord(text: string, i: number, lastField: string, quoted = false): number {
    this.field = '';
    this.finishRecord(quoted ? lastField : this.trim(lastField), quoted);
    if (text.charCodeAt(i) === CR) {
      if (i + 1 < text.length) {
        if (text.charCodeAt(i + 1) === LF) i++;
      } else this.pendingCr = true;
    }
    this.line++;
    this.recordLine = this.line;
    return i;
  }

  private finishRecord(lastField: string, quoted: boolean): void {
    const fields = this.fields;
    this.fields = [];
    this.state = State.Start;
    // a blank line is no record
    if (fields.length === 0 && lastField === '' && !quoted) return;
    fields.push(lastField);
    this.sink(fields, this.recordLine);
  }
}
