/** The issues of the ConfigError that `fn` throws (a test failure if it throws none or another error). */
import { ConfigError, type ConfigIssue } from '../src/util/errors';

export function configIssues(fn: () => unknown): ConfigIssue[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
