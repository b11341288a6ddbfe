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
 * The batch with every list (and its margin and s0 scores, if any) padded (zeros, mask 0) to `listSize`
 * slots; the same batch if already that size. (Packed-rows steps pad in their own reused buffers instead:
 * onnx/packedFeeds.ts.)
 */
export function padBatch(batch: ListBatch, listSize: number): ListBatch {
  const { batchSize: B, listSize: N, inputSize: f } = batch;
  if (listSize === N) return batch;
  if (listSize < N) throw new Error(`cannot pad lists of ${N} slots to ${listSize}`);
  const features = new Float32Array(B * listSize * f);
  const mask = new Uint8Array(B * listSize);
  const labels = batch.labels.map(() => new Float32Array(B * listSize));
  const margin = batch.margin ? new Float32Array(B * listSize) : undefined;
  const s0 = batch.s0 ? new Float32Array(B * listSize) : undefined;
  for (let b = 0; b < B; b++) {
    features.set(batch.features.subarray(b * N * f, (b + 1) * N * f), b * listSize * f);
    mask.set(batch.mask.subarray(b * N, (b + 1) * N), b * listSize);
    batch.labels.forEach((l, j) => labels[j].set(l.subarray(b * N, (b + 1) * N), b * listSize));
    if (margin && batch.margin) margin.set(batch.margin.subarray(b * N, (b + 1) * N), b * listSize);
    if (s0 && batch.s0) s0.set(batch.s0.subarray(b * N, (b + 1) * N), b * listSize);
  }
  return { ...batch, listSize, features, mask, labels, ...(margin ? { margin } : {}), ...(s0 ? { s0 } : {}) };
}
