/**
 * Options of the LETOR / SVMlight reader and writer (see `readLetor`, `writeLetor`).
 */
import type { ProgressCallback } from '../util/progress';
import type { NonFinitePolicy } from './readLimits';

export interface LetorReadOptions {
  /** Feature indices start at 0 (default false: 1-based, LETOR / SVMlight convention). */
  zeroBased?: boolean;
  /** Declared feature count: an index above it is an error. Default: the largest index seen. */
  nFeatures?: number;
  /** LightGBM-style group file (one group size per line), used when lines have no `qid:`. */
  queryFile?: string;
  /** Gather rows of a qid that are not contiguous (stable) instead of failing (default false). */
  groupNonContiguous?: boolean;
  /** NaN / ±Inf in labels or values, as float32 (so `1e39` counts): `error` (default) or `keep`. See `readLimits.ts`. */
  nonFinite?: NonFinitePolicy;
  /**
   * Largest feature count accepted (default `DEFAULT_MAX_FEATURES`, 100,000); a larger index is refused at
   * its line. Given explicitly, it also lifts the sparse-file guard (`readLimits.ts`): without it, a high
   * index that makes the dense table far larger than the file's values is refused.
   */
  maxFeatures?: number;
  /** Accept feature indices that do not increase along a line (default false: refused, as SVMlight requires). */
  unsortedIndices?: boolean;
  /** Read labels as relevance grades (finite, ≥ 0; see `grades.ts`), as evaluation does; default false. */
  grades?: boolean;
  /** Name of the label column (default `relevance`). */
  labelName?: string;
  /** Receives `{stage: 'read', done: bytes, total: bytes}` as the file is parsed. */
  onProgress?: ProgressCallback;
  /** Bytes read at a time (default 8 MiB; a longer line grows the buffer). Tests shrink it to cross chunk edges. */
  chunkBytes?: number;
  /**
   * 1: this thread reads everything; the peak memory is about 1.1× the float32 matrix.
   * 2: a worker thread parses the second half of the file while this thread parses the first (its half
   * is copied in at the end, so the peak is about 1.5× the matrix). Measured on 2 idle cores with a
   * 393 MB MSLR-shaped file: 238 MB/s with 1 thread, 328 MB/s with 2.
   * Default: 2 for files of 64 MiB or more (where the speed matters), else 1.
   */
  threads?: number;
}

/** Files at least this large are parsed by two threads unless `threads` says otherwise. */
export const PARALLEL_READ_BYTES = 64 * 1024 * 1024;

/** Bytes read at a time by default. */
export const READ_CHUNK = 8 << 20;

export interface LetorWriteOptions {
  /** Which label column to write as the LETOR label (default 0, the main objective). */
  labelIndex?: number;
  /**
   * Omit zero values (default false: every feature written, as LETOR files do). The last feature is
   * always written so the feature count survives a round trip.
   */
  sparse?: boolean;
}
