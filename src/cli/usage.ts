/**
 * Usage-error helpers: Node's `parseArgs` errors turned into short messages with the nearest valid name
 * suggested (`unknown option '--ot' (did you mean --out?)`), and the version line.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './io';

/** Edit distance (insertions, deletions, substitutions) between two short strings. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The candidate nearest to `name` when it is close enough to be a typo (distance ≤ max(2, a third of its length)), else null. */
export function nearest(name: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : null;
}

/** ` (did you mean X?)` or ''. */
export function didYouMean(name: string, candidates: readonly string[]): string {
  const n = nearest(name, candidates);
  return n === null ? '' : ` (did you mean ${n}?)`;
}

/** The `--options` a help text lists. */
export function optionsOf(help: string): string[] {
  return [...new Set(help.match(/--[a-z][a-z0-9-]*/g) ?? [])];
}

/**
 * A UsageError for an error `parseArgs` threw (unknown option, missing value, unexpected positional),
 * with the nearest option of `help` suggested; null when `err` is something else.
 */
export function usageErrorOf(err: unknown, help: string): UsageError | null {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) return null;
  const message = err instanceof Error ? err.message : String(err);
  const quoted = /'([^']*)'/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = quoted.split('=')[0];
    return new UsageError(`unknown option '${option}'${didYouMean(option, optionsOf(help))}`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const option = /--[a-z][a-z0-9-]*/.exec(message)?.[0] ?? quoted;
    if (/ambiguous/.test(message)) return new UsageError(`${option} needs a value (for one starting with a dash, write ${option}=-…)`);
    return new UsageError(/missing/.test(message) ? `${option} needs a value` : `${option} takes no value`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return new UsageError(`unexpected argument '${quoted}' (this command takes options only)`);
  return new UsageError(message.split('. ')[0]);
}

/** The package version (from package.json, found from src/cli or dist/cli alike). */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
