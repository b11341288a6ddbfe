/**
 * One server process of a cluster (cluster.ts starts it with node:cluster): its own HTTP server on the
 * shared port, its own engine and model, scoring in its HTTP thread — no hand-over between threads, so
 * a request costs one process's work and no cross-thread wake-ups.
 *
 * The supervisor drives reloads in three steps so that they are atomic across processes: `load` (read
 * and warm up the new model beside the old), `pause` (hold requests that arrive from now on; those
 * running finish with the model they started with), `commit` (swap, release the held requests) — or
 * `abort` (drop the new model, release). Commits are sent only once every process has paused, so no
 * request anywhere is answered by the new model while another process could still answer a later one
 * with the old. `POST /reload` here asks the supervisor to run one.
 *
 * SIGTERM and SIGINT (a terminal's Ctrl-C reaches every process of the group) close it gracefully, as
 * the supervisor's `close` does; SIGHUP is the supervisor's to act on and is ignored here.
 */
import { createEngine } from '../engine/select';
import { MEMBER_OPTIONS_ENV, type FromMember, type MemberOptions, type ToMember } from './cluster';
import { DEFAULT_MAX_DOCUMENTS } from './http';
import { MemberBackend } from './memberBackend';
import { Ranker } from './ranker';
import { listenService } from './service';

/** Starts this member: engine, model, HTTP server on the shared port; then serves until closed. */
async function main(): Promise<void> {
  const send = (m: FromMember) => process.send?.(m);
  const o = JSON.parse(process.env[MEMBER_OPTIONS_ENV] ?? 'null') as MemberOptions | null;
  if (o === null || process.send === undefined) throw new Error('src/serve/clusterMember.ts runs as a server process started by cluster.ts');
  const engine = await createEngine(o.engine ?? 'auto', { onnx: { threads: o.threads ?? 1 } });
  const loadRanker = () => Ranker.load(o.dir, { engineInstance: engine, routes: o.routes });
  const limits = { maxDocuments: o.maxDocuments ?? DEFAULT_MAX_DOCUMENTS, maxValues: o.maxValues };
  const backend = new MemberBackend(await loadRanker(), limits, loadRanker, send);
  const service = await listenService({ backend }, o, 0);
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('message', (m: ToMember) => (m.kind === 'close' ? close() : backend.onMessage(m)));
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
  process.on('SIGHUP', () => {});
  send({ kind: 'ready', url: service.url, engine: service.engine });
}

main().catch((err: unknown) => {
  const { code, syscall } = (err ?? {}) as NodeJS.ErrnoException;
  const failed: FromMember = { kind: 'failed', message: err instanceof Error ? err.message : String(err), code, syscall };
  // exit once the message is on its way (process.send is asynchronous)
  if (process.send) process.send(failed, () => process.exit(1));
  else process.exit(1);
});
