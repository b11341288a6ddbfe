/**
 * The code a worker thread runs (`new Worker(workerScript(file), { eval: true })`) to load `file`: the
 * compiled `.js` as is; a TypeScript source (tests, `tsx`) through tsx's require hook, which worker
 * threads do not inherit from the thread that starts them.
 */
import { extname } from 'node:path';

export function workerScript(file: string): string {
  const hook = extname(file) === '.ts' ? `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register();` : '';
  return `${hook} require(${JSON.stringify(file)});`;
}
