/**
 * `npm run bench -- startup [--runs 5]`: start-up times of the compiled CLI and of the package's entry
 * points (issue 12 item 4), each beside a bare `node` start measured in the same run.
 *
 * Builds the package into `.bench/startup/` (dist, bin; no sources, as installed from npm), writes a small
 * Arrow file, then times fresh processes (median of `--runs`, wall clock): `cosrank --help`, `cosrank
 * inspect small.arrow`, and `require()` of each entry point, wall clock and the process's own CPU time. Targets: --help < 0.3 s, inspect < 0.8 s,
 * main entry < 0.5 s. Also prints the checkout's `bin/cosrank.js --help` (tsx on the sources unless a current build exists).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const STAGE = path.join(ROOT, '.bench', 'startup');

/** Preloaded into every timed process: reports its CPU time (user + system) on stderr at exit. */
const CPU_HOOK = `process.on('exit', () => { const u = process.cpuUsage(); require('fs').writeSync(2, '\\nCPU_SECONDS ' + (u.user + u.system) / 1e6 + '\\n'); });`;

export interface Timing {
  /** Median wall-clock seconds. */
  wall: number;
  /** Median CPU seconds of the process (start-up is single-threaded: about its wall time on an idle machine). */
  cpu: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median wall-clock and CPU seconds of `runs` fresh `node` runs with `args` (each must exit 0). */
export function timeNode(args: string[], runs: number, cwd = ROOT): Timing {
  const hook = path.join(os.tmpdir(), `cosrank-cpu-hook-${process.pid}.js`);
  fs.writeFileSync(hook, CPU_HOOK);
  const wall: number[] = [];
  const cpu: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, ['--require', hook, ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
      wall.push(Number(process.hrtime.bigint() - t0) / 1e9);
      if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
      const m = /CPU_SECONDS ([\d.e-]+)/.exec(r.stderr);
      cpu.push(m ? Number(m[1]) : NaN);
    }
  } finally {
    fs.rmSync(hook, { force: true });
  }
  return { wall: median(wall), cpu: median(cpu) };
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

function row(what: string, t: Timing, target: number | null, bare: Timing): string {
  const verdict = target === null ? '' : `  target < ${target} s: ${t.wall < target ? 'met' : t.cpu < target ? 'met by CPU time, not wall (busy machine)' : 'NOT met'}`;
  return `  ${what.padEnd(36)} wall ${t.wall.toFixed(3)} s  CPU ${t.cpu.toFixed(3)} s   (node alone: wall ${bare.wall.toFixed(3)} s, CPU ${bare.cpu.toFixed(3)} s)${verdict}`;
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
  const bare = timeNode(['-e', ''], runs);
  console.log(`median of ${runs} fresh processes (on an idle machine wall ≈ CPU time: start-up runs on one thread):`);
  console.log(row('cosrank --help', timeNode([bin, '--help'], runs), 0.3, bare));
  console.log(row('cosrank inspect small.arrow', timeNode([bin, 'inspect', arrow], runs), 0.8, bare));
  const entries: [string, string, number | null][] = [
    ['cosrank', 'index.js', 0.5],
    ['cosrank/serve', 'entries/serve.js', null],
    ['cosrank/data', 'entries/data.js', null],
    ['cosrank/eval', 'entries/eval.js', null],
  ];
  for (const [name, file, target] of entries) {
    const script = `require(${JSON.stringify(path.join(STAGE, 'dist', file))})`;
    console.log(row(`require('${name}')`, timeNode(['-e', script], runs), target, bare));
  }
  const tsxHelp = timeNode([path.join(ROOT, 'bin', 'cosrank.js'), '--help'], Math.min(runs, 3));
  console.log(row('--help in this checkout (bin/)', tsxHelp, null, bare));
  console.log(loadLine());
}
