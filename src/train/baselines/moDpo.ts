/**
 * MO-DPO's margin (DESIGN.md §1; Zhou et al., "Beyond One-Preference-Fits-All"), for ranking: at a
 * trade-off w the job trains ONE objective i — the focus — on the LiPO loss whose softmax sees
 *
 *     r = (1/w_i) · (sθ − s0 − Σ_{i′≠i} w_{i′} · (s_{e_i′} − s0))
 *
 * with s_{e_i′} the frozen single-objective model of objective i′. The factor 1/w_i is guarded by the
 * choice of the focus: i = argmax_j w_j (lowest index on ties), so 1/w_i ≤ m; a corner point w = e_j needs
 * no job at all (r = sθ − s0 is plain single-objective DPO: the single-objective model is used). The
 * engines take the margin as `ListBatch.margin` (the offset Σ_{i′≠i} w_{i′}(s_{e_i′} − s0), subtracted from
 * Δ) with β_i/w_i as the list's temperature and the one-hot e_i as its loss weights, so
 * Σ_j e_ij · L_j(β_j/w_i · (Δ − offset)) = L_i(β_i · r).
 */
import { ConfigError } from '../../util/errors';

/** The focus objective i = argmax w and the guarded scale 1/w_i; `corner` when w = e_i. */
export interface MoDpoFocus {
  objective: number;
  scale: number;
  corner: boolean;
}

export function moDpoFocus(w: ArrayLike<number>): MoDpoFocus {
  if (w.length === 0 || !Array.from(w).every((v) => Number.isFinite(v) && v >= 0) || !(Array.from(w).reduce((a, b) => a + b, 0) > 0)) {
    throw new ConfigError([{ path: 'weights', value: Array.from(w), expected: 'non-negative finite weights with a positive sum' }], 'mo-dpo');
  }
  let i = 0;
  for (let j = 1; j < w.length; j++) if (w[j] > w[i]) i = j;
  const corner = Array.from(w).every((v, j) => (j === i ? true : v === 0));
  return { objective: i, scale: 1 / w[i], corner };
}

/**
 * Offset per document `Σ_{i′≠i} w_{i′} · singleDeltas[i′]`, where `singleDeltas[j]` = s_{e_j} − s0 for
 * every document (all of the same length).
 */
export function moDpoOffset(w: ArrayLike<number>, focus: number, singleDeltas: Float32Array[]): Float32Array {
  if (singleDeltas.length !== w.length) {
    throw new ConfigError([{ path: 'singleDeltas', value: singleDeltas.length, expected: `${w.length} arrays, one per auxiliary objective` }], 'mo-dpo');
  }
  const n = singleDeltas[0].length;
  const acc = new Float64Array(n);
  singleDeltas.forEach((d, j) => {
    if (j === focus || w[j] === 0) return;
    if (d.length !== n) throw new ConfigError([{ path: `singleDeltas[${j}]`, value: d.length, expected: `${n} scores` }], 'mo-dpo');
    for (let k = 0; k < n; k++) acc[k] += w[j] * d[k];
  });
  return Float32Array.from(acc);
}

/** r = scale · (Δθ − offset) per document (the reference form of what the engines compute inside the softmax). */
export function moDpoMargin(deltaTheta: ArrayLike<number>, offset: ArrayLike<number>, scale: number): Float64Array {
  return Float64Array.from(deltaTheta, (d, k) => scale * (d - offset[k]));
}
