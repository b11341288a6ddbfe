/**
 * JSON numbers read from bytes exactly as `JSON.parse` reads them, for the request scanner
 * (jsonScanner.ts), without a string or a boxed double per number.
 */
import { POW10 } from '../data/letorBytes';

/**
 * Where `scanNumber` leaves its value: a double returned from a call V8 does not inline is boxed as a
 * heap number, 136,000 of them (1.5 MB) per 1,000 × 136 request, which filled the scoring worker's
 * young generation every few requests.
 */
export const NUMBER = new Float64Array(1);

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/**
 * Whether `a` (≥ 0, within 2^−50 relative of a decimal value) rounds to float32 as that decimal's nearest
 * double does: true when both float32 rounding boundaries around fround(a) are more than 2^−48·a away.
 */
function roundsLikeExact(a: number): boolean {
  F32[0] = a;
  const f = F32[0];
  const bits = U32[0];
  if (bits === 0 || !Number.isFinite(f)) return false;
  U32[0] = bits + 1;
  const up = bits + 1 === 0x7f800000 ? 2 ** 128 : F32[0];
  U32[0] = bits - 1;
  const down = F32[0];
  const tolerance = a * 2 ** -48;
  return Math.abs(a - (f + up) / 2) > tolerance && Math.abs(a - (f + down) / 2) > tolerance;
}

/**
 * The value of the four decimal digits `b[p..p+3]`, or −1 when any of them is not a digit (past the end
 * too). All four bytes are tested at once: a byte outside '0'–'9' sets its lane's top bit in `x + 0x46…`
 * (above '9') or in `x − 0x30…` (below '0'); a carry or borrow between lanes starts only at such a lane,
 * and the lowest such lane has none coming in, so it is always caught. The digits are then combined in
 * pairs (10·d0 + d1 in lanes 0 and 2) and the pairs (100·ab + cd).
 */
function fourDigits(b: Uint8Array, p: number): number {
  const x = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
  const y = x - 0x30303030;
  if ((((x + 0x46464646) | y) & 0x80808080) !== 0) return -1;
  const pairs = (Math.imul(y, 10) + (y >>> 8)) & 0x00ff00ff;
  return (Math.imul(pairs, 100) + (pairs >>> 16)) & 0x3fff;
}

/**
 * The JSON number at `b[p]`: returns the position after it, or −1 when none starts there; its value is
 * left in `NUMBER[0]`, or NaN (which no JSON number is) when the caller must read the token with `Number`.
 * Up to 15 significant digits and a decimal exponent within ±22 it is m · 10^e or m / 10^−e, both exact
 * operands, so one correctly rounded operation gives exactly what `JSON.parse` gives (Clinger's fast
 * path). With 16–19 digits (a float32 printed as a double has up to 17) the same product is within
 * 2^−50 of the decimal value; where only its float32 rounding matters (`float32`) it is used when no
 * float32 rounding boundary lies that close, so it rounds as `JSON.parse`'s double would.
 */
export function scanNumber(b: Uint8Array, p: number, float32: boolean): number {
  const negative = b[p] === 0x2d;
  if (negative) p++;
  let m = 0;
  let digits = 0;
  let e = 0;
  let short = true;
  let c = b[p];
  if (c === 0x30) c = b[++p];
  else if (c >= 0x31 && c <= 0x39) {
    for (; c >= 0x30 && c <= 0x39; c = b[++p]) {
      if (digits < 19) (m = m * 10 + (c - 0x30)), digits++;
      else short = false;
    }
  } else return -1;
  if (c === 0x2e) {
    c = b[++p];
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    if (m === 0) for (; c === 0x30; c = b[++p]) e--;
    // a float32 printed as a double has 16–17 digits, nearly all after the point: read them 8 or 4 at a
    // time while they fit under the 19-digit cap (m stays within 2^−52 of the digits read, as below)
    while (digits <= 11) {
      const high = fourDigits(b, p);
      if (high < 0) break;
      const low = fourDigits(b, p + 4);
      if (low < 0) {
        (m = m * 1e4 + high), (digits += 4), (e -= 4), (p += 4);
        break;
      }
      (m = m * 1e8 + (high * 1e4 + low)), (digits += 8), (e -= 8), (p += 8);
    }
    for (c = b[p]; c >= 0x30 && c <= 0x39; c = b[++p]) {
      if (digits < 19) (m = m * 10 + (c - 0x30)), digits++, e--;
      else if (c !== 0x30) short = false;
    }
  }
  if (c === 0x65 || c === 0x45) {
    c = b[++p];
    const sign = c === 0x2d ? -1 : 1;
    if (c === 0x2d || c === 0x2b) c = b[++p];
    if (!(c >= 0x30 && c <= 0x39)) return -1;
    let x = 0;
    for (; c >= 0x30 && c <= 0x39; c = b[++p]) if (x < 100_000) x = x * 10 + (c - 0x30);
    e += sign * x;
  }
  NUMBER[0] = NaN;
  if (short && e >= -22 && e <= 22) {
    const v = e < 0 ? m / POW10[-e] : m * POW10[e];
    if (digits <= 15 || (float32 && roundsLikeExact(v))) NUMBER[0] = negative ? -v : v;
  }
  return p;
}
