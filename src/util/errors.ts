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

/** A configuration error carrying every problem found at once (STYLE.md §8). */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[], source = 'config') {
    super(
      `${source}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n` +
        issues.map((i) => `  ${i.path}: got ${JSON.stringify(i.value)}, expected ${i.expected}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}
