/**
 * Padded list batches for training, drawn from a ranking dataset (DESIGN.md §3, STYLE.md §1).
 *
 * The data stay in the dataset's typed arrays; only one batch at a time is materialised:
 *   features `[B, N, nFeatures]` (zeros in padding), mask `[B, N]` (1 = real document),
 *   labels `[B, N]` per requested label column,
 * with N the longest (possibly slate-cut) list of the batch. Queries are visited in an order
 * shuffled per epoch by the given generator; the last batch of an epoch holds the remainder.
 *
 * Slate cut (allRank's `slate_length`): a list longer than `slateLength` is replaced by
 * `slateLength` of its documents drawn without replacement (partial Fisher–Yates), kept in their
 * original order so the batch does not depend on how the draw permutes them.
 */
import type { RankingDataset } from '../data/dataset';
import type { ListBatch } from '../engine/engine';
import { Rng } from '../util/rng';

export interface BatchingOptions {
  /** Lists (queries) per batch, B. */
  listsPerBatch: number;
  /** Cut longer lists to this many documents by seeded sampling; undefined or 0 = no cut. */
  slateLength?: number;
  /** Indices into `ds.labels` that become `batch.labels`, in order. */
  labelColumns: number[];
  /**
   * The frozen s0's score of every document of the dataset (`frozenBaseScores`), gathered into `batch.s0`
   * like a label column so the engine does not run s0 in the step.
   */
  s0?: Float32Array;
}

/** Everything needed to continue a batch stream exactly where it stopped (JSON-serialisable). */
export interface BatchStreamState {
  epoch: number;
  /** Query order of the current epoch. */
  order: number[];
  /** Position of the next query in `order`. */
  cursor: number;
  rng: ReturnType<Rng['getState']>;
}

/**
 * Materialises one batch from the given queries (in that order). Draws from `rng` only for lists
 * longer than the slate length.
 */
export function makeBatch(ds: RankingDataset, queries: ArrayLike<number>, options: BatchingOptions, rng: Rng): ListBatch {
  const nF = ds.nFeatures;
  const slate = options.slateLength && options.slateLength > 0 ? options.slateLength : Infinity;
  // Rows (dataset document indices) of each list after the slate cut.
  const rows: Int32Array[] = [];
  let listSize = 0;
  for (let b = 0; b < queries.length; b++) {
    const q = queries[b];
    const start = ds.queryOffsets[q];
    const n = ds.queryOffsets[q + 1] - start;
    let r: Int32Array;
    if (n <= slate) {
      r = new Int32Array(n);
      for (let i = 0; i < n; i++) r[i] = start + i;
    } else {
      const idx = new Int32Array(n);
      for (let i = 0; i < n; i++) idx[i] = i;
      for (let i = 0; i < slate; i++) {
        const j = i + rng.int(n - i);
        const t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
      }
      r = idx.slice(0, slate).sort();
      for (let i = 0; i < r.length; i++) r[i] += start;
    }
    rows.push(r);
    if (r.length > listSize) listSize = r.length;
  }
  const B = queries.length;
  const features = new Float32Array(B * listSize * nF);
  const mask = new Uint8Array(B * listSize);
  // the per-document columns gathered into the lists: the labels, then s0's scores when given
  const columns = options.labelColumns.map((c) => ds.labels[c]);
  if (options.s0) columns.push(options.s0);
  const gathered = columns.map(() => new Float32Array(B * listSize));
  for (let b = 0; b < B; b++) {
    const r = rows[b];
    const n = r.length;
    const slot0 = b * listSize;
    mask.fill(1, slot0, slot0 + n);
    if (n > 0 && r[n - 1] - r[0] === n - 1) {
      // an uncut list is one contiguous run of documents: one copy per array
      features.set(ds.features.subarray(r[0] * nF, (r[0] + n) * nF), slot0 * nF);
      for (let c = 0; c < columns.length; c++) gathered[c].set(columns[c].subarray(r[0], r[0] + n), slot0);
      continue;
    }
    for (let i = 0; i < n; i++) {
      const d = r[i];
      features.set(ds.features.subarray(d * nF, (d + 1) * nF), (slot0 + i) * nF);
      for (let c = 0; c < columns.length; c++) gathered[c][slot0 + i] = columns[c][d];
    }
  }
  const labels = gathered.slice(0, options.labelColumns.length);
  return { batchSize: B, listSize, inputSize: nF, features, mask, labels, ...(options.s0 ? { s0: gathered[labels.length] } : {}) };
}

/** All batches of one epoch: queries shuffled by `rng`, then cut into groups of `listsPerBatch`. */
export function makeBatches(ds: RankingDataset, options: BatchingOptions, rng: Rng): ListBatch[] {
  const stream = new BatchStream(ds, options, rng);
  const out: ListBatch[] = [];
  for (let i = 0; i < stream.batchesPerEpoch; i++) out.push(stream.next());
  return out;
}

/**
 * An endless stream of batches over epochs, whose position and generator state can be saved and
 * restored so a resumed run sees the same batches as an uninterrupted one.
 * The stream owns `rng` (shuffles and slate draws); do not draw from it elsewhere.
 */
export class BatchStream {
  readonly batchesPerEpoch: number;
  private epoch = -1;
  private order: Int32Array = new Int32Array(0);
  private cursor = 0;

  constructor(
    private readonly ds: RankingDataset,
    private readonly options: BatchingOptions,
    private readonly rng: Rng,
  ) {
    const nQ = ds.queryOffsets.length - 1;
    if (!(options.listsPerBatch >= 1) || !Number.isInteger(options.listsPerBatch)) {
      throw new Error(`listsPerBatch must be a positive integer, got ${options.listsPerBatch}`);
    }
    if (nQ === 0) throw new Error('cannot make batches from a dataset without queries');
    for (const c of options.labelColumns) {
      if (!(c >= 0 && c < ds.labels.length)) throw new Error(`label column ${c} does not exist (the dataset has ${ds.labels.length})`);
    }
    const nDocs = ds.queryOffsets[nQ];
    if (options.s0 && options.s0.length !== nDocs) throw new Error(`s0 scores: ${options.s0.length} values for a dataset of ${nDocs} documents`);
    this.batchesPerEpoch = Math.ceil(nQ / options.listsPerBatch);
  }

  /** The next batch; starts a new, freshly shuffled epoch when the current one is used up. */
  next(): ListBatch {
    const nQ = this.ds.queryOffsets.length - 1;
    if (this.epoch < 0 || this.cursor >= nQ) {
      this.epoch++;
      this.order = new Int32Array(nQ);
      for (let q = 0; q < nQ; q++) this.order[q] = q;
      this.rng.shuffle(this.order);
      this.cursor = 0;
    }
    const end = Math.min(nQ, this.cursor + this.options.listsPerBatch);
    const queries = this.order.subarray(this.cursor, end);
    this.cursor = end;
    return makeBatch(this.ds, queries, this.options, this.rng);
  }

  /** Epochs started so far minus one (−1 before the first batch). */
  get currentEpoch(): number {
    return this.epoch;
  }

  getState(): BatchStreamState {
    return { epoch: this.epoch, order: Array.from(this.order), cursor: this.cursor, rng: this.rng.getState() };
  }

  setState(state: BatchStreamState): void {
    this.epoch = state.epoch;
    this.order = Int32Array.from(state.order);
    this.cursor = state.cursor;
    this.rng.setState(state.rng);
  }
}

/**
 * The per-list trade-off `weights` and temperatures `beta` of a batch of `B` lists (`[B, m]` each):
 * list b's rows come from `row(b)`, called once per list in order b = 0, 1, …, B-1 (callers that draw
 * from a generator rely on that order).
 */
export function perListWeights(B: number, m: number, row: (b: number) => { w: ArrayLike<number>; beta: ArrayLike<number> }): { weights: Float32Array; beta: Float32Array } {
  const weights = new Float32Array(B * m);
  const beta = new Float32Array(B * m);
  for (let b = 0; b < B; b++) {
    const r = row(b);
    weights.set(r.w, b * m);
    beta.set(r.beta, b * m);
  }
  return { weights, beta };
}
