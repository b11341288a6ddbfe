/**
 * `cosrank run` end to end on a tiny generated config, through the CLI command with captured output:
 * outputs, stage reuse on reruns (sweep-only and cos-only changes), dry run, config errors.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { MANIFEST_KEYS } from './manifestShape';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function capture(): CliIO & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    isTTY: false,
    stdout(t: string) {
      io.out += t;
    },
    stderr(t: string) {
      io.err += t;
    },
  };
  return io;
}

async function cosrank(...argv: string[]): Promise<{ code: number; out: string; err: string; ms: number }> {
  const io = capture();
  const t0 = Date.now();
  const code = await main(argv, io);
  return { code, out: io.out, err: io.err, ms: Date.now() - t0 };
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** Paths and mtimes of every file under a folder. */
function mtimes(dir: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const p = path.join(entry.parentPath, entry.name);
      out[path.relative(dir, p)] = fs.statSync(p).mtimeMs;
    }
  }
  return out;
}

const TINY = {
  description: 'tiny test run',
  seed: 5,
  data: { generate: { queries: 60, nFeatures: 20, meanListLength: 12, maxListLength: 30 } },
  objectives: [
    { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 4 } },
    { name: 'freshness', source: { label: 'freshness' }, grading: { kind: 'asIs' } },
    { name: 'clicks', source: { label: 'clicks' }, grading: { kind: 'quantile', buckets: 3 } },
  ],
  model: { hidden: [16] },
  base: { maxSteps: 120, listsPerBatch: 8, validateEvery: 40, patience: 0, optimizer: { learningRate: 0.01 } },
  cos: { maxSteps: 160, listsPerBatch: 8, validateEvery: 40, patience: 0, net: { hidden: [16] }, optimizer: { learningRate: 0.01 } },
};

describe('cosrank run', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-run-'));
  const config = path.join(dir, 'tiny.json');
  const out = path.join(dir, 'out');
  fs.writeFileSync(config, JSON.stringify(TINY));
  let first: Awaited<ReturnType<typeof cosrank>>;

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('--dry-run prints the plan and trains and writes nothing', async () => {
    const r = await cosrank('run', config, '--out', out, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toContain('generate 60 MSLR-shaped queries');
    expect(r.out).toMatch(/base\s+train s0/);
    expect(r.out).toContain('11 weight points');
    expect(fs.existsSync(out)).toBe(false);
  });

  it('a first run writes the model, the table, the front, the plots, the report and the manifest', async () => {
    first = await cosrank('run', config, '--out', out);
    if (first.code !== 0) process.stderr.write(first.err);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/base ranker: trained in [\d.]+ s, cached as base-[0-9a-f]{16}/);
    expect(first.out).toMatch(/COS-DPO ranker: trained in [\d.]+ s, cached as cos-[0-9a-f]{16}/);
    for (const f of ['model/model.json', 'model/weights.bin', 'sweep.csv', 'sweep.json', 'front.json', 'report.md', 'summary.json', 'run.json', 'front.svg']) {
      expect(fs.existsSync(path.join(out, f))).toBe(true);
    }
    expect(fs.readFileSync(path.join(out, 'front.png')).subarray(0, 8)).toEqual(PNG_SIGNATURE);

    const table = JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8'));
    expect(table.objectives).toEqual(['relevance', 'freshness', 'clicks']);
    expect(table.rows).toHaveLength(11);
    expect(table.rows[3].weights).toEqual([0.3, 0.7]);
    // the CSV has a header and one line per point
    expect(fs.readFileSync(path.join(out, 'sweep.csv'), 'utf8').trim().split('\n')).toHaveLength(12);
    // hypervolume of the front = that of all points, recomputed here for m = 2 from the front points
    const front = JSON.parse(fs.readFileSync(path.join(out, 'front.json'), 'utf8'));
    const pts = (front.points as { ndcg: number[] }[]).map((p) => p.ndcg.slice(1)).sort((a, b) => b[0] - a[0]);
    let area = 0;
    let top = 0;
    for (const [x, y] of pts) {
      if (y > top) {
        area += x * (y - top);
        top = y;
      }
    }
    expect(front.hypervolume).toBeCloseTo(area, 12);

    const report = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    for (const heading of ['## Dataset', '## Objectives', '## Base ranker s0 on the test split', '## Summary', '## Sweep', '## Plots']) expect(report).toContain(heading);
    expect(report).toContain('3 quantile buckets, cut points fitted on train');
    expect(report).toMatch(/W-COS-DPO \(this run\) \| [\d.]+e-?\d+ \| [\d.]+ ± [\d.]+ \| [\d.]+ \| [\d,]+ \|/);
    expect(report).toContain('![Trade-off front](front.png)');

    const model = JSON.parse(fs.readFileSync(path.join(out, 'model/model.json'), 'utf8'));
    expect(model.spec.cos.net.conditioning.weights).toBe(2);
    expect(model.weights.tensors.some((t: { name: string }) => t.name.startsWith('base/'))).toBe(true);
    expect(model.objectives[2].cutPoints.length).toBeGreaterThan(0);
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(manifest.stages.map((s: { stage: string; reused: boolean }) => [s.stage, s.reused])).toEqual([['data', false], ['base', false], ['cos', false]]);
    expect(manifest.config.seed).toBe(5);
    expect(Object.keys(manifest).sort()).toEqual(MANIFEST_KEYS);
  });

  it('a rerun with only the sweep changed reuses both models, says so, leaves them untouched and is faster', async () => {
    const cacheBefore = mtimes(path.join(out, 'cache'));
    const weightsBefore = sha256(path.join(out, 'model/weights.bin'));
    const r = await cosrank('run', config, '--out', out, '--set', 'sweep.divisions=5', '--set', 'sweep.c=2', '--json');
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/base ranker: reusing cache base-[0-9a-f]{16} \(trained in [\d.]+ s at /);
    expect(r.err).toMatch(/COS-DPO ranker: reusing cache cos-[0-9a-f]{16}/);
    const outcome = JSON.parse(r.out);
    expect(outcome.stages.map((s: { reused: boolean }) => s.reused)).toEqual([true, true, true]);
    expect(outcome.sweep.rows).toHaveLength(6);
    expect(mtimes(path.join(out, 'cache'))).toEqual(cacheBefore);
    expect(sha256(path.join(out, 'model/weights.bin'))).toBe(weightsBefore);
    expect(r.ms).toBeLessThan(first.ms * 0.8);
  });

  it('changing a COS setting reuses the base ranker only', async () => {
    const r = await cosrank('run', config, '--out', out, '--set', 'cos.maxSteps=80');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/base ranker: reusing cache base-/);
    expect(r.out).toMatch(/COS-DPO ranker: trained in [\d.]+ s, cached as cos-/);
    expect(fs.readdirSync(path.join(out, 'cache')).filter((d) => d.startsWith('cos-'))).toHaveLength(2);
    expect(fs.readdirSync(path.join(out, 'cache')).filter((d) => d.startsWith('base-'))).toHaveLength(1);
  });

  it('config errors list every problem with its path and exit 1', async () => {
    const bad = path.join(dir, 'bad.json');
    fs.writeFileSync(bad, JSON.stringify({ ...TINY, sweep: { k: 0 }, cos: { ...TINY.cos, mode: 'xcos' }, dat: {} }));
    const r = await cosrank('run', bad, '--out', out);
    expect(r.code).toBe(1);
    for (const p of ['sweep.k', 'cos.mode', 'dat']) expect(r.err).toContain(`  ${p}: got`);
    expect(r.err).toContain('3 problems');
  });

  it('a configured checkpoint folder serves both stages and later runs with other keys', async () => {
    const ckptConfig = path.join(dir, 'ckpt.json');
    const ckptOut = path.join(dir, 'ckpt-out');
    fs.writeFileSync(ckptConfig, JSON.stringify({ ...TINY, checkpoint: { every: 40, dir: 'checkpoints' } }));
    const r = await cosrank('run', ckptConfig, '--out', ckptOut);
    expect(r.err).not.toMatch(/belongs to another run/);
    expect(r.code).toBe(0);
    // each stage checkpointed in its own <stage>-<key> folder, removed (and said so) once the stage finished
    const removed = [...r.out.matchAll(/checkpoints removed \((.*?)\)/g)].map((m) => path.relative(dir, m[1]).replace(/-[0-9a-f]{16}$/, ''));
    expect(removed).toEqual([path.join('checkpoints', 'base'), path.join('checkpoints', 'cos')]);
    expect(fs.existsSync(path.join(dir, 'checkpoints')) ? fs.readdirSync(path.join(dir, 'checkpoints')) : []).toEqual([]);
    const again = await cosrank('run', ckptConfig, '--out', ckptOut, '--set', 'cos.maxSteps=80');
    expect(again.err).not.toMatch(/belongs to another run/);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/COS-DPO ranker: trained in [\d.]+ s, cached as cos-/);
  });

  it('a missing config file is a usage error', async () => {
    const r = await cosrank('run', path.join(dir, 'nope.json'));
    expect(r.code).toBe(2);
  });
});
