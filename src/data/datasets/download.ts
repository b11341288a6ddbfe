/**
 * Resumable HTTP download of one archive. Bytes go to `TARGET.part`; an interrupted download keeps that
 * file and the next call asks the server for the rest (`Range: bytes=N-`). Only a complete file whose
 * size (and sha256, when one is expected) checks out is renamed to TARGET, so TARGET is never
 * half-written. Proxy settings come from the environment (HTTP_PROXY, HTTPS_PROXY, NO_PROXY) through
 * undici's EnvHttpProxyAgent.
 */
import { createWriteStream, promises as fsp } from 'node:fs';
import { once } from 'node:events';
import type { Dispatcher } from 'undici';
import { sha256File } from '../../util/hash';
import type { ProgressCallback } from '../../util/progress';
import { DatasetError } from './catalogue';

export interface DownloadOptions {
  /** Size the archive must have (checked before writing when the server announces it, and after). */
  expectedBytes?: number;
  /** sha256 the archive must have (hex). */
  expectedSha256?: string;
  /** Extra attempts after an interruption, each resuming where the last stopped (default 3). */
  retries?: number;
  onProgress?: ProgressCallback;
  /** HTTP dispatcher (default: an EnvHttpProxyAgent, i.e. the environment's proxy settings). */
  dispatcher?: Dispatcher;
}

export interface DownloadResult {
  path: string;
  bytes: number;
  sha256: string;
  /** Whether the server's Range support was used to continue an earlier partial file. */
  resumed: boolean;
}

/** The name of the partial file of a download target. */
export function partPath(target: string): string {
  return `${target}.part`;
}

async function fileSize(file: string): Promise<number> {
  return fsp.stat(file).then(
    (s) => s.size,
    () => 0,
  );
}

/** An interruption the next attempt can resume from (the part file is kept). */
class Interrupted extends Error {}

/** Parses `Content-Range: bytes START-END/TOTAL`. */
function contentRange(header: string | null): { start: number; total: number | null } | null {
  const m = header ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header.trim()) : null;
  return m ? { start: Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) } : null;
}

function reasonOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } } | null)?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  return err instanceof Error ? err.message : String(err);
}

/** Refuses an HTTP error or a web page (the body is cancelled); returns the Content-Range of a 206. */
async function checkResponse(url: string, res: Awaited<ReturnType<typeof import('undici').fetch>>): Promise<{ start: number; total: number | null } | null> {
  let problem: string | null = null;
  if (res.status !== 200 && res.status !== 206) {
    problem = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${res.status === 404 ? ' (no such file on the server)' : ''}`;
  } else if ((res.headers.get('content-type') ?? '').startsWith('text/html')) {
    problem = 'the server answered with a web page, not the archive (a sign-in or agreement page?)';
  }
  if (problem !== null) {
    await res.body?.cancel();
    throw new DatasetError(`${url}: ${problem}`);
  }
  return res.status === 206 ? contentRange(res.headers.get('content-range')) : null;
}

/** One request: appends to (or restarts) the part file. Returns whether it appended to earlier bytes. */
async function attempt(url: string, part: string, options: DownloadOptions, dispatcher: Dispatcher): Promise<boolean> {
  let have = await fileSize(part);
  if (options.expectedBytes !== undefined && have > options.expectedBytes) {
    await fsp.rm(part, { force: true });
    have = 0;
  }
  if (options.expectedBytes !== undefined && have === options.expectedBytes && have > 0) return true;
  // undici loads on the first download, not when the package is imported.
  const { fetch } = await import('undici');
  let res;
  try {
    res = await fetch(url, { dispatcher, headers: have > 0 ? { range: `bytes=${have}-` } : {} });
  } catch (err) {
    throw new DatasetError(`${url}: cannot connect (${reasonOf(err)})`);
  }
  if (res.status === 416 && have > 0) {
    // The server has no bytes past ours: the part file is not a prefix of this archive. Start over.
    await res.body?.cancel();
    await fsp.rm(part, { force: true });
    return attempt(url, part, options, dispatcher);
  }
  const range = await checkResponse(url, res);
  if (res.status === 206 && range?.start !== have) {
    await res.body?.cancel();
    if (have === 0) throw new DatasetError(`${url}: partial content without a readable Content-Range`);
    // Not the bytes after ours: start over without a Range.
    await fsp.rm(part, { force: true });
    return attempt(url, part, options, dispatcher);
  }
  const append = range !== null;
  const length = Number(res.headers.get('content-length') ?? NaN);
  const total = range?.total ?? (Number.isFinite(length) ? (append ? have + length : length) : null);
  if (options.expectedBytes !== undefined && total !== null && total !== options.expectedBytes) {
    await res.body?.cancel();
    throw new DatasetError(`${url}: the server offers ${total} bytes, expected ${options.expectedBytes} (size mismatch: not the published archive)`);
  }
  if (!res.body) throw new DatasetError(`${url}: empty response`);
  let done = append ? have : 0;
  const out = createWriteStream(part, { flags: append ? 'a' : 'w' });
  try {
    for await (const chunk of res.body) {
      if (!out.write(chunk)) await once(out, 'drain');
      done += chunk.byteLength;
      options.onProgress?.({ stage: 'download', done, total: total ?? undefined });
    }
  } catch (err) {
    throw new Interrupted(`connection lost after ${done} bytes (${reasonOf(err)})`);
  } finally {
    out.end();
    await once(out, 'close');
  }
  if (total !== null && done < total) throw new Interrupted(`connection closed after ${done} of ${total} bytes`);
  return append;
}

/**
 * Downloads `url` to `target` (see the module comment). Throws a DatasetError naming the URL for an
 * HTTP error, an unreachable server, a size or checksum mismatch (the part file is then deleted: it is
 * not the published archive) or an interruption that outlasts the retries (the part file is kept, so
 * running again resumes).
 */
export async function downloadFile(url: string, target: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const part = partPath(target);
  const dispatcher = options.dispatcher ?? new (await import('undici')).EnvHttpProxyAgent();
  const retries = options.retries ?? 3;
  let resumed = false;
  try {
    for (let i = 0; ; i++) {
      try {
        resumed = (await attempt(url, part, options, dispatcher)) || resumed;
        break;
      } catch (err) {
        if (!(err instanceof Interrupted)) throw err;
        if (i >= retries) {
          throw new DatasetError(`${url}: download interrupted: ${err.message}; ${part} keeps the bytes so far, run the same command again to resume`);
        }
        options.onProgress?.({ stage: 'download', done: await fileSize(part), message: `interrupted (${err.message}), resuming` });
      }
    }
  } finally {
    // An agent made here is closed here (its idle keep-alive sockets would hold the process open).
    if (!options.dispatcher) await dispatcher.close();
  }
  return finishDownload(url, part, target, options, resumed);
}

/** Checks the complete part file and renames it into place (or deletes it when it is wrong). */
async function finishDownload(url: string, part: string, target: string, options: DownloadOptions, resumed: boolean): Promise<DownloadResult> {
  const bytes = await fileSize(part);
  try {
    checkSize(url, bytes, options.expectedBytes);
    options.onProgress?.({ stage: 'verify', done: 0, message: `computing sha256 of ${bytes} bytes` });
    const sha256 = await sha256File(part);
    checkSha256(url, sha256, options.expectedSha256);
    await fsp.rename(part, target);
    return { path: target, bytes, sha256, resumed };
  } catch (err) {
    if (err instanceof DatasetError) await fsp.rm(part, { force: true });
    throw err;
  }
}

/** Throws a DatasetError when `bytes` differs from the expected size. */
export function checkSize(what: string, bytes: number, expected: number | undefined): void {
  if (expected !== undefined && bytes !== expected) {
    throw new DatasetError(`${what}: size mismatch: ${bytes} bytes, the published archive has ${expected}`);
  }
}

/** Throws a DatasetError when `sha256` differs from the expected checksum. */
export function checkSha256(what: string, sha256: string, expected: string | undefined): void {
  if (expected !== undefined && sha256 !== expected.toLowerCase()) {
    throw new DatasetError(`${what}: checksum mismatch: sha256 ${sha256}, the published archive has ${expected}`);
  }
}
