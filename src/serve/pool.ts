/**
 * Scoring on every core: N worker threads (worker.ts), each with its own engine and a copy of the
 * model; the HTTP thread only receives bodies and sends replies, so it stays responsive (`/healthz`)
 * however heavy a request is. A request goes to the worker with the fewest requests in flight; its
 * body's chunks are transferred, not copied.
 *
 * Reload is two-phase so that it reaches every worker atomically: every worker loads and warms up the
 * new model beside the old (`load`); only when all succeeded does each get `commit` — posted in one
 * synchronous loop, so every request dispatched afterwards, on any worker, sees the new model, and every
 * request dispatched before sees the old one. If any worker fails, all `abort` and the old model stays.
 * Reloads run one after another (the last one asked for is the one left serving).
 *
 * A worker that dies fails its requests in flight (500) and is replaced with the current model.
 */
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EngineRequest } from '../engine/select';
import { workerScript } from '../util/workerScript';
import type { ScoringBackend } from './backend';
import { ownsBuffer } from './bodyChunks';
import { BufferPool } from './bufferPool';
import { fillSplitBuffer, splitBufferBytes, type SplitRequest } from './splitScan';
import type { HandlerLimits, WireReply, WireRequest } from './handler';
import { loadServingModel, type ServingModel } from './loadServingModel';
import type { RoutesOverride } from './operatingPoints';
import type { FromWorker, ToWorker, WorkerSetup, WorkerStats } from './worker';

export interface PoolOptions {
  /** Model directory, loaded at start and by every reload. */
  dir: string;
  /** Routes instead of the model's own (`serve --routes`), checked at every load. */
  routes?: RoutesOverride;
  /** Worker threads (≥ 1). */
  workers: number;
  /** Intra-op threads of each worker's ONNX engine (default 1). */
  threads?: number;
  engine?: EngineRequest;
  limits: HandlerLimits;
  /** JSON bodies of at least this many bytes are scanned by two idle workers at once (splitScan.ts; default 256 KiB, Infinity = never). */
  splitMinBytes?: number;
}

/** Default smallest JSON body split between two idle workers: below it the hand-over costs more than half a scan saves. */
export const SPLIT_MIN_BYTES = 256 * 1024;
/**
 * Largest body split: the HTTP thread copies half of it, which for tens of MB would stall it (and
 * `/healthz`) as long as the copy and its fresh memory take; larger bodies are scanned by one worker.
 */
const SPLIT_MAX_BYTES = 16 * 1024 * 1024;

interface Pending {
  resolve: (r: FromWorker) => void;
  reject: (e: Error) => void;
}

/** One worker thread and the replies it owes. */
class ScoringWorker {
  readonly thread: Worker;
  readonly pending = new Map<number, Pending>();
  private seq = 0;

  constructor(setup: WorkerSetup, onExit: (w: ScoringWorker, err: Error) => void) {
    this.thread = new Worker(workerScript(join(__dirname, `worker${extname(__filename)}`)), { eval: true, workerData: setup });
    this.thread.on('message', (m: FromWorker) => {
      const p = this.pending.get(m.seq);
      this.pending.delete(m.seq);
      p?.resolve(m);
    });
    const fail = (err: Error) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      onExit(this, err);
    };
    this.thread.on('error', (err) => fail(new Error(`scoring worker failed: ${err.message}`)));
    this.thread.on('exit', (code) => fail(new Error(`scoring worker exited (code ${code})`)));
  }

  get load(): number {
    return this.pending.size;
  }

  call(msg: ToWorker & { seq: number }, transfer: ArrayBuffer[] = []): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      this.pending.set(msg.seq, { resolve, reject });
      this.thread.postMessage(msg, transfer);
    });
  }

  nextSeq(): number {
    return this.seq++;
  }

  post(msg: ToWorker): void {
    this.thread.postMessage(msg);
  }
}

export class WorkerPool implements ScoringBackend {
  readonly canReload = true;
  private workers: ScoringWorker[] = [];
  private current!: ServingModel;
  private engine = '';
  private reloads: Promise<void> = Promise.resolve();
  private closed = false;
  /** Shared buffers for split bodies (each at most ~3 × half of SPLIT_MAX_BYTES: kept for reuse). */
  private readonly splitBuffers = new BufferPool(64 * 1024 * 1024, 64 * 1024 * 1024, true);
  private splits = 0;

  private constructor(private readonly options: PoolOptions) {}

  /** Starts the workers and loads the model in all of them. */
  static async start(options: PoolOptions): Promise<WorkerPool> {
    if (!(Number.isInteger(options.workers) && options.workers >= 1)) throw new Error(`workers must be a positive integer, got ${options.workers}`);
    const pool = new WorkerPool(options);
    for (let i = 0; i < options.workers; i++) pool.workers.push(pool.spawn());
    try {
      await pool.reload();
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  private spawn(): ScoringWorker {
    const setup: WorkerSetup = { engine: this.options.engine ?? 'auto', threads: this.options.threads ?? 1, limits: this.options.limits };
    return new ScoringWorker(setup, (dead, err) => this.replace(dead, err));
  }

  /** A worker died: drop it, start another with the model now served (unless closing). */
  private replace(dead: ScoringWorker, err: Error): void {
    const at = this.workers.indexOf(dead);
    if (at < 0 || this.closed) return;
    process.emitWarning(`cosrank serve: ${err.message}; starting a replacement`);
    const fresh = this.spawn();
    this.workers[at] = fresh;
    void fresh.call({ kind: 'load', seq: fresh.nextSeq(), dir: this.options.dir, routes: this.options.routes }).then((r) => r.ok && fresh.post({ kind: 'commit' }), () => undefined);
  }

  model(): ServingModel {
    return this.current;
  }

  engineName(): string {
    return this.engine;
  }

  async handle(req: WireRequest): Promise<WireReply> {
    let w = this.workers[0];
    for (const x of this.workers) if (x.load < w.load) w = x;
    const split = this.splitTail(req, w);
    // the body's chunks are transferred (each owning its buffer), not copied; the worker joins them
    const body = req.body.map((c) => (ownsBuffer(c) ? c : new Uint8Array(c)));
    const answer = w.call({ kind: 'request', seq: w.nextSeq(), req: { ...req, body, split: split?.request } }, [...new Set(body.map((c) => c.buffer as ArrayBuffer))]);
    // the shared buffer is reused once both workers are done with it
    if (split) void Promise.allSettled([answer, split.done]).then(() => this.splitBuffers.release(new Uint8Array(split.request.buffer)));
    const r = await answer;
    if (!r.ok) throw new Error(r.message);
    if (!r.reply) throw new Error('scoring worker sent no reply');
    return r.reply;
  }

  /**
   * For a large JSON body when `first` and another worker are both idle: the body's second half copied
   * into a shared buffer and sent to the other worker to scan (splitScan.ts), before the body's chunks
   * are transferred to `first`.
   */
  private splitTail(req: WireRequest, first: ScoringWorker): { request: SplitRequest; done: Promise<unknown> } | null {
    if (req.contentType !== 'application/json' || first.load > 0 || this.current === undefined) return null;
    const second = this.workers.find((x) => x !== first && x.load === 0);
    let total = 0;
    for (const c of req.body) total += c.length;
    if (second === undefined || total < (this.options.splitMinBytes ?? SPLIT_MIN_BYTES) || total > SPLIT_MAX_BYTES) return null;
    const from = total >> 1;
    const layout = { rawFeatureCount: this.current.rawFeatureCount, width: this.current.inputFeatures.length };
    const buffer = this.splitBuffers.bytes(splitBufferBytes(total - from, layout)).buffer as SharedArrayBuffer;
    const request = fillSplitBuffer(buffer, req.body, from, layout);
    this.splits++;
    return { request, done: second.call({ kind: 'tail', seq: second.nextSeq(), split: request }) };
  }

  /** Bodies scanned by two workers so far, and the shared buffers kept for the next ones (tests, logs). */
  splitStats(): { splits: number; buffersHeld: number } {
    return { splits: this.splits, buffersHeld: this.splitBuffers.held().buffers };
  }

  /** Each worker's young-generation limit and garbage collections so far (diagnostics, tests). */
  async workerStats(): Promise<WorkerStats[]> {
    const replies = await Promise.all(this.workers.map((w) => w.call({ kind: 'stats', seq: w.nextSeq() })));
    return replies.map((r) => {
      if (!r.ok || r.stats === undefined) throw new Error(r.ok ? 'scoring worker sent no stats' : r.message);
      return r.stats;
    });
  }

  reload(): Promise<void> {
    const next = this.reloads.then(() => this.reloadNow());
    this.reloads = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(): Promise<void> {
    const workers = this.workers.slice();
    const [model, ...replies] = await Promise.all([
      loadServingModel(this.options.dir, this.options.routes).catch((err: unknown) => err as Error),
      ...workers.map((w) => w.call({ kind: 'load', seq: w.nextSeq(), dir: this.options.dir, routes: this.options.routes }).catch((err: Error) => ({ ok: false as const, seq: -1, message: err.message }))),
    ]);
    const failed = replies.find((r): r is FromWorker & { ok: false } => !r.ok);
    if (model instanceof Error || failed !== undefined || workers.some((w) => !this.workers.includes(w))) {
      for (const w of this.workers) w.post({ kind: 'abort' });
      throw model instanceof Error ? model : new Error(failed?.message ?? 'a scoring worker was replaced during the reload');
    }
    // one synchronous loop: no request can be dispatched between two workers' commits
    for (const w of workers) w.post({ kind: 'commit' });
    this.current = model;
    this.engine = (replies[0] as { engine?: string }).engine ?? this.engine;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.thread.terminate()));
  }
}
