/**
 * One server process of a cluster (cluster.ts starts it): its own HTTP server, engine and model,
 * scoring in its HTTP thread — no hand-over between threads, so a request costs one process's work and
 * no cross-thread wake-ups. Connections come from the supervisor, which accepts them on the service's
 * port; the server also listens on a private Unix socket (a fresh directory only this user can enter),
 * because Node checks request and header deadlines only on a server that listens.
 *
 * The supervisor drives reloads in three steps so that they are atomic across processes: `load` (read
 * and warm up the new model beside the old), `pause` (hold requests that arrive from now on; those
 * running finish with the model they started with), `commit` (swap, release the held requests) — or
 * `abort` (drop the new model, release). Commits are sent only once every process has paused, so no
 * request anywhere is answered by the new model while another process could still answer a later one
 * with the old. `POST /reload` here asks the supervisor to run one.
 *
 * SIGTERM and SIGINT (a terminal's Ctrl-C reaches every process of the group) close it gracefully, as
 * the supervisor's `close` does, and so does losing the supervisor (its IPC channel closes); SIGHUP is
 * the supervisor's to act on and is ignored here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../engine/select';
import { MEMBER_OPTIONS_ENV, type FromMember, type MemberOptions, type ToMember } from './cluster';
import { DEFAULT_MAX_DOCUMENTS } from './http';
import { MemberBackend } from './memberBackend';
import { Ranker } from './ranker';
import { listenService } from './service';

/** The private directory of this process's Unix socket, removed at exit. */
let socketDir: string | undefined;

function exit(code: number): void {
  if (socketDir !== undefined) rmSync(socketDir, { recursive: true, force: true });
  process.exit(code);
}

/** Starts this member: engine, model, HTTP server (fed the connections the supervisor hands over); then serves until closed. */
async function main(): Promise<void> {
  const send = (m: FromMember) => process.send?.(m);
  const o = JSON.parse(process.env[MEMBER_OPTIONS_ENV] ?? 'null') as MemberOptions | null;
  if (o === null || process.send === undefined) throw new Error('src/serve/clusterMember.ts runs as a server process started by cluster.ts');
  const engine = await createEngine(o.engine ?? 'auto', { onnx: { threads: o.threads ?? 1 } });
  const loadRanker = () => Ranker.load(o.dir, { engineInstance: engine, routes: o.routes });
  const limits = { maxDocuments: o.maxDocuments ?? DEFAULT_MAX_DOCUMENTS, maxValues: o.maxValues };
  const backend = new MemberBackend(await loadRanker(), limits, loadRanker, send);
  socketDir = mkdtempSync(join(tmpdir(), 'cosrank-serve-'));
  const service = await listenService({ backend }, o, 0, join(socketDir, 'http.sock'));
  const server = service.server?.app.server;
  if (server === undefined) throw new Error('a server process has no HTTP server');
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= service.close().then(
      () => exit(0),
      () => exit(1),
    );
  };
  process.on('message', (m: ToMember, socket?: Socket) => {
    if (m.kind === 'connection') {
      if (socket) server.emit('connection', socket);
    } else if (m.kind === 'close') close();
    else backend.onMessage(m);
  });
  // the supervisor is gone (killed, say): nobody would hand over connections, reload or close this one
  process.on('disconnect', close);
  process.on('SIGTERM', close);
  process.on('SIGINT', close);
  process.on('SIGHUP', () => {});
  send({ kind: 'ready', engine: service.engine, socketDir });
}

main().catch((err: unknown) => {
  const { code, syscall } = (err ?? {}) as NodeJS.ErrnoException;
  const failed: FromMember = { kind: 'failed', message: err instanceof Error ? err.message : String(err), code, syscall };
  // exit once the message is on its way (process.send is asynchronous)
  if (process.send) process.send(failed, () => exit(1));
  else exit(1);
});
