/**
 * Data-parallel runs of a training graph: a batch's lists split into T contiguous parts, part 0 run on
 * the calling thread, parts 1…T−1 on worker threads (ortWorker.ts), each single-threaded. Every loss is
 * a mean over lists, so the parts' outputs weighted by their share of the lists give the full batch's.
 * The worker threads are shared by every train session of an engine; each session's graphs are loaded
 * on them once, under keys the session chooses.
 */
import * as ort from 'onnxruntime-node';
import { OrtWorker, type WireFeeds, type WireTensor } from './ortWorker';
import { f32, type Feeds, type Session } from './session';

/** Data-parallel training: how many parts (≥ 2), the session options of worker-thread sessions, worker i. */
export interface DataParallel {
  parts: number;
  workerOptions: ort.InferenceSession.SessionOptions;
  worker(i: number): OrtWorker;
}

/** A pool of `parts − 1` worker threads started on first use (they never keep the process alive). */
export function dataParallelPool(parts: number, workerOptions: ort.InferenceSession.SessionOptions): DataParallel {
  const pool: OrtWorker[] = [];
  return {
    parts,
    workerOptions,
    worker: (i) => {
      while (pool.length <= i) pool.push(new OrtWorker());
      return pool[i];
    },
  };
}

/** Contiguous list ranges [lo, hi) of `parts` near-equal parts of B lists (the first B mod parts get one more). */
export function splitLists(B: number, parts: number): [number, number][] {
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

/** One part of a data-parallel run: its graph (key and bytes) and its feeds (`copy`: owning their memory). */
export interface PartJob {
  key: string;
  bytes: Uint8Array;
  feeds(copy: boolean): WireFeeds;
}

/** Runs parts of a batch on the calling thread and the workers; remembers which graphs each worker holds. */
export class DataParallelRunner {
  /** Worker-side loads by `<worker>/<graph key>`. */
  private readonly loads = new Map<string, Promise<void>>();

  constructor(readonly config: DataParallel) {}

  /** Loads graph `key` on worker `w` once. */
  private load(w: number, key: string, bytes: Uint8Array): Promise<void> {
    const k = `${w}/${key}`;
    let p = this.loads.get(k);
    if (p === undefined) {
      p = this.config.worker(w).load(key, bytes, this.config.workerOptions);
      this.loads.set(k, p);
    }
    return p;
  }

  /**
   * Runs `parts[0]` on `local` (the calling thread's session of its graph) and `parts[i]` on worker i − 1;
   * resolves to each part's outputs, in order.
   */
  async run(parts: PartJob[], local: () => Promise<Session>): Promise<Record<string, WireTensor>[]> {
    // posted before the calling thread starts its own part (a worker handles its messages in order, so a
    // run may follow its graph's load without waiting for it here)
    const remote = parts.slice(1).map((job, i) => {
      const loaded = this.load(i, job.key, job.bytes);
      const feeds = job.feeds(true);
      const transfer = Object.values(feeds).map((t) => t.data.buffer as ArrayBuffer);
      return Promise.all([loaded, this.config.worker(i).run(job.key, feeds, transfer)]).then(([, out]) => out);
    });
    const session = await local();
    const localOut = await session.run(toOrt(parts[0].feeds(false)));
    const first: Record<string, WireTensor> = Object.fromEntries(
      Object.entries(localOut).map(([k, t]) => [k, { type: 'float32', dims: t.dims.slice(), data: t.data as Float32Array }]),
    );
    return [first, ...(await Promise.all(remote))];
  }

  /** Releases graphs on the workers (the threads stay): all of them, or those whose key ends with `suffix`. */
  release(suffix = ''): void {
    for (const [k, loaded] of this.loads) {
      if (!k.endsWith(suffix)) continue;
      const slash = k.indexOf('/');
      void loaded.then(() => this.config.worker(Number(k.slice(0, slash))).release(k.slice(slash + 1))).catch(() => undefined);
      this.loads.delete(k);
    }
  }
}

/** Wire feeds as onnxruntime tensors (no copies). */
export function toOrt(feeds: WireFeeds): Feeds {
  const out: Feeds = {};
  for (const [k, t] of Object.entries(feeds)) out[k] = t.type === 'int64' ? new ort.Tensor('int64', t.data as BigInt64Array, t.dims) : f32(t.data as Float32Array, t.dims);
  return out;
}
