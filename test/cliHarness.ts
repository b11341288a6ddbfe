/** Runs the CLI in-process with captured output: what every CLI test needs. */
import { main } from '../src/cli/main';
import type { CliIO } from '../src/cli/io';

/** A CliIO that collects stdout and stderr into strings (not a TTY: no progress bars). */
export function captureIO(): CliIO & { out: string; err: string } {
  const io = { out: '', err: '', isTTY: false, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

/** `cosrank ARGV…` in-process: its exit code and what it printed. */
export async function runCli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err };
}
