/**
 * An onnxruntime-node session host on a worker thread, for data-parallel training steps.
 *
 * Why: with `intraOpNumThreads > 1`, onnxruntime splits every op across its pool and the calling thread
 * busy-waits (SpinPause, whatever `allow_spinning` says) at the end of each op for the slowest helper. A
 * training step is a chain of ~10 GEMMs and ~100 small ops, so on a shared 2-core machine a preempted
 * helper costs a spin of up to a scheduler slice per op. Splitting the batch's lists between threads that
 * each run a single-threaded session synchronises once per step instead, and waits by blocking.
 *
 * Tensors cross threads as `{ type, dims, data }` (structured clone; the caller transfers buffers it no
 * longer needs). The worker handles its messages strictly in order. The worker body is plain JavaScript evaluated in the worker (`eval: true`), so it runs the
 * same under tsx, jest and compiled output; it loads the same onnxruntime-node module as the caller.
 */
import { Worker } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

/** A tensor in transit between threads. */
export interface WireTensor {
  type: 'float32' | 'int64';
  dims: number[];
  data: Float32Array | BigInt64Array;
}
export type WireFeeds = Record<string, WireTensor>;

type Reply = { id: number; ok: true; out?: Record<string, WireTensor> } | { id: number; ok: false; message: string };

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ortPath);
const sessions = new Map();
// messages are handled one after another (a run may arrive while its session is still loading)
let queue = Promise.resolve();
parentPort.on('message', (msg) => {
  queue = queue.then(() => handle(msg));
});
async function handle(msg) {
  try {
    if (msg.kind === 'load') {
      sessions.set(msg.key, await ort.InferenceSession.create(msg.bytes, msg.options));
      parentPort.postMessage({ id: msg.id, ok: true });
    } else if (msg.kind === 'release') {
      const s = sessions.get(msg.key);
      sessions.delete(msg.key);
      if (s) await s.release();
      parentPort.postMessage({ id: msg.id, ok: true });
    } else {
      const feeds = {};
      for (const [k, t] of Object.entries(msg.feeds)) feeds[k] = new ort.Tensor(t.type, t.data, t.dims);
      const res = await sessions.get(msg.key).run(feeds);
      const out = {};
      for (const [k, t] of Object.entries(res)) out[k] = { type: t.type, dims: t.dims.slice(), data: t.data };
      parentPort.postMessage({ id: msg.id, ok: true, out });
    }
  } catch (err) {
    parentPort.postMessage({ id: msg.id, ok: false, message: err instanceof Error ? err.message : String(err) });
  }
}
`;

/** One worker thread holding any number of sessions, addressed by key. */
export class OrtWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  private nextId = 0;
  private failure: Error | null = null;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { ortPath: require.resolve('onnxruntime-node') } });
    // an idle worker must not keep the process alive; `request` holds a reference while a reply is due
    this.worker.unref();
    this.worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      this.pending.delete(r.id);
      if (this.pending.size === 0) this.worker.unref();
      p?.resolve(r);
    });
    const fail = (err: Error) => {
      this.failure = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    this.worker.on('error', (err: Error) => fail(new Error(`onnx worker thread failed: ${err.message}`)));
    this.worker.on('exit', (code) => fail(new Error(`onnx worker thread exited (code ${code})`)));
  }

  private async request(msg: Record<string, unknown>, transfer: ArrayBuffer[] = []): Promise<Record<string, WireTensor>> {
    if (this.failure !== null) throw this.failure;
    const id = this.nextId++;
    const reply = new Promise<Reply>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.worker.ref();
    this.worker.postMessage({ ...msg, id }, transfer);
    const r = await reply;
    if (!r.ok) throw new Error(`onnx worker: ${r.message}`);
    return r.out ?? {};
  }

  /** Creates a session from model bytes under `key`. */
  async load(key: string, bytes: Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<void> {
    await this.request({ kind: 'load', key, bytes, options });
  }

  /** Runs session `key`; `transfer` lists feed buffers handed over to the worker (unusable afterwards here). */
  run(key: string, feeds: WireFeeds, transfer: ArrayBuffer[] = []): Promise<Record<string, WireTensor>> {
    return this.request({ kind: 'run', key, feeds }, transfer);
  }

  async release(key: string): Promise<void> {
    await this.request({ kind: 'release', key });
  }

  terminate(): void {
    this.failure ??= new Error('onnx worker terminated');
    void this.worker.terminate();
  }
}
