/**
 * Turns library progress events into a cli-progress bar on a terminal, or a line every few seconds
 * otherwise (CI logs, pipes).
 */
import { stat } from 'node:fs/promises';
import { SingleBar, Presets } from 'cli-progress';
import type { ProgressCallback, ProgressEvent } from '../util/progress';
import type { CliIO } from './io';

/** The unit of each stage's `done`/`total` (by stage name, the events carry none). */
const UNITS: [RegExp, string][] = [
  [/^train-/, 'steps'],
  [/^(sweep|score)$/, 'weight points'],
  [/^(read|download)$/, 'bytes'],
  [/^(extract|convert)$/, 'files'],
  [/^(write|generate)$/, 'documents'],
  [/^data$/, 'files'],
];

/** `steps`, `bytes`, … for a stage ('' when unknown). */
export function unitOf(stage: string): string {
  return UNITS.find(([re]) => re.test(stage))?.[1] ?? '';
}

export function cliProgress(io: CliIO, options: { intervalMs?: number; quiet?: boolean } = {}): ProgressCallback & { stop(): void } {
  const interval = options.intervalMs ?? 5000;
  let bar: SingleBar | null = null;
  let barStage = '';
  let lastLine = 0;
  const stop = () => {
    if (bar) bar.stop();
    bar = null;
  };
  const fn = (e: ProgressEvent) => {
    if (options.quiet) return;
    if (e.message) {
      stop();
      io.stderr(`${e.stage}: ${e.message}\n`);
      return;
    }
    const info = e.info ? Object.entries(e.info).map(([k, v]) => `${k} ${typeof v === 'number' ? fmt(v) : v}`).join('  ') : '';
    if (io.isTTY && e.total !== undefined) {
      if (!bar || barStage !== e.stage) {
        stop();
        bar = new SingleBar(
          { format: `${e.stage} [{bar}] {percentage}% | {value}/{total}${unitOf(e.stage) ? ` ${unitOf(e.stage)}` : ''} | eta {eta_formatted} | {info}`, hideCursor: true, stream: process.stderr },
          Presets.shades_classic,
        );
        bar.start(e.total, e.done, { info });
        barStage = e.stage;
      }
      bar.update(e.done, { info });
      if (e.done >= e.total) stop();
      return;
    }
    const now = Date.now();
    const finished = e.total !== undefined && e.done >= e.total;
    if (now - lastLine >= interval || finished) {
      lastLine = now;
      const unit = unitOf(e.stage);
      io.stderr(`${e.stage}: ${e.done}${e.total !== undefined ? `/${e.total}` : ''}${unit ? ` ${unit}` : ''}${info ? `  ${info}` : ''}\n`);
    }
  };
  return Object.assign(fn, { stop });
}

/** Inputs larger than this (bytes; 50 MB) get a progress bar while they are read and converted. */
export const PROGRESS_MIN_INPUT_BYTES = 50_000_000;

/**
 * Progress for a command that reads one input file: `cliProgress(io)` when the file is over 50 MB,
 * else silent (a small file reads in a moment; a bar would only flash). An unreadable path is left
 * to the reader, which reports it properly.
 */
export async function inputProgress(io: CliIO, path: string): Promise<ProgressCallback & { stop(): void }> {
  let size = 0;
  try {
    size = (await stat(path)).size;
  } catch {
    // the reader reports the missing / unreadable file
  }
  return cliProgress(io, { quiet: size <= PROGRESS_MIN_INPUT_BYTES });
}

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}
