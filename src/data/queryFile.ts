/**
 * LightGBM-style `.query` group files: one group size per line, in row order, for LETOR lines that
 * carry no `qid:`.
 */
import { promises as fsp } from 'node:fs';
import { DataError } from '../util/errors';

/** Whether a file exists (and is accessible). */
export async function exists(path: string): Promise<boolean> {
  try {
    await fsp.access(path);
    return true;
  } catch {
    return false;
  }
}

/** Group sizes of a `.query` file: one positive integer per line (blank lines ignored). */
export async function readQueryFile(path: string): Promise<number[]> {
  const text = await fsp.readFile(path, 'latin1');
  const sizes: number[] = [];
  text.split('\n').forEach((raw, k) => {
    const t = raw.trim();
    if (t === '') return;
    if (!/^\d+$/.test(t) || Number(t) === 0) throw new DataError(path, k + 1, `expected a positive integer group size, got '${t.slice(0, 40)}'`);
    sizes.push(Number(t));
  });
  return sizes;
}
