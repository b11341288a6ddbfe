/**
 * The ONNX engine (DESIGN.md §5): rankers compiled to ONNX graphs by our own builder and run on
 * onnxruntime-node (CPU, graph optimisation level 'all', `threads` threads, default 2, idle intra-op
 * threads sleeping rather than spinning unless `spin`).
 *
 * - `score`: one inference graph per (spec, parameters object) — parameters baked in as initializers,
 *   cached by the identity of the `RankerParameters` object (pass a new object after changing
 *   parameters); at most MAX_INFERENCE_SESSIONS are kept, least recently used released first (once no
 *   score is running on them). MLP-only rankers score flat rows in chunks; rankers with a transformer score
 *   padded lists, queries sorted by length and packed into chunks of at most `maxSlots` document slots.
 * - `createTrainSession`: with one thread, the whole step (forward of the trained net and frozen s0, loss,
 *   backward, AdamW) is one graph per batch shape (B, N) — see trainGraph.ts. With T ≥ 2 threads the step
 *   is data-parallel: the batch's lists are split into T contiguous parts, part 0 runs a single-threaded
 *   'gradients' graph on the calling thread and parts 1…T−1 the same graph on worker threads (ortWorker.ts),
 *   then one small AdamW graph (adam.ts `buildAdamGraph`) combines the gradients, weighted by each part's
 *   share of the lists (every loss is a mean over lists, so this is the full-batch gradient). This waits once
 *   per step instead of once per op (see ortWorker.ts for why that matters on a shared machine).
 *   Parameters and Adam moments stay in JS Float32Arrays and go in/out of every run.
 * - Dropout: multipliers drawn in JS from `Rng(seed)` (0 with probability p, else 1/(1−p)) for the whole
 *   batch and fed as inputs (sliced per part: the same masks whatever the thread count); the tfjs engine
 *   draws its own masks, so dropout runs agree in distribution, not bit for bit.
 * - CUDA: with `cuda: true` or `COSRANK_ONNX_CUDA=1` the CUDA execution provider is requested first
 *   (falls back to CPU when it does not load; untested here — no GPU on the build machine).
 * Unsupported requests throw a `ConfigError` naming the field, so a selector can fall back to tfjs.
 */
import * as ort from 'onnxruntime-node';
import { isTrainable, parameterShapes, type Parameters, type RankerSpec, type ScorerSpec } from '../../model/spec';
import { ConfigError, type ConfigIssue } from '../../util/errors';
import { Rng } from '../../util/rng';
import type { Engine, ListBatch, OptimizerState, ScoreInput, TrainSession, TrainSessionOptions } from '../engine';
import type { RankerParameters } from '../../model/rankerParameters';
import { buildAdamGraph } from './adam';
import { listmlePermutation } from './losses';
import { listSizeBucket, padBatch } from '../padding';
import { OrtWorker, type WireFeeds, type WireTensor } from './ortWorker';
import { buildInferenceGraph, inferenceInputs, inferenceLayout } from './scorerGraph';
import { buildTrainGraph, trainedScorer, type TrainGraphLayout } from './trainGraph';

export interface OnnxEngineOptions {
  /**
   * Threads (default 2): intra-op threads of scoring sessions; for training, the number of data-parallel
   * parts (one on the calling thread, the rest on worker threads, each single-threaded).
   */
  threads?: number;
  /**
   * Train data-parallel over `threads` single-threaded sessions (default true); false runs the one-graph
   * step with `threads` intra-op threads.
   */
  dataParallel?: boolean;
  /** Request the CUDA execution provider (default: `COSRANK_ONNX_CUDA=1`). */
  cuda?: boolean;
  /** Maximum document slots (rows, or B·N for lists) per scoring run (default 65536). */
  maxSlots?: number;
  /**
   * Let idle intra-op threads spin (default false: they sleep, like OMP_WAIT_POLICY=PASSIVE — measured
   * faster on this shared 2-core machine; spinning may win on an idle dedicated one).
   */
  spin?: boolean;
}

type Session = ort.InferenceSession;

/**
 * Inference sessions kept per engine. Each holds its graph's weights and activation arena in native
 * memory the JS garbage collector does not see, so sessions of parameter objects no longer used (a new
 * object at every training validation, a serving reload) must be released explicitly: keyed by object
 * identity with no bound, 300 validations of a 136-256-256 MLP grew RSS past 1 GB. Three cover serving
 * across a reload (old and new model) and a sweep (one model, many w).
 */
const MAX_INFERENCE_SESSIONS = 3;

/** A cached inference session: which (parameters object, spec) it runs, and how many scores use it now. */
interface CachedInference {
  params: RankerParameters;
  key: string;
  session: Promise<Session>;
  users: number;
  evicted: boolean;
}
type Feeds = Record<string, ort.Tensor>;
/** Opens a session on the calling thread with the given intra-op thread count. */
type Opener = (bytes: Uint8Array, intraThreads: number) => Promise<Session>;

const f32 = (data: Float32Array, dims: readonly number[]) => new ort.Tensor('float32', data, dims);

/** Every problem with a ranker's spec/parameters pairing, as one ConfigError. */
export function checkRanker(spec: RankerSpec, params: RankerParameters): void {
  const issues: ConfigIssue[] = [];
  const checkScorer = (s: ScorerSpec, p: Parameters | undefined, path: string) => {
    if (p === undefined) {
      issues.push({ path, value: undefined, expected: 'parameters of the scorer' });
      return;
    }
    for (const [name, shape] of parameterShapes(s)) {
      const t = p[name];
      const size = shape.reduce((a, b) => a * b, 1);
      if (t === undefined || t.data.length !== size) issues.push({ path: `${path}.${name}`, value: t?.shape, expected: `shape [${shape.join(', ')}]` });
    }
  };
  if (spec.base.conditioning.weights !== 0) issues.push({ path: 'spec.base.conditioning.weights', value: spec.base.conditioning.weights, expected: '0 (s0 is unconditioned)' });
  for (const [s, path] of [[spec.base, 'spec.base'], ...(spec.cos ? [[spec.cos.net, 'spec.cos.net'] as const] : [])] as const) {
    if (s.kind === 'transformer' && s.dModel % s.nHeads !== 0) issues.push({ path: `${path}.nHeads`, value: s.nHeads, expected: `a divisor of dModel ${s.dModel}` });
  }
  if (spec.cos && spec.cos.net.inputSize !== spec.base.inputSize) issues.push({ path: 'spec.cos.net.inputSize', value: spec.cos.net.inputSize, expected: `${spec.base.inputSize} (= spec.base.inputSize)` });
  checkScorer(spec.base, params.base, 'params.base');
  if (spec.cos) checkScorer(spec.cos.net, params.cos, 'params.cos');
  if (issues.length > 0) throw new ConfigError(issues, 'onnx engine');
}

export async function createOnnxEngine(options: OnnxEngineOptions = {}): Promise<Engine> {
  const threads = options.threads ?? 2;
  const maxSlots = options.maxSlots ?? 65536;
  const wantCuda = options.cuda ?? process.env.COSRANK_ONNX_CUDA === '1';
  const cudaListed = ort.listSupportedBackends().some((b) => b.name === 'cuda');
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: options.spin === true ? '1' : '0' } } },
  };
  let cudaFailed = false;
  const open: Opener = async (bytes, intraThreads) => {
    if (wantCuda && cudaListed && !cudaFailed) {
      try {
        return await ort.InferenceSession.create(bytes, { ...base, intraOpNumThreads: intraThreads, executionProviders: ['cuda', 'cpu'] });
      } catch {
        cudaFailed = true; // the CUDA provider did not load: CPU from now on
      }
    }
    return ort.InferenceSession.create(bytes, { ...base, intraOpNumThreads: intraThreads, executionProviders: ['cpu'] });
  };
  // data parallelism is for the CPU provider only; the worker threads are shared by every train session of
  // this engine, started on first use, and never keep the process alive (see OrtWorker)
  const pool: OrtWorker[] = [];
  const parallel: DataParallel | null =
    threads > 1 && !wantCuda && options.dataParallel !== false
      ? {
          parts: threads,
          workerOptions: { ...base, intraOpNumThreads: 1, executionProviders: ['cpu'] },
          worker: (i) => {
            while (pool.length <= i) pool.push(new OrtWorker());
            return pool[i];
          },
        }
      : null;
  let sessionCount = 0;
  const provider = wantCuda ? (cudaListed ? 'CUDA requested (CPU fallback if it fails to load)' : 'CUDA requested but not available: CPU') : 'CPU';
  // least recently used last; an entry evicted while scores still run on it is released by the last of them
  const inferenceCache: CachedInference[] = [];
  const releaseIfIdle = (e: CachedInference) => {
    if (e.evicted && e.users === 0) void e.session.then((s) => s.release()).catch(() => undefined);
  };
  const withInferenceSession = async <T>(spec: RankerSpec, params: RankerParameters, fn: (s: Session) => Promise<T>): Promise<T> => {
    const key = JSON.stringify(spec);
    const at = inferenceCache.findIndex((e) => e.params === params && e.key === key);
    const e = at >= 0 ? inferenceCache.splice(at, 1)[0] : { params, key, session: open(buildInferenceGraph(spec, params).toModel(), threads), users: 0, evicted: false };
    inferenceCache.push(e);
    while (inferenceCache.length > MAX_INFERENCE_SESSIONS) {
      const old = inferenceCache.shift() as CachedInference;
      old.evicted = true;
      releaseIfIdle(old);
    }
    e.users += 1;
    try {
      return await fn(await e.session);
    } catch (err) {
      // a session that failed to open is not kept (the next call tries again)
      const failed = await e.session.then(() => false, () => true);
      const i = inferenceCache.indexOf(e);
      if (failed && i >= 0) inferenceCache.splice(i, 1);
      throw err;
    } finally {
      e.users -= 1;
      releaseIfIdle(e);
    }
  };
  return {
    name: 'onnx',
    description: `onnxruntime-node ${ort.env.versions.common} (${provider}, ${threads} threads: intra-op for scoring, ${parallel ? `${threads} data-parallel parts` : 'intra-op'} for training; graphs built by cosrank, opset 17)`,
    async score(spec, params, input) {
      checkRanker(spec, params);
      return withInferenceSession(spec, params, (session) => scoreRanker(spec, input, session, maxSlots));
    },
    async createTrainSession(sessionOptions) {
      return new OnnxTrainSession(sessionOptions, open, threads, parallel, `s${sessionCount++}`);
    },
  };
}

/** Feeds for w, β, c of the inference graph. */
function conditioningFeeds(spec: RankerSpec, input: ScoreInput): Feeds {
  const which = inferenceInputs(spec);
  const feeds: Feeds = {};
  const issues: ConfigIssue[] = [];
  const m = spec.cos?.net.conditioning.weights ?? 0;
  if (which.w) {
    if (input.weights === undefined || input.weights.length !== m) issues.push({ path: 'weights', value: input.weights?.length, expected: `a trade-off vector of length ${m}` });
    else feeds.w = f32(input.weights, [m]);
  }
  if (which.beta) {
    const beta = input.beta ?? new Float32Array(Math.max(m, 1)).fill(1);
    if (m > 0 && beta.length !== m) issues.push({ path: 'beta', value: beta.length, expected: `length ${m}` });
    else if (!beta.every((b) => b > 0)) issues.push({ path: 'beta', value: Array.from(beta), expected: 'positive temperatures' });
    else feeds.beta = f32(beta, [beta.length]);
  }
  if (which.c) {
    const c = input.c ?? 1;
    if (!(c > 0)) issues.push({ path: 'c', value: c, expected: 'a number > 0' });
    else feeds.c = f32(Float32Array.of(c), []);
  }
  if (issues.length > 0) throw new ConfigError(issues, 'score input');
  return feeds;
}

async function scoreRanker(spec: RankerSpec, input: ScoreInput, session: Session, maxSlots: number): Promise<Float32Array> {
  const f = spec.base.inputSize;
  const offsets = input.queryOffsets;
  const nDocs = offsets.length > 0 ? offsets[offsets.length - 1] : 0;
  if (input.features.length !== nDocs * f) {
    throw new ConfigError([{ path: 'features', value: input.features.length, expected: `${nDocs} × ${f} values` }], 'score input');
  }
  const cond = conditioningFeeds(spec, input);
  const out = new Float32Array(nDocs);
  if (nDocs === 0) return out;
  if (inferenceLayout(spec) === 'rows') {
    for (let r0 = 0; r0 < nDocs; r0 += maxSlots) {
      const r1 = Math.min(nDocs, r0 + maxSlots);
      const res = await session.run({ ...cond, features: f32(input.features.subarray(r0 * f, r1 * f), [r1 - r0, f]) });
      out.set(res.scores.data as Float32Array, r0);
    }
    return out;
  }
  // lists: longest queries first, packed while B·Nmax stays within maxSlots
  const nQ = offsets.length - 1;
  const order = Array.from({ length: nQ }, (_, q) => q).sort((a, b) => offsets[b + 1] - offsets[b] - (offsets[a + 1] - offsets[a]) || a - b);
  let i = 0;
  while (i < nQ) {
    const n = Math.max(1, offsets[order[i] + 1] - offsets[order[i]]);
    const bCount = Math.max(1, Math.min(nQ - i, Math.floor(maxSlots / n)));
    const chunk = order.slice(i, i + bCount);
    i += bCount;
    const feats = new Float32Array(bCount * n * f);
    const mask = new Float32Array(bCount * n);
    chunk.forEach((q, b) => {
      const len = offsets[q + 1] - offsets[q];
      feats.set(input.features.subarray(offsets[q] * f, offsets[q + 1] * f), b * n * f);
      mask.fill(1, b * n, b * n + len);
    });
    const res = await session.run({ ...cond, features: f32(feats, [bCount, n, f]), mask: f32(mask, [bCount, n]) });
    const s = res.scores.data as Float32Array;
    chunk.forEach((q, b) => out.set(s.subarray(b * n, b * n + offsets[q + 1] - offsets[q]), offsets[q]));
  }
  return out;
}

const copyParams = (p: Parameters): Parameters =>
  Object.fromEntries(Object.entries(p).map(([k, t]) => [k, { shape: t.shape.slice(), data: Float32Array.from(t.data) }]));

/** Data-parallel training: how many parts (≥ 2), the session options of worker-thread sessions, worker i. */
interface DataParallel {
  parts: number;
  workerOptions: ort.InferenceSession.SessionOptions;
  worker(i: number): OrtWorker;
}

/** A built training graph: its layout, model bytes, and (opened on first use) the calling thread's session. */
interface BuiltGraph {
  layout: TrainGraphLayout;
  bytes: Uint8Array;
  session(): Promise<Session>;
  /** Releases the session if it was opened. */
  release(): void;
}

/**
 * Training graphs kept per session (least recently used evicted): batches are padded to a few list sizes
 * (`listSizeBucket`), but a long run over heavy-tailed lists still meets dozens of shapes, and each ORT
 * session holds activation memory for its shape. Measured on 1M generated documents: 3 graphs train as
 * fast as 6 and peak 0.5 GB lower.
 */
const MAX_TRAIN_GRAPHS = 3;

const wire = (data: Float32Array, dims: number[]): WireTensor => ({ type: 'float32', data, dims });
const toOrt = (feeds: WireFeeds): Feeds =>
  Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, t.type === 'int64' ? new ort.Tensor('int64', t.data as BigInt64Array, t.dims) : f32(t.data as Float32Array, t.dims)]));

/** Contiguous list ranges [lo, hi) of `parts` near-equal parts of B lists (the first B mod parts get one more). */
function splitLists(B: number, parts: number): [number, number][] {
  const n = Math.min(parts, B);
  const out: [number, number][] = [];
  let lo = 0;
  for (let k = 0; k < n; k++) {
    const hi = lo + Math.floor(B / n) + (k < B % n ? 1 : 0);
    out.push([lo, hi]);
    lo = hi;
  }
  return out;
}

class OnnxTrainSession implements TrainSession {
  private params: Parameters;
  private m: Parameters = {};
  private v: Parameters = {};
  private stepCount = 0;
  private readonly rng: Rng;
  private readonly scorer: ScorerSpec;
  private readonly cm: number;
  /** Graphs by `<mode>:<B>x<N>:<intra-op threads>`, and AdamW graphs by vector size and part weights. */
  private readonly graphs = new Map<string, BuiltGraph>();
  private readonly adamSessions = new Map<string, Promise<Session>>();
  /** Worker-side loads by `<worker>/<graph key>`. */
  private readonly workerLoads = new Map<string, Promise<void>>();

  constructor(
    private readonly options: TrainSessionOptions,
    private readonly open: Opener,
    /** Intra-op threads of the one-graph step (no data parallelism). */
    private readonly threads: number,
    private parallel: DataParallel | null,
    /** Prefix of this session's graph keys on the (shared) worker threads. */
    private readonly id: string,
  ) {
    const { spec, params, target, loss } = options;
    checkRanker(spec, params);
    const issues: ConfigIssue[] = [];
    if (target === 'cos' && !spec.cos) issues.push({ path: 'target', value: target, expected: "'base' (the spec has no cos network)" });
    if (target === 'base' && loss.kind === 'lipo') issues.push({ path: 'loss.kind', value: loss.kind, expected: "'listnet' or 'listmle' for target 'base'" });
    this.cm = spec.cos ? spec.cos.net.conditioning.weights : 0;
    if (loss.kind === 'lipo' && loss.targets.length !== this.cm) issues.push({ path: 'loss.targets', value: loss.targets, expected: `${this.cm} entries (one per auxiliary objective)` });
    if (issues.length > 0) throw new ConfigError(issues, 'onnx train session');
    this.scorer = trainedScorer(spec, target);
    this.params = copyParams((target === 'base' ? params.base : params.cos) as Parameters);
    for (const [name, t] of Object.entries(this.params)) {
      this.m[name] = { shape: t.shape.slice(), data: new Float32Array(t.data.length) };
      this.v[name] = { shape: t.shape.slice(), data: new Float32Array(t.data.length) };
    }
    this.rng = new Rng(options.seed);
  }

  private graph(mode: 'step' | 'loss' | 'gradients', batchSize: number, listSize: number, intraThreads: number): BuiltGraph {
    const key = `${mode}:${batchSize}x${listSize}:${intraThreads}`;
    let s = this.graphs.get(key);
    if (s !== undefined) {
      this.graphs.delete(key); // most recently used last
      this.graphs.set(key, s);
    } else {
      const o = this.options;
      const layout = buildTrainGraph({
        spec: o.spec,
        target: o.target,
        loss: o.loss,
        optimizer: o.optimizer,
        frozen: o.target === 'cos' ? o.params.base : null,
        batchSize,
        listSize,
        conditioningLength: this.cm,
        mode,
        dropout: this.scorer.dropout,
        flatGradients: mode === 'gradients',
      });
      const bytes = layout.graph.toModel();
      let session: Promise<Session> | null = null;
      s = {
        layout,
        bytes,
        session: () => (session ??= this.open(bytes, intraThreads)),
        release: () => void session?.then((opened) => opened.release()),
      };
      this.graphs.set(key, s);
      for (const [oldKey, old] of this.graphs) {
        if (this.graphs.size <= MAX_TRAIN_GRAPHS) break;
        old.release();
        this.graphs.delete(oldKey);
        this.releaseWorkerSessions(`:${oldKey.slice(0, oldKey.lastIndexOf(':'))}`);
      }
    }
    return s;
  }

  /** Throws a ConfigError listing every mismatch between a batch and what the graph needs. */
  private checkBatch(batch: ListBatch, layout: TrainGraphLayout): void {
    const { batchSize: B, listSize: N } = batch;
    const f = this.options.spec.base.inputSize;
    const issues: ConfigIssue[] = [];
    if (batch.inputSize !== f || batch.features.length !== B * N * f) issues.push({ path: 'batch.features', value: batch.features.length, expected: `${B} × ${N} × ${f} values` });
    if (batch.mask.length !== B * N) issues.push({ path: 'batch.mask', value: batch.mask.length, expected: `${B * N} values` });
    if (batch.labels.length < layout.labelCount || batch.labels.some((l) => l.length !== B * N)) issues.push({ path: 'batch.labels', value: batch.labels.length, expected: `${layout.labelCount} arrays of ${B * N} values` });
    const m = this.cm;
    if (layout.needsW && (batch.weights === undefined || batch.weights.length !== B * m)) issues.push({ path: 'batch.weights', value: batch.weights?.length, expected: `${B} × ${m} values` });
    if (layout.needsBeta && batch.beta !== undefined && batch.beta.length !== B * m) issues.push({ path: 'batch.beta', value: batch.beta.length, expected: `${B} × ${m} values` });
    if (issues.length > 0) throw new ConfigError(issues, 'list batch');
  }

  /**
   * Feeds of lists [lo, hi) of a batch (views into the batch's arrays; `copy` makes them own their memory,
   * for transfer to a worker). Parameters are views of the session's arrays unless `copy`.
   */
  private partFeeds(batch: ListBatch, layout: TrainGraphLayout, lo: number, hi: number, copy: boolean): WireFeeds {
    const N = batch.listSize;
    const f = batch.inputSize;
    const m = this.cm;
    const b = hi - lo;
    const cut = (a: Float32Array, per: number) => (copy ? a.slice(lo * per, hi * per) : a.subarray(lo * per, hi * per));
    const mask = Float32Array.from(batch.mask.subarray(lo * N, hi * N));
    const feeds: WireFeeds = { features: wire(cut(batch.features, N * f), [b, N, f]), mask: wire(mask, [b, N]) };
    for (let j = 0; j < layout.labelCount; j++) feeds[`label.${j}`] = wire(cut(batch.labels[j], N), [b, N]);
    if (layout.needsW) feeds.w = wire(cut(batch.weights as Float32Array, m), [b, m]);
    if (layout.needsBeta) feeds.beta = wire(batch.beta !== undefined ? cut(batch.beta, m) : new Float32Array(b * m).fill(1), [b, m]);
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

  /** Loads graph `key` on worker `w` once. */
  private workerLoad(parallel: DataParallel, w: number, key: string, bytes: Uint8Array): Promise<void> {
    const k = `${w}/${key}`;
    let p = this.workerLoads.get(k);
    if (p === undefined) {
      p = parallel.worker(w).load(key, bytes, parallel.workerOptions);
      this.workerLoads.set(k, p);
    }
    return p;
  }

  /**
   * Runs `mode` data-parallel over the lists of a batch: part 0 here, the others on workers. Returns each
   * part's outputs and its weight (share of the lists).
   */
  private async runParts(mode: 'loss' | 'gradients', batch: ListBatch, parallel: DataParallel, dropout: boolean): Promise<{ outs: Record<string, WireTensor>[]; weights: number[]; layout: TrainGraphLayout }> {
    const { batchSize: B, listSize: N } = batch;
    const ranges = splitLists(B, parallel.parts);
    const built = (b: number) => this.graph(mode, b, N, 1);
    const layoutOf = (b: number) => built(b).layout;
    this.checkBatch(batch, layoutOf(ranges[0][1]));
    const masks = dropout ? this.drawDropout(layoutOf(ranges[0][1]).dropoutShapes, B * N) : [];
    const feedsOf = (lo: number, hi: number, copy: boolean) => {
      const feeds = this.partFeeds(batch, layoutOf(hi - lo), lo, hi, copy);
      layoutOf(hi - lo).dropoutShapes.forEach((shape, k) => {
        if (shape[0] !== (hi - lo) * N) throw new Error('internal error: a dropout site is not one row per document');
        const { data, width } = masks[k];
        feeds[`drop.${k}`] = wire(copy ? data.slice(lo * N * width, hi * N * width) : data.subarray(lo * N * width, hi * N * width), shape);
      });
      return feeds;
    };
    const key = (b: number) => `${this.id}:${mode}:${b}x${N}`;
    // posted before the calling thread starts its own part (a worker handles its messages in order, so a
    // run may follow its graph's load without waiting for it here)
    const remote = ranges.slice(1).map(([lo, hi], i) => {
      const loaded = this.workerLoad(parallel, i, key(hi - lo), built(hi - lo).bytes);
      const feeds = feedsOf(lo, hi, true);
      const transfer = Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer);
      return Promise.all([loaded, parallel.worker(i).run(key(hi - lo), feeds, transfer)]).then(([, out]) => out);
    });
    const [lo0, hi0] = ranges[0];
    const localSession = await built(hi0 - lo0).session();
    const localOut = await localSession.run(toOrt(feedsOf(lo0, hi0, false)));
    const local: Record<string, WireTensor> = Object.fromEntries(
      Object.entries(localOut).map(([k, t]) => [k, { type: 'float32', dims: t.dims.slice(), data: t.data as Float32Array }]),
    );
    const outs = [local, ...(await Promise.all(remote))];
    return { outs, weights: ranges.map(([lo, hi]) => (hi - lo) / B), layout: layoutOf(hi0 - lo0) };
  }

  private async parallelStep(batch: ListBatch, parallel: DataParallel): Promise<number> {
    const { outs, weights, layout } = await this.runParts('gradients', batch, parallel, this.scorer.dropout > 0);
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
    const feeds: Feeds = { p: flatten(this.params), m: flatten(this.m), v: flatten(this.v), step: f32(Float32Array.of(this.stepCount + 1), []) };
    outs.forEach((o, k) => (feeds[`grad.${k}`] = f32(o.grad.data as Float32Array, [size])));
    const out = await (await this.adamSession(size, weights)).run(feeds);
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
    return outs.reduce((sum, o, k) => sum + weights[k] * (o.loss.data as Float32Array)[0], 0);
  }

  /** Runs `fn` data-parallel; if a worker thread cannot be used, falls back to one thread for good. */
  private async withParallel<T>(batch: ListBatch, fn: (p: DataParallel) => Promise<T>, single: () => Promise<T>): Promise<T> {
    const p = this.parallel;
    if (p === null || batch.batchSize < 2) return single();
    try {
      return await fn(p);
    } catch (err) {
      if (err instanceof ConfigError || !(err instanceof Error) || !err.message.startsWith('onnx worker')) throw err;
      this.releaseWorkerSessions();
      this.parallel = null;
      return single();
    }
  }

  async step(raw: ListBatch): Promise<number> {
    const batch = padBatch(raw, listSizeBucket(raw.listSize));
    return this.withParallel(batch, (p) => this.parallelStep(batch, p), () => this.singleStep(batch));
  }

  private async singleStep(batch: ListBatch): Promise<number> {
    const g = this.graph('step', batch.batchSize, batch.listSize, this.threads);
    const { layout } = g;
    this.checkBatch(batch, layout);
    const session = await g.session();
    const feeds = toOrt(this.partFeeds(batch, layout, 0, batch.batchSize, false));
    this.drawDropout(layout.dropoutShapes, batch.batchSize * batch.listSize).forEach(({ data }, k) => (feeds[`drop.${k}`] = f32(data, layout.dropoutShapes[k])));
    for (const name of layout.trainableNames) {
      feeds[`m.${name}`] = f32(this.m[name].data, this.m[name].shape);
      feeds[`v.${name}`] = f32(this.v[name].data, this.v[name].shape);
    }
    feeds.step = f32(Float32Array.of(this.stepCount + 1), []);
    const out = await session.run(feeds);
    this.stepCount += 1;
    for (const name of layout.trainableNames) {
      this.params[name].data = out[`new.p.${name}`].data as Float32Array;
      this.m[name].data = out[`new.m.${name}`].data as Float32Array;
      this.v[name].data = out[`new.v.${name}`].data as Float32Array;
    }
    return (out.loss.data as Float32Array)[0];
  }

  async evaluateLoss(raw: ListBatch): Promise<number> {
    const batch = padBatch(raw, listSizeBucket(raw.listSize));
    return this.withParallel(
      batch,
      async (p) => {
        const { outs, weights } = await this.runParts('loss', batch, p, false);
        return outs.reduce((sum, o, k) => sum + weights[k] * (o.loss.data as Float32Array)[0], 0);
      },
      async () => {
        const g = this.graph('loss', batch.batchSize, batch.listSize, this.threads);
        this.checkBatch(batch, g.layout);
        const session = await g.session();
        const out = await session.run(toOrt(this.partFeeds(batch, g.layout, 0, batch.batchSize, false)));
        return (out.loss.data as Float32Array)[0];
      },
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
    const issues: ConfigIssue[] = [];
    for (const [name, t] of Object.entries(this.params)) {
      const src = params[name];
      if (src === undefined || src.data.length !== t.data.length) issues.push({ path: `params.${name}`, value: src?.shape, expected: `shape [${t.shape.join(', ')}]` });
      if (isTrainable(name) && (state.m[name]?.data.length !== t.data.length || state.v[name]?.data.length !== t.data.length)) {
        issues.push({ path: `state.${name}`, value: undefined, expected: 'Adam moments of the same shape' });
      }
    }
    if (issues.length > 0) throw new ConfigError(issues, 'restore');
    for (const name of Object.keys(this.params)) {
      this.params[name].data = Float32Array.from(params[name].data);
      if (!isTrainable(name)) continue;
      this.m[name].data = Float32Array.from(state.m[name].data);
      this.v[name].data = Float32Array.from(state.v[name].data);
    }
    this.stepCount = state.step;
    if (state.dropoutRng) this.rng.setState(state.dropoutRng);
  }

  /**
   * Releases this session's graphs on the worker threads (the threads stay, shared with other sessions):
   * all of them, or those whose key ends with `suffix` (`:<mode>:<B>x<N>`).
   */
  private releaseWorkerSessions(suffix = ''): void {
    const parallel = this.parallel;
    for (const [k, loaded] of this.workerLoads) {
      if (!k.endsWith(suffix)) continue;
      const slash = k.indexOf('/');
      if (parallel !== null) void loaded.then(() => parallel.worker(Number(k.slice(0, slash))).release(k.slice(slash + 1))).catch(() => undefined);
      this.workerLoads.delete(k);
    }
  }

  dispose(): void {
    for (const g of this.graphs.values()) g.release();
    for (const s of this.adamSessions.values()) void s.then((session) => session.release());
    this.graphs.clear();
    this.adamSessions.clear();
    this.releaseWorkerSessions();
  }
}
