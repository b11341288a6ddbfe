/**
 * Node's `parseArgs`, with negative numbers accepted as option values (every command parses its argv
 * here), and config errors that name the flag a value came from.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { ConfigError } from '../util/errors';
import { finite, int, seedCheck, type Check } from '../util/validate';
import { UsageError } from './io';

/** A negative number, or a comma list starting with one: `-1`, `-0.5`, `-.5`, `-1e3`, `-1,2`. */
const NEGATIVE_NUMBER = /^-\.?\d/;

/**
 * `parseArgs(config)`, except that a string option followed by a negative number (`--k -1`,
 * `--weights -1,2`) takes it as its value, as `--k=-1` does. parseArgs refuses such a value as
 * ambiguous; no cosrank option is a dash and a digit, so the option's own check can report it instead.
 */
export function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  const options = config.options ?? {};
  const given = config.args ?? [];
  const end = given.includes('--') ? given.indexOf('--') : given.length;
  const args: string[] = [];
  for (let i = 0; i < end; i++) {
    const name = /^--([^=]+)$/.exec(given[i])?.[1];
    const takesValue = name !== undefined && Object.prototype.hasOwnProperty.call(options, name) && options[name].type === 'string';
    if (takesValue && i + 1 < end && NEGATIVE_NUMBER.test(given[i + 1])) args.push(`${given[i]}=${given[++i]}`);
    else args.push(given[i]);
  }
  return parseArgs<T>({ ...config, args: [...args, ...given.slice(end)] } as T);
}

/**
 * `parse()`, with the config issues at a path a flag set marked `(from --flag)`: the flag's value wins
 * over the config file, so a message naming only the file would send the user to the wrong place.
 * `flags` maps config paths to the flags given for them.
 */
export async function namingFlags<T>(flags: Record<string, string>, source: string, parse: () => T | Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const from = (path: string) => (Object.prototype.hasOwnProperty.call(flags, path) ? `${path} (from ${flags[path]})` : path);
    throw new ConfigError(err.issues.map((i) => ({ ...i, path: from(i.path) })), source);
  }
}

// ------------------------------------------------------------------------------------------------
// Option values: every command reads numbers and lists through these, so each refusal names the flag.

/** `value` if `check` accepts it, else a UsageError `--flag must be …, got 'text'` (`alternative`: e.g. "or 'all'"). */
function checkedFlag<T>(flag: string, text: string, value: T, check: Check, alternative = ''): T {
  const problem = check(value);
  if (problem !== null) throw new UsageError(`--${flag} must be ${problem}${alternative ? ` ${alternative}` : ''}, got '${text}'`);
  return value;
}

/** Decimal text as a number; NaN for blank text (which `Number` reads as 0). */
const numberOf = (text: string): number => (/^\s*$/.test(text) ? NaN : Number(text));

/** `--flag N`: an integer lo … hi written in decimal digits (no `1e3`, no `0x10`, no fraction). */
export function intFlag(flag: string, text: string, lo: number, hi = Infinity, alternative = ''): number {
  const value = /^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : NaN;
  return checkedFlag(flag, text, value, int(lo, hi), alternative);
}

/** `--flag X`: a finite number (what `Number` reads); the library checks its range. */
export function numberFlag(flag: string, text: string): number {
  return checkedFlag(flag, text, numberOf(text), finite);
}

/** `--flag a,b,c`: the comma-separated items, trimmed; an empty item is refused, not dropped. */
export function listFlag(flag: string, text: string): string[] {
  const items = text.split(',').map((x) => x.trim());
  return checkedFlag(flag, text, items, (v) => ((v as string[]).includes('') ? 'a comma-separated list without empty items' : null));
}

/** `--flag 0.3,0.7`: comma-separated finite numbers. */
export function numberListFlag(flag: string, text: string): number[] {
  const values = text.split(',').map(numberOf);
  return checkedFlag(flag, text, values, (v) => ((v as number[]).every((x) => finite(x) === null) ? null : 'comma-separated finite numbers'));
}

/** A `--seed` value: an integer 0 … 2^32 − 1, checked as config seeds are (`seedCheck`). */
export function seedFlag(text: string): number {
  return checkedFlag('seed', text, numberOf(text), seedCheck);
}
