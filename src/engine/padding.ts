/**
 * Padding list batches to a few fixed list sizes. Engines that compile one graph per batch shape (ONNX)
 * would otherwise build a new graph for almost every batch of heavy-tailed lists; padded slots are
 * masked, so losses and gradients do not change.
 */
import type { ListBatch } from './engine';

/**
 * The list size a batch of longest list `n` is padded to: a multiple of 8 up to 64, then four sizes per
 * doubling (multiples of 2^(⌈log2 n⌉ − 3)), so above 64 documents under 20% of the slots are padding,
 * and lists of up to 2,048 documents need 28 sizes.
 */
export function listSizeBucket(n: number): number {
  if (!(Number.isInteger(n) && n >= 0)) throw new Error(`list size must be a non-negative integer, got ${n}`);
  if (n <= 64) return Math.max(8, Math.ceil(n / 8) * 8);
  const step = 2 ** (Math.ceil(Math.log2(n)) - 3);
  return Math.ceil(n / step) * step;
}

/**
 * The batch with every list (and its margin, if any) padded (zeros, mask 0) to `listSize` slots; the same
 * batch if already that size. `withFeatures: false` leaves the features out (empty), for engines that
 * take the real documents' rows instead (see `packRows`).
 */
export function padBatch(batch: ListBatch, listSize: number, withFeatures = true): ListBatch {
  const { batchSize: B, listSize: N, inputSize: f } = batch;
  if (listSize === N) return withFeatures ? batch : { ...batch, features: new Float32Array(0) };
  if (listSize < N) throw new Error(`cannot pad lists of ${N} slots to ${listSize}`);
  const features = new Float32Array(withFeatures ? B * listSize * f : 0);
  const mask = new Uint8Array(B * listSize);
  const labels = batch.labels.map(() => new Float32Array(B * listSize));
  const margin = batch.margin ? new Float32Array(B * listSize) : undefined;
  const s0 = batch.s0 ? new Float32Array(B * listSize) : undefined;
  for (let b = 0; b < B; b++) {
    if (withFeatures) features.set(batch.features.subarray(b * N * f, (b + 1) * N * f), b * listSize * f);
    mask.set(batch.mask.subarray(b * N, (b + 1) * N), b * listSize);
    batch.labels.forEach((l, j) => labels[j].set(l.subarray(b * N, (b + 1) * N), b * listSize));
    if (margin && batch.margin) margin.set(batch.margin.subarray(b * N, (b + 1) * N), b * listSize);
    if (s0 && batch.s0) s0.set(batch.s0.subarray(b * N, (b + 1) * N), b * listSize);
  }
  return { ...batch, listSize, features, mask, labels, ...(margin ? { margin } : {}), ...(s0 ? { s0 } : {}) };
}

/** The real documents of a batch as rows, and where each slot of the lists padded to `listSize` finds its row. */
export interface PackedRows {
  /** `[D, inputSize]` features of the real documents, list by list (D ≥ 1: one zero row when none is real). */
  rows: Float32Array;
  count: number;
  /** `[B · listSize]` row of each slot (0 for padded slots, which are masked). */
  slots: BigInt64Array;
  /** `[D]` list of each row. */
  listOf: Int32Array;
  /** `[D]` the batch's precomputed s0 score of each row (when the batch carries `s0`). */
  s0?: Float32Array;
}

/** Packs the real documents (mask 1) of `batch` into rows, with the slot → row map for `listSize` slots. */
export function packRows(batch: ListBatch, listSize: number): PackedRows {
  const { batchSize: B, listSize: N, inputSize: f, mask } = batch;
  let count = 0;
  for (let i = 0; i < B * N; i++) count += mask[i];
  const rows = new Float32Array(Math.max(1, count) * f);
  const slots = new BigInt64Array(B * listSize);
  const listOf = new Int32Array(Math.max(1, count));
  const s0 = batch.s0 ? new Float32Array(Math.max(1, count)) : undefined;
  let r = 0;
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < N; i++) {
      const at = b * N + i;
      if (mask[at] === 0) continue;
      rows.set(batch.features.subarray(at * f, (at + 1) * f), r * f);
      slots[b * listSize + i] = BigInt(r);
      listOf[r] = b;
      if (s0 && batch.s0) s0[r] = batch.s0[at];
      r++;
    }
  }
  return { rows, count: Math.max(1, count), slots, listOf, ...(s0 ? { s0 } : {}) };
}
