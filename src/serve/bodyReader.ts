/**
 * Request bodies kept in the chunks they arrived in, so that the HTTP thread never touches a whole
 * body at once (issue 14 item 8): fastify's `parseAs: 'buffer'` joined every chunk into one buffer when
 * the body ended — for 41 MB a ~150–300 ms copy into freshly faulted memory on this machine, during
 * which `/healthz` waited. The chunks go to the scoring backend as they are (a worker pool transfers
 * their buffers without a copy); the handler joins them where it parses (bodyChunks.ts `joinBody`), i.e.
 * in the scoring worker, or in the HTTP thread with `--workers 0`.
 *
 * Limits are checked as bytes arrive: a declared Content-Length over the limit is refused before a
 * byte is read, a body that goes past the limit at the chunk that does (fastify's errors and statuses).
 */
import type { Readable } from 'node:stream';
import { errorCodes } from 'fastify';
import { ownsBuffer } from './bodyChunks';

/**
 * Longest stretch (ms) spent reading one body before other requests get a turn. Measured at one client,
 * 1.9 MB JSON bodies: receiving took 0.95 ms (median) yielding after every chunk, 0.6 ms with this.
 */
const READ_SLICE_MS = 2;

/**
 * Reads `payload` into a list of chunks, each owning its whole ArrayBuffer (transferable); `done` gets
 * fastify's usual errors (body too large, length mismatch, a broken upload as a 400).
 */
export function readBody(payload: Readable, contentLength: string | undefined, limit: number, done: (err: Error | null, body?: Uint8Array[]) => void): void {
  const declared = contentLength === undefined ? NaN : Number(contentLength);
  if (declared > limit) return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
  const chunks: Uint8Array[] = [];
  let received = 0;
  let sliceStart = performance.now();
  const stop = () => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
  };
  function onData(chunk: Buffer | string) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    received += bytes.length;
    if (received > limit) {
      stop();
      return done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    }
    // Node's HTTP parser hands over body chunks as fresh buffers; one that is a view into a larger
    // buffer is copied (it is at most one socket read) so that every chunk can be transferred alone
    chunks.push(ownsBuffer(bytes) ? bytes : new Uint8Array(bytes));
    // At most READ_SLICE_MS of reading per turn of the event loop: the socket would otherwise be read
    // up to 32 times (2 MB) in one go, a stretch of up to ~70 ms here in which no other request is
    // looked at; yielding after every chunk instead costs a pause and resume per 64 KB.
    if (performance.now() - sliceStart < READ_SLICE_MS) return;
    payload.pause();
    setImmediate(() => {
      sliceStart = performance.now();
      payload.resume();
    });
  }
  function onEnd() {
    stop();
    if (!Number.isNaN(declared) && received !== declared) return done(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
    done(null, chunks);
  }
  function onError(err: Error & { statusCode?: number }) {
    stop();
    if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
    done(err);
  }
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
  payload.resume();
}
