/**
 * The largest seed: the generator is seeded from 32 bits (`seed >>> 0`), so a larger seed would silently
 * repeat a smaller one's numbers (2^32 gives seed 0's). Validators accept 0 … MAX_SEED only.
 */
export const MAX_SEED = 2 ** 32 - 1;

/** The saved state of an `Rng` (plain JSON). */
export interface RngState {
  s: number[];
  spareNormal: number | null;
}

/**
 * A seeded pseudo-random generator (xoshiro128**, seeded through splitmix32). Every random choice
 * in cosrank takes one of these explicitly; there is no global generator (STYLE.md §5).
 * Its state can be saved and restored, so a resumed run draws the same numbers.
 */
export class Rng {
  private s: Uint32Array;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, got ${seed}`);
    this.s = new Uint32Array(4);
    let x = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32 spreads the seed over the four state words
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [a, b). */
  uniformIn(a: number, b: number): number {
    return a + (b - a) * this.uniform();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box–Muller, the spare kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Gamma(shape, 1) by Marsaglia and Tsang (boosted for shape < 1). */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new Error(`gamma shape must be > 0, got ${shape}`);
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.uniform() || Number.MIN_VALUE, 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.uniform();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** A point of the probability simplex drawn from Dirichlet(alpha). */
  dirichlet(alpha: ArrayLike<number>): Float64Array {
    const out = new Float64Array(alpha.length);
    let sum = 0;
    for (let i = 0; i < alpha.length; i++) sum += out[i] = this.gamma(alpha[i]);
    for (let i = 0; i < alpha.length; i++) out[i] /= sum;
    return out;
  }

  /** Shuffles an array in place (Fisher–Yates) and returns it. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /** A new independent generator derived from this one (for sub-tasks that need their own stream). */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }

  /** The full state, for checkpoints. */
  getState(): RngState {
    return { s: Array.from(this.s), spareNormal: this.spareNormal };
  }

  /** Restores a state saved by `getState`. */
  setState(state: RngState): void {
    this.s = Uint32Array.from(state.s);
    this.spareNormal = state.spareNormal;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
