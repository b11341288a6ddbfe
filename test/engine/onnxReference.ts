/**
 * A plain float64 TypeScript reference of the rankers of `src/model/spec.ts` and the training losses,
 * written independently of the ONNX graphs (loops over documents, no shared code) for the ONNX tests.
 */
import type { Activation, Parameters, RankerSpec, ScorerSpec } from '../../src/model/spec';
import type { LossSpec } from '../../src/engine/engine';

export type P = Record<string, { shape: number[]; data: ArrayLike<number> }>;

function act(x: number, a: Activation): number {
  if (a === 'relu') return Math.max(0, x);
  if (a === 'tanh') return Math.tanh(x);
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
}

/** v · W + b with W `[in, out]` row-major. */
function affine(v: number[], p: P, prefix: string): number[] {
  const W = p[`${prefix}.weight`];
  const b = p[`${prefix}.bias`].data;
  const [nIn, nOut] = W.shape;
  const out = Array.from({ length: nOut }, (_, j) => b[j]);
  for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) out[j] += v[i] * W.data[i * nOut + j];
  return out;
}

function layerNorm(v: number[], p: P, prefix: string): number[] {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  const g = p[`${prefix}.gamma`].data;
  const be = p[`${prefix}.beta`].data;
  return v.map((x, i) => ((x - mean) / Math.sqrt(variance + 1e-5)) * g[i] + be[i]);
}

/** u for one document. */
function inputVector(spec: ScorerSpec, p: P, x: ArrayLike<number>, w: number[] | null, betaBar: number[] | null): number[] {
  const u: number[] = [];
  for (let f = 0; f < spec.inputSize; f++) u.push((x[f] - p['input.mean'].data[f]) * p['input.scale'].data[f]);
  if (spec.conditioning.weights > 0) u.push(...(w as number[]));
  if (spec.conditioning.beta) u.push(...(betaBar as number[]));
  return u;
}

/** Scores of one list of N documents (mask 1 = real). */
export function scorerList(spec: ScorerSpec, p: P, xs: ArrayLike<number>[], mask: number[], w: number[] | null, betaBar: number[] | null): number[] {
  const U = xs.map((x) => inputVector(spec, p, x, w, betaBar));
  if (spec.kind === 'mlp') {
    return U.map((u) => {
      let h = u;
      for (let i = 0; i < spec.hidden.length; i++) h = affine(h, p, `layers.${i}`).map((v) => act(v, spec.activation));
      return affine(h, p, `layers.${spec.hidden.length}`)[0];
    });
  }
  const d = spec.dModel;
  const H = spec.nHeads;
  const dh = d / H;
  let h = U.map((u) => affine(u, p, 'input'));
  for (let l = 0; l < spec.nLayers; l++) {
    const pre = `blocks.${l}`;
    const a = h.map((r) => layerNorm(r, p, `${pre}.norm1`));
    const q = a.map((r) => affine(r, p, `${pre}.attn.q`));
    const k = a.map((r) => affine(r, p, `${pre}.attn.k`));
    const v = a.map((r) => affine(r, p, `${pre}.attn.v`));
    const merged = h.map((_, i) => {
      const o = new Array<number>(d).fill(0);
      for (let hd = 0; hd < H; hd++) {
        const logits = k.map((kj, j) => {
          let s = 0;
          for (let e = 0; e < dh; e++) s += q[i][hd * dh + e] * kj[hd * dh + e];
          return s / Math.sqrt(dh) + (mask[j] ? 0 : -1e9);
        });
        const mx = Math.max(...logits);
        const ex = logits.map((z) => Math.exp(z - mx));
        const tot = ex.reduce((s, z) => s + z, 0);
        ex.forEach((e, j) => {
          for (let c = 0; c < dh; c++) o[hd * dh + c] += (e / tot) * v[j][hd * dh + c];
        });
      }
      return o;
    });
    h = h.map((r, i) => {
      const att = affine(merged[i], p, `${pre}.attn.out`);
      return r.map((x, c) => x + att[c]);
    });
    h = h.map((r) => {
      const f = layerNorm(r, p, `${pre}.norm2`);
      const ff = affine(affine(f, p, `${pre}.ff.0`).map((x) => act(x, spec.activation)), p, `${pre}.ff.1`);
      return r.map((x, c) => x + ff[c]);
    });
  }
  return h.map((r) => affine(layerNorm(r, p, 'final.norm'), p, 'output')[0]);
}

/** Composed ranker scores (s0 and s) of one list, per the RankerSpec formulas. */
export function rankerList(
  spec: RankerSpec,
  base: P,
  cos: P | null,
  xs: ArrayLike<number>[],
  mask: number[],
  w: number[] | null,
  beta: number[] | null,
  c = 1,
): { s0: number[]; s: number[] } {
  const s0 = scorerList(spec.base, base, xs, mask, null, null);
  if (!spec.cos || cos === null) return { s0, s: s0 };
  const norm = beta ? beta.reduce((a, b) => a + Math.abs(b), 0) : 1;
  const betaBar = beta ? beta.map((b) => b / norm) : null;
  const net = scorerList(spec.cos.net, cos, xs, mask, w, betaBar);
  const sTheta = net.map((v, i) => (spec.cos?.parametrisation === 'augment' ? s0[i] + v : v));
  const t = spec.cos.temperature ? 1 / norm : 1;
  const s = sTheta.map((v, i) => (1 - t) * s0[i] + t * v);
  return { s0, s: s.map((v, i) => (1 - 1 / c) * s0[i] + (1 / c) * v) };
}

function logSoftmax(x: number[], mask: number[]): number[] {
  const real = x.filter((_, i) => mask[i]);
  if (real.length === 0) return x.map(() => 0);
  const mx = Math.max(...real);
  const lse = mx + Math.log(real.reduce((a, v) => a + Math.exp(v - mx), 0));
  return x.map((v) => v - lse);
}
const softmaxTarget = (z: number[], mask: number[]) => logSoftmax(z, mask).map((l, i) => (mask[i] ? Math.exp(l) : 0));

/** Per-list loss on scores (Δ for a cos target). */
export function listLoss(loss: LossSpec, s: number[], mask: number[], labels: number[][], w: number[] | null, beta: number[] | null): number {
  const ce = (t: number[], logits: number[]) => {
    const lp = logSoftmax(logits, mask);
    return -t.reduce((a, ti, i) => a + (mask[i] ? ti * lp[i] : 0), 0);
  };
  if (loss.kind === 'listnet') return ce(softmaxTarget(labels[0], mask), s);
  if (loss.kind === 'listmle') {
    const order = s.map((_, i) => i).filter((i) => mask[i]);
    order.sort((a, b) => labels[0][b] - labels[0][a] || a - b);
    let total = 0;
    for (let r = 0; r < order.length; r++) {
      const tail = order.slice(r).map((i) => s[i]);
      const mx = Math.max(...tail);
      total += mx + Math.log(tail.reduce((a, v) => a + Math.exp(v - mx), 0)) - s[order[r]];
    }
    return total;
  }
  const L = loss.targets.map((kind, j) => {
    const z = labels[j];
    let t: number[];
    if (kind === 'dense') t = softmaxTarget(z, mask);
    else {
      const tot = z.reduce((a, v, i) => a + (mask[i] ? Math.abs(v) : 0), 0);
      t = z.map((v, i) => (mask[i] && tot > 0 ? v / tot : 0));
    }
    return ce(t, s.map((v) => v * (beta as number[])[j]));
  });
  const ww = w as number[];
  const dot = L.reduce((a, l, j) => a + ww[j] * l, 0);
  if (loss.lambda === 0) return dot;
  const n = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0) + 1e-12);
  return dot - (loss.lambda * dot) / (n(ww) * n(L));
}

/** A list batch in plain arrays. */
export interface RefBatch {
  B: number;
  N: number;
  F: number;
  features: Float32Array;
  mask: Uint8Array;
  labels: Float32Array[];
  weights?: Float32Array;
  beta?: Float32Array;
}

/** Mean loss over the batch for trained parameters `trained` (target 'base' or 'cos'). */
export function batchLoss(
  spec: RankerSpec,
  target: 'base' | 'cos',
  loss: LossSpec,
  trained: P,
  frozenBase: P | null,
  batch: RefBatch,
): number {
  const { B, N, F } = batch;
  const m = spec.cos ? spec.cos.net.conditioning.weights : 0;
  let total = 0;
  for (let b = 0; b < B; b++) {
    const xs = Array.from({ length: N }, (_, i) => batch.features.subarray((b * N + i) * F, (b * N + i + 1) * F));
    const mask = Array.from(batch.mask.subarray(b * N, (b + 1) * N));
    const labels = batch.labels.map((l) => Array.from(l.subarray(b * N, (b + 1) * N)));
    const w = batch.weights ? Array.from(batch.weights.subarray(b * m, (b + 1) * m)) : null;
    const beta = batch.beta ? Array.from(batch.beta.subarray(b * m, (b + 1) * m)) : m > 0 ? new Array<number>(m).fill(1) : null;
    let s: number[];
    if (target === 'base') s = scorerList(spec.base, trained, xs, mask, null, null);
    else {
      const r = rankerList(spec, frozenBase as P, trained, xs, mask, w, beta);
      s = r.s.map((v, i) => v - r.s0[i]);
    }
    total += listLoss(loss, s, mask, labels, w, beta);
  }
  return total / B;
}

/** Float64 copy of parameters, for finite differences. */
export function toFloat64(p: Parameters): Record<string, { shape: number[]; data: Float64Array }> {
  return Object.fromEntries(Object.entries(p).map(([k, t]) => [k, { shape: t.shape, data: Float64Array.from(t.data) }]));
}
