/**
 * ONNX training sessions. With one thread, the whole step (forward of the trained net and frozen s0,
 * loss, backward, AdamW) is one graph per batch shape (B, N) — see trainGraph.ts. With T ≥ 2 threads the
 * step is data-parallel (dataParallel.ts): each part runs a single-threaded 'gradients' graph, then one
 * small AdamW graph (adam.ts `buildAdamGraph`) combines the gradients, weighted by each part's share of
 * the lists. This waits once per step instead of once per op (see ortWorker.ts for why that matters on a
 * shared machine). Parameters and Adam moments stay in JS Float32Arrays and go in/out of every run.
 *
 * Batches are padded to a few list sizes (`listSizeBucket`) so heavy-tailed data do not compile a graph
 * per batch. Dropout multipliers are drawn in JS from `Rng(seed)` (0 with probability p, else 1/(1−p))
 * for the whole batch and fed as inputs (sliced per part: the same masks whatever the thread count).
 */
import { isTrainable, type Parameters, type ScorerSpec } from '../../model/spec';
import { ConfigError } from '../../util/errors';
import { Rng } from '../../util/rng';
import { batchNeeds, checkListBatch, checkRestore, checkTrainOptions, type BatchNeeds } from '../checks';
import type { ListBatch, OptimizerState, TrainProfile, TrainSession, TrainSessionOptions } from '../engine';
import { listSizeBucket, padBatch } from '../padding';
import { buildAdamGraph } from './adam';
import { DataParallelRunner, splitLists, toOrt, type DataParallel } from './dataParallel';
import { listmlePermutation } from './losses';
import { PackedFeedBuffers } from './packedFeeds';
import type { WireFeeds, WireTensor } from './ortWorker';
import { f32, type Feeds, type Opener, type Session } from './session';
import { buildTrainGraph, packedEligible, trainedScorer, type TrainGraphLayout } from './trainGraph';

/** A built training graph: its layout, model bytes, and (opened on first use) the calling thread's session. */
interface BuiltGraph {
  layout: TrainGraphLayout;
  /** Document slots B·N of its shape (its activation memory grows with them). */
  slots: number;
  bytes: Uint8Array;
  session(): Promise<Session>;
  /** Releases the session if it was opened. */
  release(): void;
}

type GraphMode = 'step' | 'loss' | 'gradients';

/**
 * Training graphs kept per session, least recently used evicted: at most MAX_TRAIN_GRAPHS, and beyond
 * two only while their document slots (Σ B·N) stay within MAX_TRAIN_GRAPH_SLOTS. Each ORT session holds
 * activation memory for its shape, so big shapes must not pile up (1M generated documents with lists of
 * up to 1,300: 3 graphs trained as fast as 6 and peaked 0.5 GB lower); but small data with a dozen list
 * buckets (MQ2008: 8…128 documents) must keep every shape, or the loop rebuilds a graph and its session
 * at almost every step (measured: ~90% of a step's time with 3 graphs).
 */
const MAX_TRAIN_GRAPHS = 48;
const MAX_TRAIN_GRAPH_SLOTS = 98_304;

const wire = (data: Float32Array, dims: number[]): WireTensor => ({ type: 'float32', data, dims });

const copyParams = (p: Parameters): Parameters =>
  Object.fromEntries(Object.entries(p).map(([k, t]) => [k, { shape: t.shape.slice(), data: Float32Array.from(t.data) }]));

export class OnnxTrainSession implements TrainSession {
  private params: Parameters;
  private m: Parameters = {};
  private v: Parameters = {};
  private stepCount = 0;
  private readonly rng: Rng;
  private readonly scorer: ScorerSpec;
  private readonly cm: number;
  private readonly needs: BatchNeeds;
  /** Graphs by `<mode>:<B>x<N>:<intra-op threads>`, and AdamW graphs by vector size and part weights. */
  private readonly graphs = new Map<string, BuiltGraph>();
  private readonly adamSessions = new Map<string, Promise<Session>>();
  private runner: DataParallelRunner | null;
  /** Steps run on the real documents' rows only (`packedEligible`): one graph, no data parallelism. */
  private readonly packed: boolean;
  /** The packed steps' feed buffers, reused from step to step. */
  private readonly buffers = new PackedFeedBuffers();

  constructor(
    private readonly options: TrainSessionOptions,
    private readonly open: Opener,
    /** Intra-op threads of the one-graph step (no data parallelism). */
    private readonly threads: number,
    parallel: DataParallel | null,
    /** Prefix of this session's graph keys on the (shared) worker threads. */
    private readonly id: string,
    /** Where step time is accumulated by part (shared by the engine's sessions). */
    private readonly profile: TrainProfile = { transfer: 0, engine: 0, optimiser: 0 },
    /** Run eligible steps on packed rows (default true). */
    packedRows = true,
  ) {
    checkTrainOptions(options);
    const { spec, params, target } = options;
    this.needs = batchNeeds(options);
    this.cm = this.needs.m;
    this.scorer = trainedScorer(spec, target);
    this.params = copyParams((target === 'base' ? params.base : params.cos) as Parameters);
    for (const [name, t] of Object.entries(this.params)) {
      this.m[name] = { shape: t.shape.slice(), data: new Float32Array(t.data.length) };
      this.v[name] = { shape: t.shape.slice(), data: new Float32Array(t.data.length) };
    }
    this.rng = new Rng(options.seed);
    this.packed = packedRows && packedEligible(spec, target, this.scorer.dropout);
    this.runner = this.packed ? null : parallel && new DataParallelRunner(parallel);
  }

  /** The graph of a shape; `s0Input`: s0's scores are an input (the batch carries them), not computed. */
  private graph(mode: GraphMode, batchSize: number, listSize: number, intraThreads: number, s0Input: boolean): BuiltGraph {
    // a packed graph serves every list size
    const shape = this.packed && mode !== 'gradients' ? `${batchSize}xN` : `${batchSize}x${listSize}`;
    const key = `${mode}${s0Input ? '+s0' : ''}:${shape}:${intraThreads}`;
    let s = this.graphs.get(key);
    if (s !== undefined) {
      this.graphs.delete(key); // most recently used last
      this.graphs.set(key, s);
      return s;
    }
    s = this.buildGraph(mode, batchSize, listSize, intraThreads, s0Input);
    this.graphs.set(key, s);
    let slots = 0;
    for (const g of this.graphs.values()) slots += g.slots;
    for (const [oldKey, old] of this.graphs) {
      const n = this.graphs.size;
      if (n <= 2 || (n <= MAX_TRAIN_GRAPHS && slots <= MAX_TRAIN_GRAPH_SLOTS)) break;
      slots -= old.slots;
      old.release();
      this.graphs.delete(oldKey);
      this.runner?.release(`:${oldKey.slice(0, oldKey.lastIndexOf(':'))}`);
    }
    return s;
  }

  private buildGraph(mode: GraphMode, batchSize: number, listSize: number, intraThreads: number, s0Input: boolean): BuiltGraph {
    const o = this.options;
    const layout = buildTrainGraph({
      spec: o.spec,
      target: o.target,
      loss: o.loss,
      optimizer: o.optimizer,
      frozen: o.target === 'cos' && !s0Input ? o.params.base : null,
      s0Input,
      batchSize,
      listSize,
      conditioningLength: this.cm,
      mode,
      dropout: this.scorer.dropout,
      flatGradients: mode === 'gradients',
      packed: this.packed && mode !== 'gradients',
    });
    const bytes = layout.graph.toModel();
    let session: Promise<Session> | null = null;
    return {
      layout,
      slots: this.packed ? 0 : batchSize * listSize,
      bytes,
      session: () => (session ??= this.open(bytes, intraThreads)),
      release: () => void session?.then((opened) => opened.release()),
    };
  }

  /**
   * Feeds of lists [lo, hi) of a padded batch (views into the batch's arrays; `copy` makes them own their
   * memory, for transfer to a worker). Parameters are views of the session's arrays unless `copy`.
   */
  private partFeeds(batch: ListBatch, layout: TrainGraphLayout, lo: number, hi: number, copy: boolean): WireFeeds {
    const t0 = performance.now();
    try {
      return this.buildPartFeeds(batch, layout, lo, hi, copy);
    } finally {
      this.profile.transfer += (performance.now() - t0) / 1000;
    }
  }

  private buildPartFeeds(batch: ListBatch, layout: TrainGraphLayout, lo: number, hi: number, copy: boolean): WireFeeds {
    const N = batch.listSize;
    const f = batch.inputSize;
    const m = this.cm;
    const b = hi - lo;
    const cut = (a: Float32Array, per: number) => (copy ? a.slice(lo * per, hi * per) : a.subarray(lo * per, hi * per));
    const mask = Float32Array.from(batch.mask.subarray(lo * N, hi * N));
    const feeds: WireFeeds = { mask: wire(mask, [b, N]) };
    feeds.features = wire(cut(batch.features, N * f), [b, N, f]);
    for (let j = 0; j < layout.labelCount; j++) feeds[`label.${j}`] = wire(cut(batch.labels[j], N), [b, N]);
    if (layout.needsW) feeds.w = wire(cut(batch.weights as Float32Array, m), [b, m]);
    if (layout.needsBeta) feeds.beta = wire(batch.beta !== undefined ? cut(batch.beta, m) : new Float32Array(b * m).fill(1), [b, m]);
    if (layout.needsMargin) feeds.margin = wire(cut(batch.margin as Float32Array, N), [b, N]);
    if (layout.needsS0) feeds.s0 = wire(cut(batch.s0 as Float32Array, N), [b, N]);
    if (layout.needsPerm) {
      feeds.perm = { type: 'int64', data: listmlePermutation(batch.labels[0].subarray(lo * N, hi * N), batch.mask.subarray(lo * N, hi * N), b, N), dims: [b, N] };
    }
    for (const name of layout.paramNames) {
      const t = this.params[name];
      feeds[`p.${name}`] = wire(copy ? t.data.slice() : t.data, t.shape);
    }
    return feeds;
  }

  /**
   * Dropout multipliers for a whole batch of B·N rows, one array per site of `shapes` (part shapes
   * `[rows, …]`), drawn in site order so every thread count sees the same masks.
   */
  private drawDropout(shapes: number[][], rows: number): { data: Float32Array; width: number }[] {
    const p = this.scorer.dropout;
    const threshold = p * 4294967296;
    const keep = 1 / (1 - p);
    return shapes.map((shape) => {
      const width = shape.slice(1).reduce((a, c) => a * c, 1);
      const data = new Float32Array(rows * width);
      for (let i = 0; i < data.length; i++) data[i] = this.rng.nextUint32() < threshold ? 0 : keep;
      return { data, width };
    });
  }

  private adamSession(size: number, weights: number[]): Promise<Session> {
    const key = `${size}:${weights.join(',')}`;
    let s = this.adamSessions.get(key);
    if (s === undefined) {
      s = this.open(buildAdamGraph(size, weights, this.options.optimizer).toModel(), 1);
      this.adamSessions.set(key, s);
    }
    return s;
  }

  /**
   * Runs `mode` data-parallel over the lists of a batch: part 0 here, the others on workers. Returns each
   * part's outputs and its weight (share of the lists).
   */
  private async runParts(mode: 'loss' | 'gradients', batch: ListBatch, runner: DataParallelRunner, dropout: boolean): Promise<{ outs: Record<string, WireTensor>[]; weights: number[]; layout: TrainGraphLayout }> {
    const { batchSize: B, listSize: N } = batch;
    const ranges = splitLists(B, runner.config.parts);
    const built = (b: number) => this.graph(mode, b, N, 1, batch.s0 !== undefined);
    const layout0 = built(ranges[0][1]).layout;
    const masks = dropout ? this.drawDropout(layout0.dropoutShapes, B * N) : [];
    const jobs = ranges.map(([lo, hi]) => ({
      key: `${this.id}:${mode}:${hi - lo}x${N}`,
      bytes: built(hi - lo).bytes,
      feeds: (copy: boolean) => {
        const layout = built(hi - lo).layout;
        const feeds = this.partFeeds(batch, layout, lo, hi, copy);
        layout.dropoutShapes.forEach((shape, k) => {
          if (shape[0] !== (hi - lo) * N) throw new Error('internal error: a dropout site is not one row per document');
          const { data, width } = masks[k];
          feeds[`drop.${k}`] = wire(copy ? data.slice(lo * N * width, hi * N * width) : data.subarray(lo * N * width, hi * N * width), shape);
        });
        return feeds;
      },
    }));
    const [lo0, hi0] = ranges[0];
    const t0 = performance.now();
    const transferBefore = this.profile.transfer;
    const outs = await runner.run(jobs, () => built(hi0 - lo0).session());
    this.profile.engine += (performance.now() - t0) / 1000 - (this.profile.transfer - transferBefore);
    return { outs, weights: ranges.map(([lo, hi]) => (hi - lo) / B), layout: built(hi0 - lo0).layout };
  }

  private async parallelStep(batch: ListBatch, runner: DataParallelRunner): Promise<number> {
    const { outs, weights, layout } = await this.runParts('gradients', batch, runner, this.scorer.dropout > 0);
    // the AdamW graph works on every trained tensor concatenated (trainableNames order, as the flat `grad`)
    const names = layout.trainableNames;
    const size = names.reduce((n, name) => n + this.params[name].data.length, 0);
    const flatten = (p: Parameters) => {
      const flat = new Float32Array(size);
      let at = 0;
      for (const name of names) {
        flat.set(p[name].data, at);
        at += p[name].data.length;
      }
      return f32(flat, [size]);
    };
    const t0 = performance.now();
    const feeds: Feeds = { p: flatten(this.params), m: flatten(this.m), v: flatten(this.v), step: f32(Float32Array.of(this.stepCount + 1), []) };
    outs.forEach((o, k) => (feeds[`grad.${k}`] = f32(o.grad.data as Float32Array, [size])));
    const adam = await this.adamSession(size, weights);
    const t1 = performance.now();
    const out = await adam.run(feeds);
    const t2 = performance.now();
    this.stepCount += 1;
    const unflatten = (flat: Float32Array, p: Parameters) => {
      let at = 0;
      for (const name of names) {
        p[name].data = flat.subarray(at, at + p[name].data.length);
        at += p[name].data.length;
      }
    };
    unflatten(out['new.p'].data as Float32Array, this.params);
    unflatten(out['new.m'].data as Float32Array, this.m);
    unflatten(out['new.v'].data as Float32Array, this.v);
    this.profile.optimiser += (t2 - t1) / 1000;
    this.profile.transfer += (t1 - t0 + performance.now() - t2) / 1000;
    return outs.reduce((sum, o, k) => sum + weights[k] * (o.loss.data as Float32Array)[0], 0);
  }

  /** Runs `fn` data-parallel; if a worker thread cannot be used, falls back to one thread for good. */
  private async withParallel<T>(batch: ListBatch, fn: (r: DataParallelRunner) => Promise<T>, single: () => Promise<T>): Promise<T> {
    const runner = this.runner;
    if (runner === null || batch.batchSize < 2) return single();
    try {
      return await fn(runner);
    } catch (err) {
      if (err instanceof ConfigError || !(err instanceof Error) || !err.message.startsWith('onnx worker')) throw err;
      runner.release();
      this.runner = null;
      return single();
    }
  }

  /** The batch checked (before padding, so a bad batch fails here and not inside padding) and padded to its list-size bucket. */
  private prepared(raw: ListBatch): ListBatch {
    const t0 = performance.now();
    checkListBatch(raw, this.options.spec.base.inputSize, this.needs);
    const batch = padBatch(raw, listSizeBucket(raw.listSize));
    this.profile.transfer += (performance.now() - t0) / 1000;
    return batch;
  }

  /** A packed step's feeds: the batch checked, then built into the session's reused buffers (packedFeeds.ts). */
  private packedStepFeeds(raw: ListBatch, layout: TrainGraphLayout): WireFeeds {
    const t0 = performance.now();
    checkListBatch(raw, this.options.spec.base.inputSize, this.needs);
    const wRows = this.options.target === 'cos' && (this.options.spec.cos?.net.conditioning.weights ?? 0) > 0;
    const feeds = this.buffers.build(raw, listSizeBucket(raw.listSize), layout, this.cm, wRows);
    for (const name of layout.paramNames) {
      const t = this.params[name];
      feeds[`p.${name}`] = wire(t.data, t.shape);
    }
    this.profile.transfer += (performance.now() - t0) / 1000;
    return feeds;
  }

  async step(raw: ListBatch): Promise<number> {
    if (this.packed) return this.singleStep(raw.batchSize, listSizeBucket(raw.listSize), raw.s0 !== undefined, (layout) => this.packedStepFeeds(raw, layout));
    const batch = this.prepared(raw);
    const feeds = (layout: TrainGraphLayout) => this.partFeeds(batch, layout, 0, batch.batchSize, false);
    return this.withParallel(batch, (r) => this.parallelStep(batch, r), () => this.singleStep(batch.batchSize, batch.listSize, batch.s0 !== undefined, feeds));
  }

  /** One graph: forward, backward and AdamW on the calling thread (counted as engine time). */
  private async singleStep(batchSize: number, listSize: number, withS0: boolean, feedsOf: (layout: TrainGraphLayout) => WireFeeds): Promise<number> {
    const g = this.graph('step', batchSize, listSize, this.threads, withS0);
    const { layout } = g;
    const session = await g.session();
    const feeds = toOrt(feedsOf(layout));
    this.drawDropout(layout.dropoutShapes, batchSize * listSize).forEach(({ data }, k) => (feeds[`drop.${k}`] = f32(data, layout.dropoutShapes[k])));
    for (const name of layout.trainableNames) {
      feeds[`m.${name}`] = f32(this.m[name].data, this.m[name].shape);
      feeds[`v.${name}`] = f32(this.v[name].data, this.v[name].shape);
    }
    feeds.step = f32(Float32Array.of(this.stepCount + 1), []);
    const t0 = performance.now();
    const out = await session.run(feeds);
    this.profile.engine += (performance.now() - t0) / 1000;
    this.stepCount += 1;
    for (const name of layout.trainableNames) {
      this.params[name].data = out[`new.p.${name}`].data as Float32Array;
      this.m[name].data = out[`new.m.${name}`].data as Float32Array;
      this.v[name].data = out[`new.v.${name}`].data as Float32Array;
    }
    return (out.loss.data as Float32Array)[0];
  }

  async evaluateLoss(raw: ListBatch): Promise<number> {
    const lossOn = async (batchSize: number, listSize: number, withS0: boolean, feedsOf: (layout: TrainGraphLayout) => WireFeeds) => {
      const g = this.graph('loss', batchSize, listSize, this.threads, withS0);
      const session = await g.session();
      const out = await session.run(toOrt(feedsOf(g.layout)));
      return (out.loss.data as Float32Array)[0];
    };
    if (this.packed) return lossOn(raw.batchSize, listSizeBucket(raw.listSize), raw.s0 !== undefined, (layout) => this.packedStepFeeds(raw, layout));
    const batch = this.prepared(raw);
    return this.withParallel(
      batch,
      async (r) => {
        const { outs, weights } = await this.runParts('loss', batch, r, false);
        return outs.reduce((sum, o, k) => sum + weights[k] * (o.loss.data as Float32Array)[0], 0);
      },
      () => lossOn(batch.batchSize, batch.listSize, batch.s0 !== undefined, (layout) => this.partFeeds(batch, layout, 0, batch.batchSize, false)),
    );
  }

  parameters(): Parameters {
    return copyParams(this.params);
  }

  optimizerState(): OptimizerState {
    const trainable = (p: Parameters) => Object.fromEntries(Object.entries(p).filter(([k]) => isTrainable(k)));
    return { step: this.stepCount, m: copyParams(trainable(this.m)), v: copyParams(trainable(this.v)), dropoutRng: this.rng.getState() };
  }

  restore(params: Parameters, state: OptimizerState): void {
    checkRestore(this.scorer, params, state);
    for (const name of Object.keys(this.params)) {
      this.params[name].data = Float32Array.from(params[name].data);
      if (!isTrainable(name)) continue;
      this.m[name].data = Float32Array.from(state.m[name].data);
      this.v[name].data = Float32Array.from(state.v[name].data);
    }
    this.stepCount = state.step;
    if (state.dropoutRng) this.rng.setState(state.dropoutRng);
  }

  dispose(): void {
    for (const g of this.graphs.values()) g.release();
    for (const s of this.adamSessions.values()) void s.then((session) => session.release());
    this.graphs.clear();
    this.adamSessions.clear();
    this.runner?.release();
  }
}
