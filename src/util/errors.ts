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

/** A value as a message quotes it: JSON, at most 200 characters. */
function quoted(value: unknown): string {
  const text = String(JSON.stringify(value));
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
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
