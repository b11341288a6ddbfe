/**
 * The one atomic writer: every file cosrank writes goes to a temporary name in the target's own folder
 * (same file system, so the final `rename` is atomic), then is renamed over the target. A crash, a
 * full disk or a failed producer never leaves a half-written target; the temporary file is removed on
 * failure. Errors name the target path and keep the system error code (`ENOSPC`, `EACCES`, …).
 *
 *   await writeFileAtomic('out/run.json', JSON.stringify(x));        // text or bytes
 *   await writeAtomic('out/data.arrow', (tmp) => produceInto(tmp));   // any producer that writes a path
 *   const out = await openAtomicStream('out/data.txt');               // streaming writers
 *   try { await out.write(chunk); …; await out.commit(); } catch (e) { await out.abort(); throw e; }
 *   await replaceDirAtomic('model', async (tmpDir) => { … });         // a whole directory
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, promises as fsp, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import * as path from 'node:path';

/** A write that failed: `file` is the target the caller asked for, `code` the system code when there is one. */
export class WriteError extends Error {
  readonly code: string | undefined;

  constructor(
    readonly file: string,
    readonly reason: unknown,
  ) {
    const code = systemCode(reason);
    super(`${file}: cannot write (${describe(reason)})`);
    this.name = 'WriteError';
    this.code = code;
  }
}

export interface AtomicWriteOptions {
  /** Flush the temporary file to disk before the rename (default false; checkpoints want it). */
  fsync?: boolean;
  /** Create the target's folder when missing (default true). */
  mkdir?: boolean;
}

const HINTS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'the folder does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'the target is a folder',
  EDQUOT: 'disk quota exceeded',
};

function systemCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function describe(err: unknown): string {
  const code = systemCode(err);
  if (code && HINTS[code]) return `${code}: ${HINTS[code]}`;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A fresh temporary name beside `target` (same folder, so renaming it is atomic). */
export function temporarySibling(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Whether a file name is one of this module's temporary names (for tests and cleanup). */
export function isTemporaryName(name: string): boolean {
  return /\.tmp-\d+-[0-9a-f]{8}$/.test(name);
}

/** Wraps a failure as a WriteError naming `target`, unless it already is one or is not a file-system error. */
function asWriteError(target: string, err: unknown): unknown {
  if (err instanceof WriteError) return err;
  return systemCode(err) !== undefined ? new WriteError(target, err) : err;
}

/** Creates the target's directory unless `options.mkdir` is false. */
async function ensureParent(target: string, options: AtomicWriteOptions): Promise<void> {
  if (options.mkdir === false) return;
  try {
    await fsp.mkdir(path.dirname(path.resolve(target)), { recursive: true });
  } catch (err) {
    throw asWriteError(target, err);
  }
}

/** Moves a finished temporary file onto its target, first flushing it to disk when `options.fsync` asks. */
async function publish(tmp: string, target: string, options: AtomicWriteOptions): Promise<void> {
  if (options.fsync) {
    const fh = await fsp.open(tmp, 'r+');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
  await fsp.rename(tmp, target);
}

/**
 * Runs `produce(tmp)`, which writes the content to the temporary path `tmp` by any means, then renames
 * `tmp` to `target`. On any failure the temporary file is removed and the error rethrown; file-system
 * errors become `WriteError`s naming `target`. Errors the producer throws itself (e.g. a DataError) pass
 * through unchanged.
 */
export async function writeAtomic<T = void>(target: string, produce: (tmp: string) => Promise<T>, options: AtomicWriteOptions = {}): Promise<T> {
  await ensureParent(target, options);
  const tmp = temporarySibling(target);
  try {
    const result = await produce(tmp);
    await publish(tmp, target, options);
    return result;
  } catch (err) {
    await fsp.rm(tmp, { force: true, recursive: true }).catch(() => undefined);
    throw asWriteError(target, err);
  }
}

/** Writes text (UTF-8) or bytes to `target` atomically. */
export async function writeFileAtomic(target: string, data: string | Uint8Array | readonly Uint8Array[], options: AtomicWriteOptions = {}): Promise<void> {
  await writeAtomic(
    target,
    async (tmp) => {
      if (typeof data === 'string' || data instanceof Uint8Array) {
        await fsp.writeFile(tmp, data);
        return;
      }
      const fh = await fsp.open(tmp, 'w');
      try {
        await fh.writev([...data]);
      } finally {
        await fh.close();
      }
    },
    options,
  );
}

/** Writes `value` as indented JSON (2 spaces, final newline) to `target` atomically. */
export async function writeJsonAtomic(target: string, value: unknown, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + '\n', options);
}

/**
 * A file being written as a stream; nothing appears at the target until `commit()`.
 * `write` waits for the stream to drain when its buffer is full, so memory stays bounded.
 */
export interface AtomicStream {
  /** The target path (what errors name). */
  readonly target: string;
  /** The underlying stream of the temporary file (for `pipeline(...)`; then call `commit`). */
  readonly stream: WriteStream;
  write(chunk: string | Uint8Array): Promise<void>;
  /** Ends the stream, optionally flushes it to disk, and renames it over the target. */
  commit(): Promise<void>;
  /** Destroys the stream and removes the temporary file (safe to call after a failed commit). */
  abort(): Promise<void>;
}

/** Opens a streaming atomic write to `target` (see `AtomicStream`). */
export async function openAtomicStream(target: string, options: AtomicWriteOptions = {}): Promise<AtomicStream> {
  await ensureParent(target, options);
  const tmp = temporarySibling(target);
  const stream = createWriteStream(tmp);
  let error: unknown = null;
  const failed = once(stream, 'error').then(([err]) => {
    error = err;
    throw asWriteError(target, err);
  });
  failed.catch(() => undefined);
  let finished = false;
  const check = () => {
    if (error !== null) throw asWriteError(target, error);
  };
  return {
    target,
    stream,
    async write(chunk) {
      check();
      if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), failed]);
    },
    async commit() {
      check();
      stream.end();
      await Promise.race([once(stream, 'finish'), failed]);
      await Promise.race([once(stream, 'close'), failed]);
      try {
        await publish(tmp, target, options);
        finished = true;
      } catch (err) {
        throw asWriteError(target, err);
      }
    },
    async abort() {
      if (finished) return;
      stream.destroy();
      await fsp.rm(tmp, { force: true }).catch(() => undefined);
    },
  };
}

/**
 * Streams into `target` atomically: `produce(out)` writes through `out.write` (or pipes into
 * `out.stream`, awaiting its own pipeline), then the file is committed; on failure it is aborted.
 */
export async function writeStreamAtomic(target: string, produce: (out: AtomicStream) => Promise<void>, options: AtomicWriteOptions = {}): Promise<void> {
  const out = await openAtomicStream(target, options);
  try {
    await produce(out);
    await out.commit();
  } catch (err) {
    await out.abort();
    throw asWriteError(target, err);
  }
}

/**
 * Checks, before any long work, that `target` can be written: its folder exists or can be created and
 * accepts a new file (a temporary one is created and removed). Throws a WriteError naming `target`
 * (EACCES, EROFS, ENOTDIR, …), so a command fails at once instead of after reading or training.
 */
export async function checkWritable(target: string): Promise<void> {
  const tmp = temporarySibling(target);
  try {
    await fsp.mkdir(path.dirname(path.resolve(target)), { recursive: true });
    await fsp.writeFile(tmp, '');
  } catch (err) {
    throw asWriteError(target, err);
  } finally {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
  }
  const existing = await fsp.stat(target).catch(() => null);
  if (existing?.isDirectory()) throw new WriteError(target, Object.assign(new Error('is a folder'), { code: 'EISDIR' }));
}

/**
 * Builds a whole directory atomically: `produce(tmpDir)` fills a fresh temporary sibling directory,
 * which then replaces `target` (an existing `target` is moved aside first and removed afterwards, so
 * a reader sees the old or the new directory, never a mix).
 */
export async function replaceDirAtomic(target: string, produce: (tmpDir: string) => Promise<void>): Promise<void> {
  const dir = path.resolve(target);
  const tmp = temporarySibling(dir);
  try {
    await fsp.mkdir(path.dirname(dir), { recursive: true });
    await fsp.mkdir(tmp);
    await produce(tmp);
    const exists = await fsp.stat(dir).then(
      () => true,
      () => false,
    );
    const old = temporarySibling(dir);
    if (exists) await fsp.rename(dir, old);
    await fsp.rename(tmp, dir);
    if (exists) await fsp.rm(old, { recursive: true, force: true });
  } catch (err) {
    await fsp.rm(tmp, { recursive: true, force: true }).catch(() => undefined);
    throw asWriteError(target, err);
  }
}
