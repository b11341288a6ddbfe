/**
 * The one reader of JSON config files named on the command line (`run CONFIG`, `train --config`,
 * `convert --objectives`): a file that cannot be read is a usage error naming it; its JSON is parsed by
 * `parseJsonText`, so a syntax error or a key given twice is reported at file:line:column.
 */
import { readFile } from 'node:fs/promises';
import { parseJsonText } from '../util/jsonText';
import { UsageError } from './io';

/** The JSON value of `file`; `what` names it in a read error, e.g. `--config` or `the config file`. */
export async function readConfigFile(file: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file} (${err instanceof Error ? err.message : String(err)})`);
  }
  return parseJsonText(text, file);
}
