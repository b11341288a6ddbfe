/**
 * How a worker thread or a child process runs a module of this package: the compiled `.js` as is; a
 * TypeScript source (tests, `tsx`) through tsx's hooks, which neither worker threads nor child
 * processes inherit from the code that starts them.
 */
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';

const isSource = (file: string) => extname(file) === '.ts';

/** The code a worker thread runs (`new Worker(workerScript(file), { eval: true })`) to load `file`. */
export function workerScript(file: string): string {
  const hook = isSource(file) ? `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register();` : '';
  return `${hook} require(${JSON.stringify(file)});`;
}

/** Node's flags for a child process whose main module is `file` (tsx's require and import hooks for a source). */
export function processExecArgv(file: string): string[] {
  return isSource(file) ? ['--require', require.resolve('tsx/cjs'), '--import', pathToFileURL(require.resolve('tsx/esm')).href] : [];
}
