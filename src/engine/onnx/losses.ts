/**
 * Training losses as ONNX ops, one value per list `[B]` (STYLE.md §3); `meanOverLists` reduces.
 * Scores `s` are `[B, N]`, the mask `[B, N]` is 1 for a real document. Padded documents get
 * `(mask − 1)·1e9` added to their logits (never −∞, so no NaN), and zero target mass.
 *
 * - ListNet:  t = softmax(labels₀ masked)·mask,  loss = −Σ_i t_i · log softmax(s masked)_i.
 * - ListMLE:  with π the order of labels₀ descending (ties by position, padding last — computed in JS by
 *   `listmlePermutation` and fed as int64 input `perm`), loss = Σ_{i real} [log Σ_{k ≥ i} exp(s_{π_k}) − s_{π_i}]
 *   (reverse cumulative sum; the list max is subtracted first as a constant shift).
 * - LiPO on s = Δ (the caller passes Δ = s − s0; with the `margin` option Δ − margin):  p = log softmax(β_j·Δ masked); target z̄_j = z/‖z‖₁
 *   (sparse; an all-zero list gives target 0 hence L_j = 0) or softmax(z masked)·mask (dense);
 *   L_j = −Σ_i z̄_i·p_i;  loss = Σ_j w_j·L_j − λ·cos(w, L)  with cos(w, L) = w·L / (‖w‖·‖L‖) and each
 *   norm taken as √(Σx² + 1e-12) (finite value and gradient when L = 0), as `src/engine/tfjs/losses.ts`.
 * A list with no real document has every loss exactly 0 (targets are multiplied by the mask).
 */
import type { LossSpec } from '../engine';
import { Graph, Value } from './graph';
import { MASK_OFFSET } from './scorerGraph';

export interface LossInputs {
  scores: Value;
  mask: Value;
  /** `[B, N]` each: labels₀ for ListNet/ListMLE, the m auxiliary labels for LiPO. */
  labels: Value[];
  /** `[B, m]` trade-off per list (LiPO). */
  w: Value | null;
  /** `[B, m]` temperatures per list (LiPO). */
  beta: Value | null;
  /** `[B, N]` int64 ListMLE order. */
  perm: Value | null;
  /** `[B, N]` offset subtracted from Δ inside every LiPO softmax (the loss's margin option), else null. */
  margin?: Value | null;
}

function required(v: Value | null, what: string): Value {
  if (v === null) throw new Error(`internal error: loss needs ${what}`);
  return v;
}

/** Per-list loss `[B]`. */
export function perListLoss(g: Graph, spec: LossSpec, inp: LossInputs): Value {
  const { scores, mask } = inp;
  const offset = g.mul(g.sub(mask, g.scalar(1)), g.scalar(MASK_OFFSET));
  const crossEntropy = (target: Value, logits: Value) =>
    g.unary('Neg', g.reduceSum(g.mul(target, g.logSoftmax(g.add(logits, offset), 1)), [1], true)); // [B, 1]
  const maskedSoftmax = (z: Value) => g.mul(g.softmax(g.add(z, offset), 1), mask);
  if (spec.kind === 'listnet') {
    const target = maskedSoftmax(inp.labels[0]);
    return g.squeeze(crossEntropy(target, scores), [1]);
  }
  if (spec.kind === 'listmle') {
    const perm = required(inp.perm, 'perm');
    const sorted = g.add(g.gatherElements(scores, perm, 1), g.gatherElements(offset, perm, 1));
    const sortedMask = g.gatherElements(mask, perm, 1);
    const shift = g.reduceMax(sorted, [1], true);
    const tail = g.cumsum(g.mul(g.unary('Exp', g.sub(sorted, shift)), sortedMask), 1, true);
    // padding sits after every real document, so its tail sum is 0: add 1 there before the log
    const lse = g.add(g.unary('Log', g.add(tail, g.sub(g.scalar(1), sortedMask))), shift);
    return g.reduceSum(g.mul(g.sub(lse, sorted), sortedMask), [1], false);
  }
  const w = required(inp.w, 'w');
  const beta = required(inp.beta, 'beta');
  const delta = inp.margin ? g.sub(scores, inp.margin) : scores;
  const perObjective = spec.targets.map((kind, j) => {
    const z = inp.labels[j];
    let target: Value;
    if (kind === 'dense') target = maskedSoftmax(z);
    else {
      const zm = g.mul(z, mask);
      const total = g.reduceSum(g.unary('Abs', zm), [1], true);
      target = g.div(zm, g.add(total, g.cast(g.equal(total, g.scalar(0)), 'float')));
    }
    return crossEntropy(target, g.mul(delta, g.gather(beta, [j], 1)));
  });
  const L = perObjective.length === 1 ? perObjective[0] : g.concat(perObjective, 1); // [B, m]
  const weighted = g.reduceSum(g.mul(w, L), [1], false);
  if (spec.lambda === 0) return weighted;
  const norm = (v: Value) => g.unary('Sqrt', g.add(g.reduceSum(g.mul(v, v), [1], false), g.scalar(1e-12)));
  const cos = g.div(weighted, g.mul(norm(w), norm(L)));
  return g.sub(weighted, g.mul(cos, g.scalar(spec.lambda)));
}

/** Mean over the B lists: a scalar `[]`. */
export function meanOverLists(g: Graph, perList: Value): Value {
  return g.reduceMean(perList, [0], false);
}

/**
 * ListMLE order per list: real documents by label descending (ties by position), then padding.
 * Returns `[B·N]` int64 indices into each list.
 */
export function listmlePermutation(labels: Float32Array, mask: Uint8Array, batchSize: number, listSize: number): BigInt64Array {
  const out = new BigInt64Array(batchSize * listSize);
  const idx = new Array<number>(listSize);
  for (let b = 0; b < batchSize; b++) {
    const o = b * listSize;
    for (let i = 0; i < listSize; i++) idx[i] = i;
    idx.sort((i, j) => {
      const ri = mask[o + i] !== 0;
      const rj = mask[o + j] !== 0;
      if (ri !== rj) return ri ? -1 : 1;
      if (ri && labels[o + i] !== labels[o + j]) return labels[o + j] - labels[o + i];
      return i - j;
    });
    for (let i = 0; i < listSize; i++) out[o + i] = BigInt(idx[i]);
  }
  return out;
}
