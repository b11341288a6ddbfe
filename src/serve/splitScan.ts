/**
 * One large JSON body scanned by two scoring workers at once, when both are idle (issue 17: at one client
 * a 1,000 × 136 body of JSON numbers is ~6 ms of number parsing in one thread while the other core waits).
 *
 * The HTTP thread copies the body's second half into a shared buffer (`fillSplitBuffer`) and sends it to an
 * idle worker B, which scans the documents from the first document boundary in it to the end of the
 * array (`scanTail`) and writes their rows, id positions and extent into the same buffer. Worker A gets
 * the whole body as usual and scans from the start; at the first document at or past the half it waits
 * for B — no longer than its own scan has taken so far, i.e. about what reading the rest itself would
 * cost — and takes B's documents only if B started at exactly that document. Anything else (B found no
 * boundary, met anything unusual or invalid, was late, or started elsewhere) and A reads on by itself, so
 * the answer and every error message are those of a scan in one thread.
 *
 * Buffer layout: Int32 header [state (0 pending, 1 done, 2 none), start, end, count, capacity, width],
 * the tail bytes, then room for the rows (Float32, capacity × width) and the id positions (Int32,
 * capacity); the HTTP thread sizes it for the model it serves, and a worker whose model has another
 * width (a reload in between) publishes nothing.
 */
import type { FeatureLayout } from './documents';
import type { FloatArrays } from './bufferPool';
import { scanTail, type TailDocuments, type TailHelp } from './jsonScanner';

const HEADER_BYTES = 32;
const PENDING = 0;
const DONE = 1;
const NONE = 2;

/** What both workers are told about a split body. */
export interface SplitRequest {
  buffer: SharedArrayBuffer;
  /** Byte offset in the body where the copied second half starts. */
  from: number;
  /** Bytes of the second half. */
  length: number;
}

/**
 * Documents the second half can hold at most, for the room reserved for their rows: a dense or base64
 * document takes at least 2 bytes per raw feature; bodies of smaller (sparse) documents overflow it and
 * are scanned by A alone.
 */
function capacity(length: number, layout: Pick<FeatureLayout, 'rawFeatureCount'>): number {
  return Math.ceil(length / (2 * layout.rawFeatureCount)) + 1;
}

const align4 = (n: number) => (n + 3) & ~3;

/** Bytes of the shared buffer for a second half of `length` bytes. */
export function splitBufferBytes(length: number, layout: Pick<FeatureLayout, 'rawFeatureCount' | 'width'>): number {
  const cap = capacity(length, layout);
  return HEADER_BYTES + align4(length) + cap * layout.width * 4 + cap * 4;
}

/** Copies the body's bytes from `from` on into `buffer` (after its header, set) — the HTTP thread's part. */
export function fillSplitBuffer(buffer: SharedArrayBuffer, chunks: readonly Uint8Array[], from: number, layout: Pick<FeatureLayout, 'rawFeatureCount' | 'width'>): SplitRequest {
  let at = 0;
  let length = 0;
  for (const c of chunks) {
    const skip = Math.max(0, from - at);
    if (skip < c.length) {
      new Uint8Array(buffer, HEADER_BYTES + length, c.length - skip).set(skip === 0 ? c : c.subarray(skip));
      length += c.length - skip;
    }
    at += c.length;
  }
  const header = new Int32Array(buffer, 0, HEADER_BYTES / 4).fill(0);
  header[4] = capacity(length, layout);
  header[5] = layout.width;
  return { buffer, from, length };
}

/** Where the rows and the id positions are in the buffer. */
function regions(split: SplitRequest): { header: Int32Array; rowsAt: number; idsAt: number; cap: number; width: number } {
  const header = new Int32Array(split.buffer, 0, HEADER_BYTES / 4);
  const cap = header[4];
  const width = header[5];
  const rowsAt = HEADER_BYTES + align4(split.length);
  return { header, rowsAt, idsAt: rowsAt + cap * width * 4, cap, width };
}

/** Tells A there is no result (it reads the second half itself). */
export function abandonSplitTail(split: SplitRequest): void {
  publish(regions(split).header, NONE);
}

function publish(header: Int32Array, state: number): void {
  Atomics.store(header, 0, state);
  Atomics.notify(header, 0);
}

/** Worker B's part: scans the second half and publishes the result (or that there is none), waking A. */
export function scanSplitTail(split: SplitRequest, layout: FeatureLayout, arrays: FloatArrays): void {
  const { header, rowsAt, idsAt, cap, width } = regions(split);
  let state = NONE;
  try {
    const bytes = new Uint8Array(split.buffer, HEADER_BYTES, split.length);
    const start = width === layout.width ? documentBoundary(bytes) : -1;
    const got = start >= 0 ? scanTail(bytes, start, layout, cap, arrays) : null;
    if (got !== null) {
      new Float32Array(split.buffer, rowsAt, got.count * width).set(got.rows.subarray(0, got.count * width));
      new Int32Array(split.buffer, idsAt, got.count).set(got.idStarts);
      arrays.release(got.rows);
      header[1] = got.start;
      header[2] = got.end;
      header[3] = got.count;
      state = DONE;
    }
  } finally {
    publish(header, state);
  }
}

/** Worker A's view of B's work for `scanRequest`: waits at most as long as A's scan has taken so far. */
export function tailHelp(split: SplitRequest, layout: FeatureLayout): TailHelp {
  const started = performance.now();
  let result: TailDocuments | null | undefined;
  return {
    from: split.from,
    wait() {
      if (result !== undefined) return result;
      const { header, rowsAt, idsAt, width } = regions(split);
      if (Atomics.load(header, 0) === PENDING) Atomics.wait(header, 0, PENDING, Math.max(1, performance.now() - started));
      if (Atomics.load(header, 0) !== DONE || width !== layout.width) return (result = null);
      const count = header[3];
      const idStarts = new Int32Array(split.buffer, idsAt, count).map((p) => p + split.from);
      const rows = new Float32Array(split.buffer, rowsAt, count * width);
      return (result = { start: split.from + header[1], end: split.from + header[2], count, rows, idStarts });
    },
  };
}

/** The first `{` that follows `}` and `,` (whitespace between allowed), or −1. */
function documentBoundary(b: Uint8Array): number {
  for (let p = b.indexOf(0x7d); p >= 0; p = b.indexOf(0x7d, p + 1)) {
    let q = p + 1;
    while (b[q] === 0x20 || b[q] === 0x0a || b[q] === 0x0d || b[q] === 0x09) q++;
    if (b[q++] !== 0x2c) continue;
    while (b[q] === 0x20 || b[q] === 0x0a || b[q] === 0x0d || b[q] === 0x09) q++;
    if (b[q] === 0x7b) return q;
  }
  return -1;
}
