/**
 * Reused memory for the large arrays of a request (its model-input matrix). On the VMs measured for
 * issue 17 a fresh 512 KiB array costs ~1.7 ms of page faults (the allocator maps new pages for
 * anything that large), against ~0.02 ms to clear one already in use: at 1,000 candidates a fresh
 * matrix per request was a third of the scoring worker's time and a source of its latency tail.
 *
 * A buffer is taken for one request and given back once the request's scores are computed; requests
 * in flight on the same thread (the HTTP thread with `--workers 0`, or a worker with several requests
 * queued) each hold their own. Each thread (the HTTP thread, every scoring worker) has one pool
 * (`requestBuffers`), holding at most `maxBytes` in total, only buffers up to `largest` bytes. A pool
 * made `shared` hands out SharedArrayBuffers instead (the halves of split bodies, splitScan.ts).
 */

const KIB64 = 64 * 1024;

/** Where a parser gets its model-input matrix: zero-filled, given back when the request is done. */
export interface FloatArrays {
  floats(length: number): Float32Array;
  release(array: ArrayBufferView): void;
}

/** Fresh arrays, nothing reused (the library API's default). */
export const freshArrays: FloatArrays = { floats: (length) => new Float32Array(length), release: () => undefined };

/**
 * A matrix of `length` values from `arrays`, filled by `fill`; given back if `fill` throws (a request that
 * fails validation half-way), so that only scored requests hold one.
 */
export function filledArray<T>(arrays: FloatArrays, length: number, fill: (array: Float32Array) => T): T {
  const array = arrays.floats(length);
  try {
    return fill(array);
  } catch (err) {
    arrays.release(array);
    throw err;
  }
}

/** Values that fit in the buffer behind `array` from its start: room a caller may grow into (clearing it first). */
export function arrayCapacity(array: Float32Array): number {
  return (array.buffer.byteLength - array.byteOffset) >> 2;
}

export class BufferPool implements FloatArrays {
  private readonly free: ArrayBufferLike[] = [];
  private freeBytes = 0;

  constructor(
    /** Largest buffer kept for reuse; larger requests get their own and do not pin it in memory. */
    readonly largest = 16 * 1024 * 1024,
    /** Bound on the bytes held by free buffers. */
    readonly maxBytes = 32 * 1024 * 1024,
    /** SharedArrayBuffers (read by other threads in place) instead of ArrayBuffers. */
    readonly shared = false,
  ) {}

  /** The largest free buffer of at least `bytes` (so that a caller growing its array usually needs no second one), or a new one. */
  private take(bytes: number): ArrayBufferLike {
    let at = -1;
    for (let i = 0; i < this.free.length; i++) if (this.free[i].byteLength >= bytes && (at < 0 || this.free[i].byteLength > this.free[at].byteLength)) at = i;
    if (at < 0) {
      const size = Math.max(KIB64, Math.ceil(bytes / KIB64) * KIB64);
      return this.shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size);
    }
    const buffer = this.free[at];
    this.free.splice(at, 1);
    this.freeBytes -= buffer.byteLength;
    return buffer;
  }

  /** A zero-filled Float32Array of `length` values, on a buffer that may be larger. Give it back with `release`. */
  floats(length: number): Float32Array {
    const buffer = this.take(length * 4);
    // capacity: the whole buffer (growers use it), the first `length` values cleared
    const out = new Float32Array(buffer, 0, buffer.byteLength >> 2);
    out.fill(0, 0, length);
    return out.subarray(0, length);
  }

  /** `length` bytes, not cleared (for a caller that writes what it reads). Give them back with `release`. */
  bytes(length: number): Uint8Array {
    return new Uint8Array(this.take(length), 0, length);
  }

  /** Gives back the buffer behind `view` (taken from this pool); the caller must not use it afterwards. */
  release(view: ArrayBufferView): void {
    const buffer = view.buffer;
    const ours = this.shared ? buffer instanceof SharedArrayBuffer : buffer instanceof ArrayBuffer;
    if (!ours || buffer.byteLength > this.largest || this.free.includes(buffer)) return;
    this.free.push(buffer);
    this.freeBytes += buffer.byteLength;
    // over the bound: drop the smallest buffers first (the large ones are the costly ones to fault in)
    while (this.freeBytes > this.maxBytes) {
      let smallest = 0;
      for (let i = 1; i < this.free.length; i++) if (this.free[i].byteLength < this.free[smallest].byteLength) smallest = i;
      this.freeBytes -= this.free[smallest].byteLength;
      this.free.splice(smallest, 1);
    }
  }

  /** Buffers and bytes held for reuse (tests). */
  held(): { buffers: number; bytes: number } {
    return { buffers: this.free.length, bytes: this.freeBytes };
  }
}

/** This thread's pool for request matrices (module state: one per worker thread and one in the HTTP thread). */
export const requestBuffers = new BufferPool();
