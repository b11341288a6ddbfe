/**
 * The request scanner's number reader (serve/jsonNumber.ts) against `Number` on the same token as the
 * independent truth: where each number ends and its value, for digit runs broken at every position by
 * every possible byte (the 4-digit group test), and for the 16–17-digit fractions a float32 printed as a
 * double gives.
 */
import { NUMBER, scanNumber } from '../../src/serve/jsonNumber';
import { Rng } from '../../src/util/rng';

const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/;
/** A number whose point or exponent has no digits after it. */
const INCOMPLETE = /^-?(0|[1-9]\d*)(\.(?!\d)|(\.\d+)?[eE][+-]?(?!\d))/;

/**
 * What the reader must give for `text`: the end of its JSON number token and that token's value, or −1
 * when no valid number starts there (a point or exponent without digits, as `0.,` or `1e]`).
 */
function truth(text: string): { end: number; value: number } {
  const m = JSON_NUMBER.exec(text);
  if (!m || INCOMPLETE.test(text)) return { end: -1, value: NaN };
  return { end: m[0].length, value: Number(m[0]) };
}

/** The reader's answer, its NaN ("read the token with Number") resolved as the scanner resolves it. */
function read(text: string, float32: boolean): { end: number; value: number } {
  const end = scanNumber(Buffer.from(text, 'latin1'), 0, float32);
  if (end < 0) return { end, value: NaN };
  return { end, value: Number.isNaN(NUMBER[0]) ? Number(text.slice(0, end)) : NUMBER[0] };
}

describe('scanNumber', () => {
  it('ends a digit run at any non-digit byte in any position, with the value Number gives', () => {
    const prefixes = ['0.', '7.', '-0.', '0.000', '31.', '1234567.'];
    let checked = 0;
    for (const prefix of prefixes)
      for (let at = 0; at <= 12; at++)
        for (let byte = 0; byte < 256; byte++) {
          const text = `${prefix}${'9876543210123'.slice(0, at)}${String.fromCharCode(byte)}5,`;
          const want = truth(text);
          const got = read(text, false);
          expect([text, got.end]).toEqual([text, want.end]);
          if (want.end >= 0) expect(Object.is(got.value, want.value)).toBe(true);
          checked++;
        }
    expect(checked).toBe(6 * 13 * 256);
  });

  it('reads float32 values printed as doubles (16–17 digits) as Number then float32 does', () => {
    const rng = new Rng(7);
    const f32 = new Float32Array(1);
    for (let i = 0; i < 50_000; i++) {
      f32[0] = (rng.uniform() - 0.5) * 10 ** (rng.int(12) - 6);
      const text = `${String(f32[0])}]`;
      const got = read(text, true);
      expect(got.end).toBe(text.length - 1);
      expect(Math.fround(got.value)).toBe(f32[0]);
    }
  });

  it('reads digits past the 19th and leading fraction zeros exactly as Number', () => {
    for (const text of ['0.00000000000000000000000123', '123456789012345678901234.5', '0.12345678901234567890123', '1.0000000000000000000001', '0.0000', '100000000000000000000000'])
      expect(read(`${text},`, false)).toEqual(truth(`${text},`));
  });
});
