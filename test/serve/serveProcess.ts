/** `cosrank serve` in a child process for the HTTP tests: resolves once it prints its listening line. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export interface ServeProcess {
  child: ChildProcess;
  /** The URL from the first `--json` line. */
  url: string;
  /** Everything written to stderr so far. */
  stderr: () => string;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Starts `bin serve modelDir --port 0 --json ...args`; `bin` defaults to this checkout's CLI. */
export async function startServe(modelDir: string, args: string[], bin = path.resolve(__dirname, '..', '..', 'bin', 'cosrank.js')): Promise<ServeProcess> {
  const child = spawn(process.execPath, [bin, 'serve', modelDir, '--port', '0', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]) as { url: string }).url);
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  return { child, url, stderr: () => err, exited };
}
