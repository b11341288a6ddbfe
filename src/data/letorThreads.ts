/**
 * Reading a LETOR file in byte ranges: the line count that sizes the matrix, the chunked feeding of a
 * parser, and the optional worker thread that parses the second half of a large file.
 */
import { promises as fsp } from 'node:fs';
import { extname, join as pathJoin } from 'node:path';
import { Worker } from 'node:worker_threads';
import { workerScript } from '../util/workerScript';
import * as bytes from './letorBytes';
import type { LetorReadOptions } from './letorOptions';
import { LetorParser, type LetorPart } from './letorParser';

const { LF } = bytes;

/** What a worker thread is asked to parse: the lines of bytes `start .. end` of `path`. */
export interface LetorPartJob {
  path: string;
  start: number;
  end: number;
  /** Size of the whole file, which bounds the dense table (`LetorParser`). */
  fileBytes: number;
  /** 1-based number of the line starting at `start`, and how many lines the range holds. */
  firstLine: number;
  lines: number;
  options: Omit<LetorReadOptions, 'onProgress'>;
  groupFile: string | undefined;
  chunkBytes: number;
}

/**
 * Counts lines (LF-terminated, plus a last unterminated one) and finds where a second thread could
 * start: the first line beginning at or after the middle byte (`splitByte`, with `linesBefore` lines
 * before it; `splitByte` is 0 when there is no such line).
 */
export async function countLines(path: string, chunkBytes: number): Promise<{ lines: number; bytes: number; splitByte: number; linesBefore: number }> {
  const fh = await fsp.open(path, 'r');
  try {
    const middle = Math.floor((await fh.stat()).size / 2);
    const buf = Buffer.allocUnsafe(chunkBytes);
    let lines = 0;
    let bytes = 0;
    let last = LF;
    let splitByte = 0;
    let linesBefore = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, bytes);
      if (bytesRead === 0) break;
      let p = buf.indexOf(LF, 0);
      while (p >= 0 && p < bytesRead) {
        lines++;
        if (splitByte === 0 && bytes + p + 1 >= middle) {
          splitByte = bytes + p + 1;
          linesBefore = lines;
        }
        p = buf.indexOf(LF, p + 1);
      }
      last = buf[bytesRead - 1];
      bytes += bytesRead;
    }
    if (last !== LF) lines++;
    if (splitByte >= bytes) splitByte = 0;
    return { lines, bytes, splitByte, linesBefore };
  } finally {
    await fh.close();
  }
}

/**
 * Feeds the lines of bytes `start .. end` of a file to a parser, `chunkBytes` at a time; a last line
 * without LF (at the end of the file) gets one. `onBytes(done)` reports bytes consumed so far.
 */
export async function parseRange(path: string, parser: LetorParser, start: number, end: number, chunkBytes: number, onBytes: (done: number) => void): Promise<void> {
  const fh = await fsp.open(path, 'r');
  try {
    let buf = Buffer.allocUnsafe(chunkBytes);
    let filled = 0;
    let position = start;
    for (;;) {
      if (filled === buf.length) {
        // one line longer than the buffer: make room for it
        const grown = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(grown, 0, 0, filled);
        buf = grown;
      }
      const { bytesRead } = await fh.read(buf, filled, Math.min(buf.length - filled, end - position), position);
      position += bytesRead;
      filled += bytesRead;
      if (bytesRead === 0) {
        if (filled > 0) {
          if (filled === buf.length) {
            const grown = Buffer.allocUnsafe(buf.length + 1);
            buf.copy(grown, 0, 0, filled);
            buf = grown;
          }
          buf[filled++] = LF;
          parser.parseLines(buf, 0, filled);
        }
        break;
      }
      const stop = buf.lastIndexOf(LF, filled - 1) + 1;
      if (stop > 0) {
        parser.parseLines(buf, 0, stop);
        buf.copy(buf, 0, stop, filled);
        filled -= stop;
      }
      onBytes(position - filled - start);
    }
  } finally {
    await fh.close();
  }
}

/** Worker-thread side: parses one part of a file with its own parser (see letorWorker.ts). */
export async function parseLetorPart(job: LetorPartJob, onBytes: (done: number) => void): Promise<LetorPart> {
  const parser = new LetorParser(job.path, job.lines, job.options, job.groupFile, job.fileBytes);
  parser.line = job.firstLine;
  await parseRange(job.path, parser, job.start, job.end, job.chunkBytes, onBytes);
  return parser.part();
}

/**
 * Runs `parseLetorPart` in a worker thread. Resolves to null when the worker cannot start (e.g. a
 * test runner that cannot load TypeScript in workers) or its part fails to parse: the caller then
 * parses those lines itself, so errors come out exactly as in a single-threaded read.
 */
export function parseInWorker(job: LetorPartJob, onBytes: (done: number) => void): Promise<LetorPart | null> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(workerScript(pathJoin(__dirname, `letorWorker${extname(__filename)}`)), { eval: true, workerData: job });
    } catch {
      resolve(null);
      return;
    }
    let settled = false;
    const finish = (part: LetorPart | null) => {
      if (settled) return;
      settled = true;
      resolve(part);
      void worker.terminate();
    };
    worker.on('message', (m: { done?: number; part?: LetorPart; error?: string }) => {
      if (m.done !== undefined) onBytes(m.done);
      else finish(m.part ?? null);
    });
    worker.on('error', () => finish(null));
    worker.on('exit', () => finish(null));
  });
}
