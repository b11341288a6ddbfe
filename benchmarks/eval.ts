/**
 * `npm run bench -- eval [--queries 2000] [--points 11] [--repeats 3] [--no-peer]`: sweep evaluation speed.
 *
 * Data: `generateSynthetic` (MSLR-shaped list lengths, mean 120 documents a query) with 5 label columns
 * (relevance + 4 auxiliaries), 11 features only since metrics never read them; about 240,000 documents at
 * the default 2,000 queries. Scores at each of `--points` Dirichlet(1) weight points: relevance + Σ_j w_j
 * aux_j + Gaussian noise (tie-free). Times `evaluateObjectives` (NDCG@10, 5 objectives, one ranking shared)
 * per point — median over points × repeats — and scikit-learn's `ndcg_score` on the same data in the same run
 * (`benchmarks/peers/eval_peer.py`, reading the binaries written to a temp folder), then the ratio.
 * The means of point 0 are printed side by side as a check (idcgZero 'zero', sklearn's convention).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { generateSynthetic } from '../src/data/generate';
import { evaluateObjectives } from '../src/eval/metrics';
import { dirichletWeights } from '../src/eval/sweep';
import { Rng } from '../src/util/rng';

const K = 10;

interface PeerResult {
  peer: string;
  median_seconds?: number;
  median_cpu_seconds?: number;
  means?: number[];
  skipped?: string;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}

/** The first Python that can import scikit-learn ($PYTHON, python3, /usr/bin/python3), or null. */
function findPython(): string | null {
  const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import sklearn'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return null;
}

function writeBinary(file: string, arrays: ArrayBufferView[]): void {
  const fd = fs.openSync(file, 'w');
  for (const a of arrays) fs.writeSync(fd, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  fs.closeSync(fd);
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      queries: { type: 'string', default: '2000' },
      points: { type: 'string', default: '11' },
      repeats: { type: 'string', default: '3' },
      'no-peer': { type: 'boolean', default: false },
    },
  });
  const queries = Number(values.queries);
  const nPoints = Number(values.points);
  const repeats = Number(values.repeats);

  const ds = generateSynthetic({
    queries,
    seed: 1,
    nFeatures: 11,
    objectives: [
      { name: 'freshness', correlation: -0.3 },
      { name: 'clicks', correlation: 0.5 },
      { name: 'quality', correlation: 0.2 },
      { name: 'authority', correlation: 0.1 },
    ],
  });
  const nDocs = ds.queryOffsets[ds.queryOffsets.length - 1];
  const m = ds.labels.length - 1;
  console.log(`data: ${queries} queries, ${nDocs} documents, ${ds.labels.length} label columns (${ds.labelNames.join(', ')}); NDCG@${K}`);

  const rng = new Rng(2);
  const noise = Float32Array.from({ length: nDocs }, () => rng.normal());
  const scores = dirichletWeights(m, nPoints, 1, rng).map((w) => {
    const s = new Float32Array(nDocs);
    for (let d = 0; d < nDocs; d++) {
      let v = ds.labels[0][d] + noise[d];
      for (let j = 0; j < m; j++) v += w[j] * ds.labels[j + 1][d];
      s[d] = v;
    }
    return s;
  });

  evaluateObjectives(scores[0], ds, { k: K }); // warm-up (JIT)
  const wall: number[] = [];
  const cpu: number[] = [];
  for (const s of scores) {
    for (let r = 0; r < repeats; r++) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      evaluateObjectives(s, ds, { k: K });
      wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
      const c = process.cpuUsage(c0);
      cpu.push((c.user + c.system) / 1e3);
    }
  }
  const ours = { wall: median(wall), cpu: median(cpu) };
  const oursMeans = evaluateObjectives(scores[0], ds, { k: K, idcgZero: 'zero' }).map((r) => r.mean);
  console.log(`load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs (CPU time is the steadier figure on a busy machine)`);
  console.log(
    `cosrank evaluateObjectives: ${ours.wall.toFixed(1)} ms wall, ${ours.cpu.toFixed(1)} ms CPU per weight point ` +
      `(medians of ${wall.length}: ${nPoints} points × ${repeats}; wall min ${Math.min(...wall).toFixed(1)})`,
  );

  if (values['no-peer']) return;
  const python = findPython();
  if (!python) {
    console.log('peer: scikit-learn not importable by $PYTHON, python3 or /usr/bin/python3 (apt-get install python3-sklearn); skipped');
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-bench-eval-'));
  try {
    fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({ docs: nDocs, queries, objectives: ds.labels.length, points: nPoints, k: K }));
    writeBinary(path.join(dir, 'offsets.i32'), [ds.queryOffsets]);
    writeBinary(path.join(dir, 'labels.f32'), ds.labels);
    writeBinary(path.join(dir, 'scores.f32'), scores);
    const peer = spawnSync(python, [path.join(__dirname, 'peers/eval_peer.py'), dir, '--repeats', String(repeats)], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    const line = peer.stdout.split('\n').find((l) => l.startsWith('{'));
    if (peer.status !== 0 || !line) {
      console.log(`peer: eval_peer.py failed (${peer.stderr.trim().split('\n').pop() ?? 'no output'}); skipped`);
      return;
    }
    const p = JSON.parse(line) as PeerResult;
    if (p.skipped !== undefined || p.median_seconds === undefined || p.median_cpu_seconds === undefined || !p.means) {
      console.log(`${p.peer}: skipped (${p.skipped ?? 'no result'})`);
      return;
    }
    const theirs = { wall: p.median_seconds * 1000, cpu: p.median_cpu_seconds * 1000 };
    console.log(
      `${p.peer} (${python}; length-bucketed padding, ignore_ties=True): ${theirs.wall.toFixed(1)} ms wall, ` +
        `${theirs.cpu.toFixed(1)} ms CPU per weight point`,
    );
    console.log(
      `ratio sklearn / cosrank: ${(theirs.wall / ours.wall).toFixed(1)}× wall, ${(theirs.cpu / ours.cpu).toFixed(1)}× CPU ` +
        `(how many times faster cosrank is)`,
    );
    const worst = Math.max(...oursMeans.map((v, j) => Math.abs(v - (p.means as number[])[j])));
    console.log(
      `check, point 0 mean NDCG@${K} (IDCG = 0 → 0): cosrank [${oursMeans.map((v) => v.toFixed(6)).join(', ')}] ` +
        `sklearn [${p.means.map((v) => v.toFixed(6)).join(', ')}], max |difference| ${worst.toExponential(1)}`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exitCode = 1;
  });
}
