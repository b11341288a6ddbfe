/**
 * JSON config text (run config, training config, objectives) parsed to the values `JSON.parse` gives,
 * but refusing a key given twice in one object — `JSON.parse` silently keeps the last, so
 * `{"base": {"maxSteps": 20}, "base": {…}}` would lose the first — and reporting every problem at
 * `file:line:column`, where `JSON.parse` names only a character position. Config files are small, so a
 * plain recursive parser serves; nesting is capped so a hostile file cannot overflow the stack.
 */
import { DataError } from './errors';

/** Deepest nesting of objects and arrays accepted (configs nest a few levels). */
export const MAX_JSON_DEPTH = 256;

const NUMBER_OR_WORD = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const SPACE = /[ \t\n\r]*/y;

/** Parses `text` (the contents of `file`); a syntax error or a repeated key is a DataError at file:line:column. */
export function parseJsonText(text: string, file: string): unknown {
  const parser = new JsonParser(text, file);
  const value = parser.value();
  parser.end();
  return value;
}

class JsonParser {
  private i = 0;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  /** Line and column (1-based) of the character at `at`. */
  private where(at: number): [line: number, column: number] {
    const before = this.text.slice(0, at);
    return [before.split('\n').length, at - before.lastIndexOf('\n')];
  }

  private fail(detail: string, at = this.i): never {
    throw new DataError(this.file, this.where(at).join(':'), detail);
  }

  /** What is at the cursor, for messages. */
  private found(): string {
    return this.i < this.text.length ? JSON.stringify(this.text[this.i]) : 'the end of the file';
  }

  private match(pattern: RegExp): string | null {
    pattern.lastIndex = this.i;
    const m = pattern.exec(this.text);
    if (m) this.i += m[0].length;
    return m ? m[0] : null;
  }

  end(): void {
    this.match(SPACE);
    if (this.i < this.text.length) this.fail(`expected the end of the file after the JSON value, found ${this.found()}`);
  }

  value(): unknown {
    this.match(SPACE);
    const c = this.text[this.i];
    if (c === '{' || c === '[') {
      if (++this.depth > MAX_JSON_DEPTH) this.fail(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
      const v = c === '{' ? this.object() : this.array();
      this.depth--;
      return v;
    }
    if (c === '"') return this.string();
    const token = this.match(NUMBER_OR_WORD);
    if (token === null) this.fail(`expected a value (object, array, string, number, true, false or null), found ${this.found()}`);
    return JSON.parse(token) as unknown;
  }

  private string(): string {
    const token = this.match(STRING);
    if (token === null) this.fail('expected a string in double quotes without control characters or bad escapes');
    return JSON.parse(token) as string;
  }

  /** Skips spaces and the expected `close` or `,` after an item; returns whether the container closed. */
  private next(close: '}' | ']'): boolean {
    this.match(SPACE);
    const c = this.text[this.i++];
    if (c === close) return true;
    if (c === ',') return false;
    this.i--;
    return this.fail(`expected ',' or '${close}', found ${this.found()}`);
  }

  private array(): unknown[] {
    const out: unknown[] = [];
    this.i++;
    this.match(SPACE);
    let closed = this.text[this.i] === ']';
    if (closed) this.i++;
    while (!closed) {
      out.push(this.value());
      closed = this.next(']');
    }
    return out;
  }

  private object(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const first = new Map<string, number>();
    this.i++;
    this.match(SPACE);
    let closed = this.text[this.i] === '}';
    if (closed) this.i++;
    while (!closed) {
      this.match(SPACE);
      const at = this.i;
      if (this.text[at] !== '"') this.fail(`expected a key in double quotes, found ${this.found()}`);
      const key = this.string();
      const earlier = first.get(key);
      if (earlier !== undefined) this.fail(`key ${JSON.stringify(key)} is given twice in this object (first at line ${this.where(earlier).join(', column ')}); give each key once`, at);
      first.set(key, at);
      this.match(SPACE);
      if (this.text[this.i] !== ':') this.fail(`expected ':' after the key, found ${this.found()}`);
      this.i++;
      // an own property even for "__proto__", as JSON.parse makes it (the config checks then refuse it)
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      closed = this.next('}');
    }
    return out;
  }
}
