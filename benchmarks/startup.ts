/**
 * `npm run bench -- startup [--runs 5]`: start-up times of the compiled CLI and of the package's entry
 * points (issue 12 item 4), each beside a bare `node` start measured in the same run.
 *
 * Builds the package into `.bench/startup/` (dist, bin; no sources, as installed from npm), writes a small
 * Arrow file, then times fresh processes (median of `--runs`, wall clock): `cosrank --help`, `cosrank
 * inspect small.arrow`, and `require()` of each entry point. Targets: --help < 0.3 s, inspect < 0.8 s,
 * main entry < 0.5 s. Also prints the tsx-from-sources `--help` a checkout without a build runs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const STAGE = path.join(ROOT, '.bench', 'startup');

/** Median wall-clock seconds of `runs` fresh runs of a command (each must exit 0). */
export function timeCommand(cmd: string, args: string[], runs: number, cwd = ROOT): number {
  const seconds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    seconds.push(s);
  }
  seconds.sort((a, b) => a - b);
  return seconds[Math.floor(seconds.length / 2)];
}

/** Machine load, printed beside every figure set: other work slows process start-up alike. */
export function loadLine(): string {
  return `load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.availableParallelism()} cores`;
}

function build(): void {
  fs.rmSync(STAGE, { recursive: true, force: true });
  fs.mkdirSync(path.join(STAGE, 'bin'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'bin', 'cosrank.js'), path.join(STAGE, 'bin', 'cosrank.js'));
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(STAGE, 'dist')], { stdio: 'inherit' });
}

function row(what: string, seconds: number, target: number | null, bare: number): string {
  const verdict = target === null ? '' : seconds < target ? `  (target < ${target} s: met)` : `  (target < ${target} s: NOT met)`;
  return `  ${what.padEnd(34)} ${seconds.toFixed(3)} s   node alone ${bare.toFixed(3)} s, +${(seconds - bare).toFixed(3)} s${verdict}`;
}

export async function run(args: string[]): Promise<void> {
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
  if (!(Number.isInteger(runs) && runs > 0)) throw new Error(`--runs must be a positive integer, got ${args[runsAt + 1]}`);
  console.log(`building the package into ${path.relative(ROOT, STAGE)}/ …`);
  build();
  const bin = path.join(STAGE, 'bin', 'cosrank.js');
  const arrow = path.join(STAGE, 'small.arrow');
  const data = require(path.join(STAGE, 'dist', 'entries', 'data.js')) as typeof import('../src/entries/data');
  await data.writeArrow(data.generateSynthetic({ queries: 50, seed: 1, meanListLength: 20, maxListLength: 60 }), arrow);

  console.log(loadLine());
  const bare = timeCommand(process.execPath, ['-e', ''], runs);
  console.log(`median of ${runs} fresh processes (wall clock):`);
  console.log(row('cosrank --help', timeCommand(process.execPath, [bin, '--help'], runs), 0.3, bare));
  console.log(row('cosrank inspect small.arrow', timeCommand(process.execPath, [bin, 'inspect', arrow], runs), 0.8, bare));
  const entries: [string, string, number | null][] = [
    ['cosrank', 'index.js', 0.5],
    ['cosrank/serve', 'entries/serve.js', null],
    ['cosrank/data', 'entries/data.js', null],
    ['cosrank/eval', 'entries/eval.js', null],
  ];
  for (const [name, file, target] of entries) {
    const script = `require(${JSON.stringify(path.join(STAGE, 'dist', file))})`;
    console.log(row(`require('${name}')`, timeCommand(process.execPath, ['-e', script], runs), target, bare));
  }
  const tsxHelp = timeCommand(process.execPath, [path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(ROOT, 'src', 'cli', 'main.ts'), '--help'], Math.min(runs, 3));
  console.log(row('--help from sources (tsx, checkout)', tsxHelp, null, bare));
  console.log(loadLine());
}
