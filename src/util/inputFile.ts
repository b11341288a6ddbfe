/**
 * The check every reader of a named input file makes first: Node's EISDIR from a read names no path
 * ("illegal operation on a directory, read"), so a directory or a missing file is refused here, naming it.
 */
import { stat } from 'node:fs/promises';
import { DataError } from './errors';

const REASONS: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', ENOTDIR: 'a part of the path is not a folder' };

/** Resolves when `file` is a file that exists; else a DataError naming it (`what`: e.g. 'a data file'). */
export async function requireInputFile(file: string, what: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(file)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new DataError(file, null, `cannot be read, expected ${what}: ${REASONS[code] ?? (err instanceof Error ? err.message : String(err))}`);
  }
  if (isDirectory) throw new DataError(file, null, `is a directory, expected ${what}`);
}
