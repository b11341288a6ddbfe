/**
 * Graceful close that finishes every request already received.
 *
 * Node's `server.close()` also destroys keep-alive connections it considers idle — including one whose
 * next request has reached the socket but not yet been parsed (the event loop was busy), which the
 * client then sees as a reset. So closing goes in steps:
 *   1. stop accepting new connections (the listening socket only; open connections stay);
 *   2. keep serving what arrives on open connections, each response saying `Connection: close`, so
 *      every client's connection ends after its current request;
 *   3. wait until every connection has closed, or no request has been in flight for LINGER_MS (a
 *      connection idle that long is taken to be idle on the client's side too: closing one while its
 *      client sends is the race keep-alive cannot avoid), then close what is left with `app.close()`;
 *      after `timeoutMs` it closes regardless.
 */
import * as net from 'node:net';
import type { FastifyInstance } from 'fastify';

export interface Drain {
  /** Runs the steps above; resolves when the server has closed. */
  close(): Promise<void>;
  /** Whether closing has begun. */
  readonly closing: boolean;
}

/** Quiet time with no request in flight before idle connections are closed. */
const LINGER_MS = 1000;

export function drainOnClose(app: FastifyInstance, timeoutMs: number): Drain {
  let inFlight = 0;
  let closing = false;
  let idleSince = performance.now();
  let closed: Promise<void> | null = null;
  let connections = 0;
  app.server.on('connection', (socket: net.Socket) => {
    connections++;
    socket.once('close', () => connections--);
  });
  const done = new WeakSet<object>();
  const finish = (req: object) => {
    if (done.has(req)) return;
    done.add(req);
    if (--inFlight === 0) idleSince = performance.now();
  };

  app.addHook('onRequest', async () => {
    inFlight++;
  });
  app.addHook('onResponse', async (req) => finish(req));
  app.addHook('onRequestAbort', async (req) => finish(req));
  app.addHook('preClose', async () => {
    closing = true; // also when app.close() is called directly
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });

  const run = async () => {
    closing = true;
    // the listening socket only (net's close; http's would also drop idle connections); its callback
    // would wait for every connection, so it is not awaited
    if (app.server.listening) net.Server.prototype.close.call(app.server);
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline && connections > 0) {
      if (inFlight === 0 && performance.now() - idleSince >= LINGER_MS) {
        // Timers run before the I/O poll: after a busy stretch, bytes of a request may have arrived but
        // not been read yet. Let the poll phase run (setImmediate comes after it) so that such a request is
        // parsed and counted before the idle connections are closed.
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setImmediate(r));
        if (inFlight === 0) break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    if (performance.now() >= deadline) app.server.closeAllConnections();
    await app.close();
  };
  return {
    close: () => (closed ??= run()),
    get closing() {
      return closing;
    },
  };
}
