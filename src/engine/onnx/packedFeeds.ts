/**
 * The batch feeds of a packed-rows step (trainGraph.ts `packed`), built straight from the checked batch into
 * buffers a session reuses from step to step (issue 12: no per-step allocation of the tensors' memory).
 *
 * The padded-list feeds (mask, labels, margin, perm: `[B, N]` with N the batch's list-size bucket) and the
 * row feeds (features `[D, F]`, slots `[B·N]`, wRows `[D, m]`, s0 `[D]`) are views of the first elements of
 * growable buffers; a buffer grows (doubling) only when a batch needs more than any before it. ORT reads its
 * inputs during `run` and keeps no reference, so each step may overwrite the previous step's feeds. Real
 * documents' rows are copied a run of consecutive real slots at a time (batches hold each list's real
 * documents first, so usually one copy per list).
 */
import type { ListBatch } from '../engine';
import { listmlePermutation } from './losses';
import type { WireFeeds, WireTensor } from './ortWorker';
import type { TrainGraphLayout } from './trainGraph';

const wire = (data: Float32Array, dims: number[]): WireTensor => ({ type: 'float32', data, dims });

export class PackedFeedBuffers {
  private readonly floats = new Map<string, Float32Array>();
  private mask8 = new Uint8Array(0);
  private slotBuffer = new BigInt64Array(0);
  /** BigInt(i) for row indices, made once (a BigInt per slot per step was an allocation each). */
  private readonly bigints: bigint[] = [];

  /** A zeroed view of `length` floats of the buffer named `name` (grown if needed). */
  private float(name: string, length: number): Float32Array {
    let b = this.floats.get(name);
    if (b === undefined || b.length < length) {
      b = new Float32Array(Math.max(length, 2 * (b?.length ?? 0)));
      this.floats.set(name, b);
    }
    const view = b.subarray(0, length);
    view.fill(0);
    return view;
  }

  private big(i: number): bigint {
    while (this.bigints.length <= i) this.bigints.push(BigInt(this.bigints.length));
    return this.bigints[i];
  }

  /**
   * Feeds (all but the parameters and optimizer inputs) of `layout` for `batch` (checked, any list size)
   * with lists padded to `listSize` slots; `m` is the trade-off length of w / β / wRows.
   */
  build(batch: ListBatch, listSize: number, layout: TrainGraphLayout, m: number, wRows: boolean): WireFeeds {
    const { batchSize: B, listSize: n } = batch;
    const N = listSize;
    if (N < n) throw new Error(`internal error: cannot pad lists of ${n} slots to ${N}`);
    if (this.mask8.length < B * N) this.mask8 = new Uint8Array(Math.max(B * N, 2 * this.mask8.length));
    const mask8 = this.mask8.subarray(0, B * N);
    mask8.fill(0);
    const mask = this.float('mask', B * N);
    let count = 0;
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < n; i++) {
        const v = batch.mask[b * n + i];
        mask8[b * N + i] = v;
        mask[b * N + i] = v;
        count += v === 0 ? 0 : 1;
      }
    }
    const padded = (name: string, src: Float32Array) => {
      const out = this.float(name, B * N);
      for (let b = 0; b < B; b++) out.set(src.subarray(b * n, (b + 1) * n), b * N);
      return out;
    };
    const feeds: WireFeeds = { mask: wire(mask, [B, N]) };
    const labels: Float32Array[] = [];
    for (let j = 0; j < layout.labelCount; j++) {
      labels.push(padded(`label.${j}`, batch.labels[j]));
      feeds[`label.${j}`] = wire(labels[j], [B, N]);
    }
    if (layout.needsW) feeds.w = wire(batch.weights as Float32Array, [B, m]);
    if (layout.needsBeta) feeds.beta = wire(batch.beta ?? this.float('beta', B * m).fill(1), [B, m]);
    if (layout.needsMargin) feeds.margin = wire(padded('margin', batch.margin as Float32Array), [B, N]);
    if (layout.needsPerm) feeds.perm = { type: 'int64', data: listmlePermutation(labels[0], mask8, B, N), dims: [B, N] };
    this.rows(feeds, batch, N, Math.max(1, count), layout.needsS0, wRows ? m : 0);
    return feeds;
  }

  /** features [D, F], slots [B·N] and, when asked, s0 [D] and wRows [D, m] of the batch's real documents. */
  private rows(feeds: WireFeeds, batch: ListBatch, N: number, D: number, withS0: boolean, m: number): void {
    const { batchSize: B, listSize: n, inputSize: f, mask } = batch;
    const rows = this.float('rows', D * f);
    const s0 = withS0 ? this.float('s0', D) : null;
    const w = m > 0 ? this.float('wRows', D * m) : null;
    if (this.slotBuffer.length < B * N) this.slotBuffer = new BigInt64Array(Math.max(B * N, 2 * this.slotBuffer.length));
    const slots = this.slotBuffer.subarray(0, B * N);
    slots.fill(0n);
    if (withS0 && batch.s0 === undefined) throw new Error('internal error: a packed s0 input without s0 scores');
    let r = 0;
    for (let b = 0; b < B; b++) {
      const r0 = r;
      let i = 0;
      while (i < n) {
        if (mask[b * n + i] === 0) {
          i++;
          continue;
        }
        // a run of real slots [i, end): one copy of its features (and s0)
        let end = i;
        while (end < n && mask[b * n + end] !== 0) end++;
        const at = b * n + i;
        rows.set(batch.features.subarray(at * f, (at + end - i) * f), r * f);
        if (s0 !== null) s0.set((batch.s0 as Float32Array).subarray(at, at + end - i), r);
        for (let k = i; k < end; k++) slots[b * N + k] = this.big(r++);
        i = end;
      }
      if (w !== null) {
        const wb = (batch.weights as Float32Array).subarray(b * m, (b + 1) * m);
        for (let k = r0; k < r; k++) w.set(wb, k * m);
      }
    }
    feeds.features = wire(rows, [D, f]);
    feeds.slots = { type: 'int64', data: slots, dims: [B * N] };
    if (s0 !== null) feeds.s0 = wire(s0, [D]);
    if (w !== null) feeds.wRows = wire(w, [D, m]);
  }
}
