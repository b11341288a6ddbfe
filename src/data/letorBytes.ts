/**
 * Byte-level pieces of the LETOR / SVMlight reader: the byte codes it looks for, the decimal number
 * scanner and the token quoting used in error messages.
 *
 * Values are parsed from the bytes (no per-line strings): `m · 10^e` with an integer mantissa m is
 * exact when `m < 2^53` and `|e| ≤ 22` (one correctly rounded IEEE multiply or divide); any other
 * token goes through `parseFloat`. Either way the double is then rounded to float32 by the caller.
 */
export const LF = 10;
export const CR = 13;
export const SP = 32;
export const TAB = 9;
export const HASH = 35;
export const COLON = 58;
export const DOT = 46;
export const MINUS = 45;
export const PLUS = 43;
/** Exact powers of ten as doubles (10^22 is the largest exactly representable one). */
export const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
export const TWO53 = 2 ** 53;
export const NUMBER_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
export const NON_FINITE_TEXT = /^([+-]?)(nan|inf|infinity)$/i;
export const DOCID = Buffer.from('docid');

/** Whether byte c ends a token: space, tab, CR, LF or the start of a comment. */
export function endsToken(c: number): boolean {
  return c === SP || c === TAB || c === CR || c === LF || c === HASH;
}

/**
 * Reads one decimal number from bytes. `parse(buf, i)` returns the value (a double, not yet rounded
 * to float32) and leaves `end` at the first byte after it; `ok` is false when the token at i is not a
 * number (the caller reports it). The caller also checks that `end` is a token boundary.
 */
export class NumberScanner {
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

/** A byte as shown in messages: printable ASCII as is, anything else as `\xHH` (a NUL is `\x00`). */
function showByte(c: number): string {
  return c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
}

/** The text of the token starting at byte i (for error messages, cut to 40 characters, control bytes escaped). */
export function tokenAt(buf: Buffer, i: number): string {
  let j = i;
  while (j < buf.length && !endsToken(buf[j]) && j - i < 40) j++;
  if (j === i) return buf[i] === LF || i >= buf.length ? 'end of line' : `'${showByte(buf[i])}'`;
  let text = '';
  for (let k = i; k < j; k++) text += showByte(buf[k]);
  return `'${text}'`;
}

/** Whether the bytes from `lineStart` to `end` hold a carriage return not followed by a line feed. */
export function hasBareCr(buf: Buffer, lineStart: number, end: number): boolean {
  for (let k = lineStart; k < end; k++) if (buf[k] === CR && buf[k + 1] !== LF) return true;
  return false;
}
