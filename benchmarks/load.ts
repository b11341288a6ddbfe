/**
 * `npm run bench -- load [--mb 260] [--file PATH] [--no-peers]`: LETOR text reading speed and memory.
 *
 * Makes (or reuses) an MSLR-shaped LETOR file of at least `--mb` MB under `.bench/` (136 features,
 * about 120 documents per query), times `readLetor` on it (best of 2; the first run also warms the page
 * cache) with one thread and with two (the default for large files; the better one is compared), measures the peak RSS of a fresh process reading it against the float32 size of its feature
 * matrix, and times the peers (scikit-learn `load_svmlight_file(query_id=True)`, `xgboost.DMatrix`
 * libsvm parser) through `benchmarks/peers/load_peers.py`, printing MB/s and cosrank/peer ratios.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readLetor, writeLetor } from '../src/data/letor';
import type { RankingDataset } from '../src/data/dataset';
import { Rng } from '../src/util/rng';

const ROOT = path.resolve(__dirname, '..');
const MSLR_FEATURES = 136;
const DOCS_PER_QUERY = 120;

interface PeerResult {
  peer: string;
  seconds?: number;
  mb_per_s?: number;
  rows?: number;
  features?: number;
  skipped?: string;
}

type Generate = (options: { queries: number; seed: number }) => RankingDataset;

/** The project's synthetic MSLR-shaped generator, when `src/data/generate.ts` exists. */
function projectGenerator(): Generate | null {
  if (!fs.existsSync(path.join(ROOT, 'src/data/generate.ts'))) return null;
  const mod = require('../src/data/generate') as { generateSynthetic?: Generate };
  return typeof mod.generateSynthetic === 'function' ? mod.generateSynthetic : null;
}

/**
 * Fallback writer of MSLR-like lines: the MSLR-WEB feature groups hold small counts, ratios with six
 * decimals, and large integers (lengths, PageRank-like scores); values are drawn to look like that.
 */
async function writeMslrShaped(file: string, queries: number, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const out = fs.createWriteStream(file);
  for (let q = 0; q < queries; q++) {
    const n = DOCS_PER_QUERY - 20 + rng.int(41);
    let text = '';
    for (let d = 0; d < n; d++) {
      let line = `${rng.int(5)} qid:${q + 1}`;
      for (let j = 1; j <= MSLR_FEATURES; j++) {
        const kind = j % 4;
        const v =
          kind === 0 ? String(rng.int(8)) : kind === 1 ? rng.uniform().toFixed(6) : kind === 2 ? String(rng.int(100000)) : (rng.uniform() * 40 - 20).toFixed(6);
        line += ` ${j}:${v}`;
      }
      text += line + '\n';
    }
    if (!out.write(text)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end(() => resolve()).once('error', reject));
}

/** The Python with the peers: $COSRANK_PYTHON, else the system one (where apt installs python3-sklearn / -xgboost), else python3 on PATH. */
function python(): string {
  if (process.env.COSRANK_PYTHON) return process.env.COSRANK_PYTHON;
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/** Returns a LETOR file of at least `mb` MB, generating it under `.bench/` unless it is already there. */
async function benchFile(mb: number): Promise<string> {
  const dir = path.join(ROOT, '.bench');
  fs.mkdirSync(dir, { recursive: true });
  const generate = projectGenerator();
  const file = path.join(dir, `mslr-shaped-${mb}mb-${generate ? 'generate' : 'fallback'}.txt`);
  if (fs.existsSync(file) && fs.statSync(file).size >= mb * 1e6) return file;
  // ~1 KB a line: start from that estimate and scale up until the file is large enough
  let queries = Math.ceil((mb * 1e6) / (DOCS_PER_QUERY * 1000));
  for (;;) {
    console.log(`writing ${file} (${queries} queries, ${generate ? 'generateSynthetic + writeLetor' : 'fallback MSLR-shaped writer'})…`);
    if (generate) await writeLetor(generate({ queries, seed: 1 }), file);
    else await writeMslrShaped(file, queries, 1);
    const size = fs.statSync(file).size;
    if (size >= mb * 1e6) return file;
    queries = Math.ceil(queries * ((mb * 1e6) / size) * 1.02);
  }
}

/**
 * Child-process mode: read the file once and print RSS figures as JSON. RSS is sampled at every
 * progress event (each 8 MiB chunk) and after the read; getrusage's maxRSS is not used because a
 * spawned child starts with its parent's high-water mark.
 */
async function rssChild(file: string, threads: number): Promise<void> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const ds = await readLetor(file, { threads, onProgress: () => (peak = Math.max(peak, process.memoryUsage.rss())) });
  peak = Math.max(peak, process.memoryUsage.rss());
  process.stdout.write(
    JSON.stringify({ rssBefore: before, peakRss: peak, featureBytes: ds.features.length * 4, rows: ds.queryOffsets[ds.queryOffsets.length - 1] }) + '\n',
  );
}

export async function run(args: string[]): Promise<void> {
  const mbIndex = args.indexOf('--mb');
  const mb = mbIndex >= 0 ? Number(args[mbIndex + 1]) : 260;
  const fileIndex = args.indexOf('--file');
  const file = fileIndex >= 0 ? args[fileIndex + 1] : await benchFile(mb);
  const size = fs.statSync(file).size;
  const sizeMb = size / 1e6;
  console.log(`file: ${file} (${sizeMb.toFixed(1)} MB)`);

  console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.availableParallelism()} cores (other work on the machine slows every reader alike)`);
  let ours = 0;
  for (const threads of [1, 2]) {
    let best = Infinity;
    let shape = '';
    for (let k = 0; k < 2; k++) {
      const t0 = process.hrtime.bigint();
      const ds = await readLetor(file, { threads });
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      best = Math.min(best, seconds);
      shape = `${ds.queryIds.length} queries, ${ds.queryOffsets[ds.queryOffsets.length - 1]} rows, ${ds.nFeatures} features, ${String(ds.metadata?.threads)} thread(s) used`;
    }
    ours = Math.max(ours, sizeMb / best);
    console.log(`cosrank readLetor (threads: ${threads}): ${best.toFixed(2)} s, ${(sizeMb / best).toFixed(0)} MB/s (${shape})`);
  }

  for (const threads of [1, 2]) {
    const child = spawnSync(process.execPath, [...process.execArgv, __filename, '--rss-child', file, String(threads)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    const rssLine = child.stdout.trim().split('\n').pop() ?? '';
    if (child.status === 0 && rssLine.startsWith('{')) {
      const r = JSON.parse(rssLine) as { rssBefore: number; peakRss: number; featureBytes: number };
      const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
      console.log(
        `memory (threads: ${threads}): peak RSS ${mib(r.peakRss)} (process before reading ${mib(r.rssBefore)}); float32 feature matrix ${mib(r.featureBytes)}; ` +
          `peak / matrix = ${(r.peakRss / r.featureBytes).toFixed(2)}, growth while reading / matrix = ${((r.peakRss - r.rssBefore) / r.featureBytes).toFixed(2)}`,
      );
    } else {
      console.log(`memory (threads: ${threads}): child process failed: ${child.stderr.slice(0, 500)}`);
    }
  }

  if (args.includes('--no-peers')) return;
  let peerOut = '';
  try {
    peerOut = execFileSync(python(), [path.join(__dirname, 'peers/load_peers.py'), file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (err) {
    console.log(`peers: could not run python3 benchmarks/peers/load_peers.py (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); skipped`);
    return;
  }
  for (const line of peerOut.split('\n').filter((l) => l.startsWith('{'))) {
    const p = JSON.parse(line) as PeerResult;
    if (p.skipped !== undefined || p.mb_per_s === undefined || p.seconds === undefined) {
      console.log(`${p.peer}: skipped (${p.skipped ?? 'no result'})`);
      continue;
    }
    console.log(`${p.peer}: ${p.seconds.toFixed(2)} s, ${p.mb_per_s.toFixed(0)} MB/s (${p.rows} rows, ${p.features} features); cosrank/peer = ${(ours / p.mb_per_s).toFixed(2)}`);
  }
}

if (require.main === module) {
  const i = process.argv.indexOf('--rss-child');
  const job = i >= 0 ? rssChild(process.argv[i + 1], Number(process.argv[i + 2])) : run(process.argv.slice(2));
  job.catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exitCode = 1;
  });
}
