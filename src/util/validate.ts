/**
 * The one set of config-validation combinators (STYLE.md §8): the run config (src/pipeline/runConfig.ts),
 * the training config (src/train/config.ts) and objective declarations (src/data/objectives.ts) all check
 * their JSON with these, so every problem is reported at once as a `ConfigIssue {path, value, expected}`.
 *
 *   const issues: ConfigIssue[] = [];
 *   const s = new ObjectReader(json, 'sweep', ['k', 'gain'], issues);   // unknown keys → issues
 *   const k = s.get('k', 10, int(1));                                    // bad value → issue, default kept
 *   throwIfIssues(issues, 'run.json');
 *
 * Keys are read as own properties only: `toString`, `constructor`, `__proto__` … are unknown keys like any
 * other, never inherited members, and `applyOverrides` refuses them as path segments, so `--set` cannot
 * reach `Object.prototype`.
 */
import { ConfigError, type ConfigIssue } from './errors';
import { MAX_SEED } from './rng';

/** A check of one value: null when it is fine, else the text of what is allowed. */
export type Check = (v: unknown) => string | null;

/** Keys that would reach an object's prototype machinery; never accepted in a config or a `--set` path. */
export const FORBIDDEN_KEYS: readonly string[] = ['__proto__', 'prototype', 'constructor'];

/** A plain JSON object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether `o` has `key` as its own property (inherited members such as `toString` do not count). */
export function hasOwn(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** `a.b` (a root path of '' gives just the key). */
export function joinPath(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/** Throws one ConfigError listing every issue, when there are any. */
export function throwIfIssues(issues: ConfigIssue[], source: string): void {
  if (issues.length > 0) throw new ConfigError(issues, source);
}

// ------------------------------------------------------------------------------------------------
// Checks of one value

/** An integer ≥ lo (and ≤ hi when given; lo = −Infinity: any integer). */
export const int =
  (lo: number, hi = Infinity): Check =>
  (v) =>
    typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi ? null : `an integer${lo > -Infinity ? ` ≥ ${lo}` : ''}${hi < Infinity ? `${lo > -Infinity ? ' and' : ''} ≤ ${hi}` : ''}`;

/** A seed: an integer 0 … 2^32 − 1 (`MAX_SEED`; a larger one would repeat a smaller one's numbers). */
export const seedCheck: Check = (v) => (int(0, MAX_SEED)(v) === null ? null : `an integer 0 … ${MAX_SEED} (2^32 − 1: seeds are 32-bit)`);

/** A finite number ≥ lo (> lo when `open`), ≤ hi when given. */
export const num =
  (lo: number, options: { open?: boolean; hi?: number } = {}): Check =>
  (v) => {
    const hi = options.hi ?? Infinity;
    const ok = typeof v === 'number' && Number.isFinite(v) && (options.open ? v > lo : v >= lo) && v <= hi;
    return ok ? null : `a finite number ${options.open ? '>' : '≥'} ${lo}${hi < Infinity ? ` and ≤ ${hi}` : ''}`;
  };

/** Any finite number. */
export const finite: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? null : 'a finite number');

/** A number in [0, 1) (rates, Adam betas). */
export const unitInterval: Check = (v) => (typeof v === 'number' && v >= 0 && v < 1 ? null : 'a number in [0, 1)');

/** One of the given strings. */
export const oneOf =
  (...allowed: readonly string[]): Check =>
  (v) =>
    typeof v === 'string' && allowed.includes(v) ? null : `one of ${allowed.map((a) => `'${a}'`).join(', ')}`;

/** null, or what `inner` accepts. */
export const nullable =
  (inner: Check): Check =>
  (v) => {
    if (v === null) return null;
    const e = inner(v);
    return e === null ? null : `null or ${e}`;
  };

/** An array of at least `minLength` items that `each` accepts; `what` names the items in the message. */
export const arrayOf =
  (each: Check, what: string, minLength = 0): Check =>
  (v) =>
    Array.isArray(v) && v.length >= minLength && v.every((x) => each(x) === null) ? null : `an array of ${what}${minLength > 0 ? ` (at least ${minLength})` : ''}`;

/** A string (non-empty with `nonEmpty`). */
export const str =
  (what = 'a string', nonEmpty = false): Check =>
  (v) =>
    typeof v === 'string' && (!nonEmpty || v !== '') ? null : what;

/** true or false. */
export const bool: Check = (v) => (typeof v === 'boolean' ? null : 'true or false');

/** A JSON object (its keys are checked separately). */
export const record =
  (what = 'an object'): Check =>
  (v) =>
    isRecord(v) ? null : what;

/** Pushes an issue at `path` when `check` refuses `value`; returns whether it was accepted. */
export function checkValue(issues: ConfigIssue[], path: string, value: unknown, check: Check, expected?: string): boolean {
  const problem = check(value);
  if (problem !== null) issues.push({ path, value, expected: expected ?? problem });
  return problem === null;
}

// ------------------------------------------------------------------------------------------------
// Objects

/**
 * Pushes an issue for every own key of `obj` that is not allowed (forbidden keys always are not); `expected`
 * defaults to `one of the keys a, b, c`.
 */
export function checkKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string, issues: ConfigIssue[], expected?: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k) || FORBIDDEN_KEYS.includes(k)) issues.push({ path: joinPath(path, k), value: obj[k], expected: expected ?? `one of the keys ${allowed.join(', ')}` });
  }
}

/** Reads one config object: unknown keys reported at once, then each key through a check with its default. */
export class ObjectReader {
  /** The object as given (own keys only are ever read); `{}` when it was absent or not an object. */
  readonly given: Record<string, unknown>;

  constructor(
    value: unknown,
    readonly path: string,
    allowed: readonly string[],
    readonly issues: ConfigIssue[],
  ) {
    if (value !== undefined && !isRecord(value)) issues.push({ path: path || '(root)', value, expected: path ? 'an object' : 'a JSON object' });
    this.given = isRecord(value) ? value : {};
    checkKeys(this.given, allowed, path, issues);
  }

  /** Whether the object gives `key` itself. */
  has(key: string): boolean {
    return hasOwn(this.given, key);
  }

  /** The given value of `key`, or undefined (own properties only). */
  raw(key: string): unknown {
    return this.has(key) ? this.given[key] : undefined;
  }

  /** The value at `key` (a copy of `fallback` when absent) if `check` accepts it, else the fallback and an issue. */
  get<T>(key: string, fallback: T, check: Check): T {
    if (!this.has(key)) return structuredClone(fallback);
    const v = this.given[key];
    const problem = check(v);
    if (problem === null) return structuredClone(v) as T;
    this.issues.push({ path: joinPath(this.path, key), value: v, expected: problem });
    return structuredClone(fallback);
  }
}

// ------------------------------------------------------------------------------------------------
// Overrides

/** Largest array index a `--set` path may name: the next free slot, never a jump that builds a sparse array. */
function indexProblem(key: string, node: unknown): string | null {
  if (!Array.isArray(node)) return null;
  if (!/^(0|[1-9][0-9]*)$/.test(key)) return `an array index 0..${node.length}`;
  return Number(key) <= node.length ? null : `an array index 0..${node.length} (an existing item or the next one)`;
}

/**
 * Applies `path=value` overrides (dotted path; numeric segments index arrays) to a raw JSON config,
 * returning a new object. The value is read as JSON when it parses (numbers, booleans, null, arrays),
 * else taken as a string. Refused, all reported at once: a missing `=`, an empty or forbidden segment
 * (`__proto__`, `constructor`, `prototype`), an array index past the end (`model.hidden.1000000`).
 * The config itself is validated afterwards.
 */
export function applyOverrides(json: unknown, sets: string[]): unknown {
  // a file whose top level is not an object ([], null, 3) stays so, for the config's parser to refuse
  if (json !== undefined && !isRecord(json)) return json;
  const root: Record<string, unknown> = isRecord(json) ? structuredClone(json) : {};
  const issues: ConfigIssue[] = [];
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) {
      issues.push({ path: s, value: s, expected: 'path=value, e.g. base.maxSteps=500' });
      continue;
    }
    const problem = setPath(root, s.slice(0, eq).split('.'), parseValue(s.slice(eq + 1)));
    if (problem) issues.push({ path: s.slice(0, eq), value: s.slice(eq + 1), expected: problem });
  }
  throwIfIssues(issues, '--set');
  return root;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Sets `keys` in `root`, creating objects or arrays on the way; returns what is wrong instead, changing nothing. */
function setPath(root: Record<string, unknown>, keys: string[], value: unknown): string | null {
  const bad = keys.find((k) => k === '' || FORBIDDEN_KEYS.includes(k));
  if (bad !== undefined) return bad === '' ? 'a dotted path without empty segments' : `a path without '${bad}' (not a config key)`;
  // a dry walk first, so a refused path leaves the config untouched
  let probe: unknown = root;
  for (let i = 0; i < keys.length; i++) {
    const problem = indexProblem(keys[i], probe);
    if (problem) return problem;
    const child = hasOwn(probe as object, keys[i]) ? (probe as Record<string, unknown>)[keys[i]] : undefined;
    // what the real walk below finds or creates at this step
    probe = typeof child === 'object' && child !== null ? child : /^\d+$/.test(keys[i + 1] ?? '') ? [] : {};
  }
  let node = root as Record<string, unknown>;
  for (let i = 0; i < keys.length - 1; i++) {
    const k = keys[i];
    const cur = hasOwn(node, k) ? node[k] : undefined;
    if (typeof cur !== 'object' || cur === null) node[k] = /^\d+$/.test(keys[i + 1]) ? [] : {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
  return null;
}
