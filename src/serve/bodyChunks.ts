/**
 * A request body as the chunks it arrived in (bodyReader.ts): whether a chunk can be transferred to a
 * worker alone, and the one join, done where the body is parsed. No fastify here: scoring workers
 * load this.
 */

/** Whether `bytes` spans its whole (non-shared) ArrayBuffer, so transferring it moves nothing else. */
export function ownsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
}

/** The chunks as one buffer: the only chunk itself, or one copy. */
export function joinBody(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
