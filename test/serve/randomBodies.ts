/**
 * Seeded random request bodies in every spelling the JSON scanner must read as JSON.parse does: numbers
 * in many forms (near float32 rounding boundaries too), dense, sparse and base64 features, string ids
 * with escapes, whitespace anywhere (bodies.test.ts, splitScan.test.ts).
 */
import { Rng } from '../../src/util/rng';
import { RAW_FEATURES } from './fixture';

/**
 * Decimals within 1e−16 relative of a point halfway between two float32 values (1 + 2^−24, 3·2^−25…), in
 * 16–19 digits: where rounding the decimal straight to float32 and rounding it to a double first can differ.
 */
export const NEAR_MIDPOINTS = [1 + 2 ** -24, 3 * 2 ** -25 + 1, 1000 + 2 ** -15, 2 ** 20 + 2 ** -4, 0.75 + 2 ** -26].flatMap((mid) =>
  [16, 17, 18, 19].flatMap((digits) => [mid.toPrecision(digits), (mid * (1 + 1e-16)).toPrecision(digits), (mid * (1 - 1e-16)).toPrecision(digits)]),
);

/** A number as a client might spell it. */
export function spell(v: number, rng: Rng): string {
  switch (rng.int(10)) {
    case 0:
      return String(v);
    case 1:
      return v.toExponential(rng.int(12));
    case 2:
      return v.toFixed(rng.int(10));
    case 3:
      return v.toPrecision(1 + rng.int(21));
    case 4:
      return String(Math.round(v * 1000));
    case 5:
      return v.toExponential(rng.int(8)).toUpperCase().replace('E+', 'E');
    case 6:
      return (v * 1e-30).toPrecision(17); // tiny: below float32's range
    case 7:
      return String(Math.fround(v)); // a float32 printed as a double (up to 17 digits)
    case 8:
      return NEAR_MIDPOINTS[rng.int(NEAR_MIDPOINTS.length)];
    default:
      return `${v < 0 ? '-' : ''}0.${'0'.repeat(rng.int(6))}${Math.abs(Math.round(v * 1e6))}`;
  }
}

/** A body of 1–6 documents (or `n`), with or without trailing options. */
export function randomBody(rng: Rng, n = 1 + rng.int(6)): string {
  const sp = () => [' ', '', '\n', '\t', '\r\n  '][rng.int(5)];
  const docs: string[] = [];
  for (let d = 0; d < n; d++) {
    const id = rng.int(2) === 0 ? JSON.stringify(`doc ${d} "é\\`) : String(d * 3 - 1);
    let features: string;
    const form = rng.int(3);
    const values = Array.from({ length: RAW_FEATURES }, () => (rng.uniform() - 0.5) * 10 ** rng.int(8));
    if (form === 0) features = `[${sp()}${values.map((v) => spell(v, rng)).join(`${sp()},${sp()}`)}${sp()}]`;
    else if (form === 1) {
      const keys = Array.from({ length: RAW_FEATURES }, (_, i) => i + 1).filter(() => rng.int(2) === 0);
      features = `{${keys.map((k) => `${sp()}"${k}"${sp()}:${sp()}${spell(values[k - 1], rng)}`).join(',')}}`;
    } else features = JSON.stringify(Buffer.from(Float32Array.from(values).buffer).toString('base64'));
    docs.push(rng.int(2) === 0 ? `{${sp()}"id":${sp()}${id},"features":${sp()}${features}}` : `{"features":${features}${sp()},${sp()}"id":${id}${sp()}}`);
  }
  const extra = rng.int(2) === 0 ? `,${sp()}"weights":${sp()}{"clicks": 0.5e0, "freshness": [1]}${sp()},"topK":3` : '';
  return `${sp()}{${sp()}"documents"${sp()}:${sp()}[${docs.join(`,${sp()}`)}]${extra}${sp()}}${sp()}`;
}
