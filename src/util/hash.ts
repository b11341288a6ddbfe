/**
 * The one sha256 helper (hex digests everywhere). Bytes, strings (UTF-8), files and streams are
 * hashed through the same incremental `Sha256`; typed arrays are hashed as their little-endian bytes
 * on any machine; `sha256Json` hashes the canonical JSON (object keys sorted) so equal values hash
 * equally whatever their key order.
 *
 *   sha256('abc')  // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** Anything `Sha256.update` accepts: text (UTF-8), bytes, or a numeric typed array (hashed little-endian). */
export type Hashable = string | Uint8Array | Int32Array | Uint32Array | Float32Array | Float64Array;

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** The little-endian bytes of a typed array (a view when the machine is little-endian, else a copy). */
export function littleEndianBytes(a: Int32Array | Uint32Array | Float32Array | Float64Array): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  const size = a.BYTES_PER_ELEMENT;
  const out = new Uint8Array(a.byteLength);
  for (let i = 0; i < a.byteLength; i += size) for (let b = 0; b < size; b++) out[i + b] = bytes[i + size - 1 - b];
  return out;
}

/** An incremental sha256. */
export class Sha256 {
  private readonly h: Hash = createHash('sha256');

  update(data: Hashable): this {
    if (typeof data === 'string' || data instanceof Uint8Array) this.h.update(data);
    else this.h.update(littleEndianBytes(data));
    return this;
  }

  /** The digest as 64 hex digits (the hash cannot be updated afterwards). */
  hex(): string {
    return this.h.digest('hex');
  }
}

/** sha256 (hex) of one value or of several values concatenated. */
export function sha256(...parts: Hashable[]): string {
  const h = new Sha256();
  for (const p of parts) h.update(p);
  return h.hex();
}

/** sha256 (hex) of the bytes an async iterable (e.g. a Node readable stream) yields. */
export async function sha256Stream(stream: AsyncIterable<Uint8Array | string>): Promise<string> {
  const h = new Sha256();
  for await (const chunk of stream) h.update(chunk);
  return h.hex();
}

/** sha256 (hex) of a file's bytes, streamed (memory stays bounded for any size). */
export function sha256File(file: string): Promise<string> {
  return sha256Stream(createReadStream(file));
}

/**
 * JSON with object keys sorted at every level (arrays keep their order), for hashing. Matches the
 * text the config hashes have always used (an `undefined` member prints as `undefined`), so existing
 * cache keys and checkpoint hashes stay valid.
 */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** sha256 (hex) of the canonical JSON of `v`. */
export function sha256Json(v: unknown): string {
  return sha256(canonicalJson(v));
}

/**
 * sha256 over a dataset's numbers, in this order: nFeatures (uint32 LE), queryOffsets (int32 LE),
 * features (float32 LE), then each label column (float32 LE). Names and ids are not hashed: two
 * datasets with equal hashes train identically. (Typed structurally: util sits below src/data.)
 */
export function datasetHash(ds: { nFeatures: number; queryOffsets: Int32Array; features: Float32Array; labels: readonly Float32Array[] }): string {
  const h = new Sha256().update(Uint32Array.of(ds.nFeatures)).update(ds.queryOffsets).update(ds.features);
  for (const column of ds.labels) h.update(column);
  return h.hex();
}

/** sha256 over named tensors (sorted by name: `name[shape]`, then float32 LE data), e.g. to tie a COS run to its base. */
export function parametersHash(params: Record<string, { shape: readonly number[]; data: Float32Array }>): string {
  const h = new Sha256();
  for (const name of Object.keys(params).sort()) h.update(`${name}[${params[name].shape.join(',')}]`).update(params[name].data);
  return h.hex();
}
