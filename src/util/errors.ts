/** An input-data problem, located at a file and (1-based) line or a column name. */
export class DataError extends Error {
  constructor(
    readonly file: string,
    readonly location: number | string | null,
    readonly detail: string,
  ) {
    super(location === null ? `${file}: ${detail}` : `${file}:${location}: ${detail}`);
    this.name = 'DataError';
  }
}

/** One problem in a configuration: the JSON path, the bad value and what is allowed. */
export interface ConfigIssue {
  path: string;
  value: unknown;
  expected: string;
}

/** Problems a ConfigError's message lists; the rest are counted (all stay in `issues`). */
export const MAX_LISTED_ISSUES = 20;

/**
 * A value as a message quotes it: JSON, cut to `maxChars`, arrays and objects shown to three levels and
 * four elements or keys. `JSON.stringify` of a value nested 20,000 deep overflows the stack, and of a
 * large one makes the message as long as the input.
 */
export function quoted(value: unknown, maxChars = 200): string {
  const text = preview(value, 3, maxChars);
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}

function preview(v: unknown, levels: number, maxChars: number): string {
  if (typeof v === 'string') return JSON.stringify(v.length > maxChars ? v.slice(0, maxChars) : v);
  if (typeof v !== 'object' || v === null) return String(v); // as JSON, except 1e400 shows as Infinity, not null
  const array = Array.isArray(v);
  const keys = array ? [] : Object.keys(v);
  const length = array ? v.length : keys.length;
  if (length === 0) return array ? '[]' : '{}';
  if (levels === 0) return array ? '[…]' : '{…}';
  const parts: string[] = [];
  for (let i = 0; i < Math.min(length, 4); i++) {
    const key = keys[i];
    parts.push(array ? preview(v[i], levels - 1, maxChars) : `${JSON.stringify(key)}:${preview((v as Record<string, unknown>)[key], levels - 1, maxChars)}`);
  }
  if (length > 4) parts.push('…');
  return array ? `[${parts.join(',')}]` : `{${parts.join(',')}}`;
}

/** A configuration error carrying every problem found at once (STYLE.md §8). */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[], source = 'config') {
    const listed = issues.slice(0, MAX_LISTED_ISSUES).map((i) => `  ${i.path}: got ${quoted(i.value)}, expected ${i.expected}`);
    const rest = issues.length - listed.length;
    super(`${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n` + listed.join('\n') + (rest > 0 ? `\n  … and ${rest} more problem${rest === 1 ? '' : 's'}` : ''));
    this.name = 'ConfigError';
  }
}
