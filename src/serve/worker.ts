/**
 * The scoring worker thread (started by pool.ts): its own engine (one intra-op thread by default) and
 * ranker, handling requests as whole byte bodies (parse, validate, score, serialise: handler.ts).
 *
 * Messages, handled in arrival order: `load` reads and warms up a model into a pending slot, `commit`
 * makes the pending model current (requests that arrive later use it; those already running keep
 * theirs), `abort` drops it, `request` scores one body with the current model.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createEngine, type EngineRequest } from '../engine/select';
import { countCollections, type CollectionCounts } from '../util/gcCounts';
import { releaseChunks } from './bodyChunks';
import { handleScoring, type HandlerLimits, type WireReply, type WireRequest } from './handler';
import type { RoutesOverride } from './operatingPoints';
import { Ranker } from './ranker';
import { requestBuffers } from './bufferPool';
import { abandonSplitTail, scanSplitTail, type SplitRequest } from './splitScan';

/** What the pool passes to a worker at start. */
export interface WorkerSetup {
  engine: EngineRequest;
  /** Intra-op threads of this worker's ONNX engine. */
  threads: number;
  limits: HandlerLimits;
}

export type ToWorker =
  | { kind: 'load'; seq: number; dir: string; routes?: RoutesOverride }
  | { kind: 'commit' }
  | { kind: 'abort' }
  | { kind: 'request'; seq: number; req: WireRequest }
  | { kind: 'tail'; seq: number; split: SplitRequest }
  | { kind: 'stats'; seq: number };

/** A worker's garbage collections since it started (`WorkerPool.workerStats`). */
export type WorkerStats = CollectionCounts;

export type FromWorker =
  | { seq: number; ok: true; reply?: WireReply; engine?: string; stats?: WorkerStats }
  | { seq: number; ok: false; message: string };

function main(): void {
  const port = parentPort;
  if (port === null) throw new Error('src/serve/worker.ts runs as a worker thread of the serving pool');
  const setup = workerData as WorkerSetup;
  const engine = createEngine(setup.engine, { onnx: { threads: setup.threads } });
  let current: Ranker | null = null;
  let pending: Ranker | null = null;
  const collections = countCollections();
  const fail = (seq: number, err: unknown): FromWorker => ({ seq, ok: false, message: err instanceof Error ? err.message : String(err) });

  port.on('message', (msg: ToWorker) => {
    if (msg.kind === 'commit') {
      current = pending ?? current;
      pending = null;
    } else if (msg.kind === 'abort') {
      pending = null;
    } else if (msg.kind === 'load') {
      engine
        .then((e) => Ranker.load(msg.dir, { engineInstance: e, routes: msg.routes }))
        .then((r) => {
          pending = r;
          port.postMessage({ seq: msg.seq, ok: true, engine: r.engineName } satisfies FromWorker);
        })
        .catch((err: unknown) => port.postMessage(fail(msg.seq, err)));
    } else if (msg.kind === 'stats') {
      const stats: WorkerStats = { ...collections };
      port.postMessage({ seq: msg.seq, ok: true, stats } satisfies FromWorker);
    } else if (msg.kind === 'tail') {
      // the second half of another worker's body (splitScan.ts): that worker reads it itself without a result
      if (current !== null) scanSplitTail(msg.split, current.layout, requestBuffers);
      else abandonSplitTail(msg.split);
      port.postMessage({ seq: msg.seq, ok: true } satisfies FromWorker);
    } else {
      const ranker = current;
      if (ranker === null) {
        port.postMessage(fail(msg.seq, new Error('no model loaded')));
        return;
      }
      handleScoring(ranker, msg.req, setup.limits)
        .then(
          (reply) => port.postMessage({ seq: msg.seq, ok: true, reply } satisfies FromWorker),
          (err: unknown) => port.postMessage(fail(msg.seq, err)),
        )
        .finally(() => releaseChunks(msg.req.body)); // the body was transferred here, and is read
    }
  });
}

main();
