/**
 * A request body as the chunks it arrived in (bodyReader.ts): whether a chunk can be transferred to a
 * worker alone, the one join, done where the body is parsed, and the release of their memory once the
 * request is answered. No fastify here: scoring workers load this.
 */

import { MessageChannel, type MessagePort } from 'node:worker_threads';

/** Whether `bytes` spans its whole (non-shared) ArrayBuffer, so transferring it moves nothing else. */
export function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
}

/** A port whose other end is closed: whatever is transferred through it is detached and dropped. */
let sink: MessagePort | null = null;

/**
 * Detaches `chunks` (each owning its buffer) so that their memory stops counting against the heap's
 * limit now: a transfer through a closed port still detaches its buffers (HTML's postMessage, which
 * Node follows) and the message is dropped; the memory itself goes at the next collection, of any
 * kind. The chunks must not be used afterwards. Why: V8 counts an ArrayBuffer that is still attached
 * against the heap's limit until a collection finds its object dead, so a scoring worker receiving
 * 0.5–2 MB of bodies per request reached that limit between scavenges and ran a full mark-compact
 * every 10–30 requests (issue 17's p99).
 */
export function releaseChunks(chunks: readonly Uint8Array[]): void {
  if (sink === null) {
    const channel = new MessageChannel();
    channel.port2.close();
    sink = channel.port1;
    sink.unref();
  }
  const buffers = new Set<ArrayBuffer>();
  for (const c of chunks) if (ownsBuffer(c)) buffers.add(c.buffer as ArrayBuffer);
  if (buffers.size > 0) sink.postMessage(null, [...buffers]);
}

/** Largest body joined into the reused buffer; larger ones get their own (and do not pin it in memory). */
const SCRATCH_LIMIT = 16 * 1024 * 1024;
let scratch = new Uint8Array(0);

/**
 * The chunks as one buffer: the only chunk itself, or a view of this thread's reused join buffer —
 * valid until the next call, so the caller must be done with it before yielding (parsing is
 * synchronous and copies what it keeps). Reuse matters: a fresh buffer of a few MB costs ~7 ms per MB
 * of page faults on the VMs measured here (issue 17), against ~0.1 ms for copying into warm memory.
 */
export function joinBody(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  let total = 0;
  for (const c of chunks) total += c.length;
  let out: Uint8Array;
  if (total > SCRATCH_LIMIT) out = new Uint8Array(total);
  else {
    if (scratch.length < total) scratch = new Uint8Array(Math.max(total, Math.min(SCRATCH_LIMIT, scratch.length * 2)));
    out = scratch.subarray(0, total);
  }
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
