import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { main } from '../../src/cli/main';
import { writeArrow } from '../../src/data/arrow';
import type { RankingDataset } from '../../src/data/dataset';
import { evaluateObjectives } from '../../src/eval/metrics';
import { captureIO } from '../cliHarness';

/**
 * Three queries, three objectives (rel main; fresh, clicks auxiliary). Query q2 has no relevant document
 * for rel (IDCG = 0).
 */
const ds: RankingDataset = {
  features: Float32Array.from([1, 2, 3, 4, 5, 6, 7]),
  nFeatures: 1,
  featureNames: ['f1'],
  queryOffsets: Int32Array.from([0, 3, 5, 7]),
  queryIds: ['q1', 'q2', 'q3'],
  labelNames: ['rel', 'fresh', 'clicks'],
  labels: [Float32Array.from([0, 1, 2, 0, 0, 1, 0]), Float32Array.from([1, 0, 0, 1, 2, 0, 1]), Float32Array.from([0, 0, 1, 1, 0, 2, 0])],
};
const A = [3, 2, 1, 1, 2, 0.5, 0.2]; // run A
const B = [1, 2, 3, 2, 1, 0.2, 0.5]; // run B: every query reversed

const L3 = 1 / Math.log2(3); // discount of rank 2; rank 3 is 1/log2(4) = 0.5
// Run A, NDCG@10 by hand (ranked documents' labels in order):
//   rel:    q1 [0,1,2] → (L3 + 1) / (2 + L3); q2 skipped; q3 [1,0] → 1
//   fresh:  q1 [1,0,0] → 1; q2 [2,1] → 1; q3 [0,1] → L3
//   clicks: q1 [0,0,1] → 0.5; q2 [0,1] → L3; q3 [2,0] → 1
const A_NDCG = [((L3 + 1) / (2 + L3) + 1) / 2, (1 + 1 + L3) / 3, (0.5 + L3 + 1) / 3];
// Run B:
//   rel:    q1 [2,1,0] → 1; q3 [0,1] → L3
//   fresh:  q1 [0,0,1] → 0.5; q2 [1,2] → (1 + 2 L3) / (2 + L3); q3 [1,0] → 1
//   clicks: q1 [1,0,0] → 1; q2 [1,0] → 1; q3 [0,2] → L3
const B_NDCG = [(1 + L3) / 2, (0.5 + (1 + 2 * L3) / (2 + L3) + 1) / 3, (1 + 1 + L3) / 3];

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-eval-'));
const data = path.join(dir, 'test.arrow');
const single = path.join(dir, 'run.csv');
const sweepFile = path.join(dir, 'sweep.csv');

beforeAll(async () => {
  await writeArrow(ds, data);
  fs.writeFileSync(single, ['qid,score', ...A.map((s, d) => `${d < 3 ? 'q1' : d < 5 ? 'q2' : 'q3'},${s}`)].join('\n') + '\n');
  fs.writeFileSync(sweepFile, ['w=1;0,w=0;1', ...A.map((s, d) => `${s},${B[d]}`)].join('\n') + '\n');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIO();
  const code = await main(['eval', ...args], io);
  return { code, out: io.out, err: io.err };
}

describe('cosrank eval, single run', () => {
  it('prints NDCG@10 per objective and the IDCG=0 policy line', async () => {
    const { code, out, err } = await run('--data', data, '--scores', single);
    expect(err).toBe('');
    expect(code).toBe(0);
    const lines = out.split('\n');
    ds.labelNames.forEach((name, j) => {
      const row = lines.find((l) => l.startsWith(`${name} `));
      expect(row?.split(/\s+/).slice(1, 3)).toEqual(['ndcg@10', A_NDCG[j].toFixed(4)]);
    });
    expect(out).toContain('IDCG=0 policy: skip (1 query skipped for rel)');
  });

  it('--json prints only JSON with the exact means', async () => {
    const { code, out } = await run('--data', data, '--scores', single, '--json', '--metrics', 'ndcg,mrr');
    expect(code).toBe(0);
    const body = JSON.parse(out);
    expect(body.kind).toBe('single');
    expect(body.policy).toMatchObject({ gain: 'linear', k: 10, idcgZero: 'skip', ties: 'stable', idcgZeroQueries: { rel: 1, fresh: 0, clicks: 0 } });
    const ndcg = body.results.filter((r: { metric: string }) => r.metric === 'ndcg');
    ndcg.forEach((r: { mean: number }, j: number) => expect(r.mean).toBeCloseTo(A_NDCG[j], 12));
    expect(ndcg[0]).toMatchObject({ objective: 'rel', queries: 2, skippedQueries: 1 });
    // MRR of rel: q1 first relevant at rank 2 → 1/2; q3 at rank 1 → 1.
    expect(body.results.find((r: { objective: string; metric: string }) => r.objective === 'rel' && r.metric === 'mrr').mean).toBeCloseTo(0.75, 12);
  });

  it.each(['stable', 'pessimistic'])('agrees with evaluateObjectives for every metric (ties %s, exponential gain, k 2)', async (ties) => {
    const { out } = await run('--data', data, '--scores', single, '--json', '--metrics', 'ndcg,err,mrr,precision', '--ties', ties, '--gain', 'exponential', '--k', '2');
    const peer = evaluateObjectives(Float64Array.from(A), ds, { k: 2, gain: 'exponential', ties: ties as 'stable', metrics: ['ndcg', 'err', 'mrr', 'precision'] });
    expect(JSON.parse(out).results).toEqual(peer);
  });

  it('--idcg-zero one scores the empty query 1', async () => {
    const { out } = await run('--data', data, '--scores', single, '--idcg-zero', 'one', '--json');
    expect(JSON.parse(out).results[0].mean).toBeCloseTo(((L3 + 1) / (2 + L3) + 1 + 1) / 3, 12);
  });

  it('writes per-query metrics as CSV, JSON and Arrow', async () => {
    const csv = path.join(dir, 'pq.csv');
    const json = path.join(dir, 'pq.json');
    const arrow = path.join(dir, 'pq.arrow');
    for (const f of [csv, json, arrow]) expect((await run('--data', data, '--scores', single, '--per-query', f)).code).toBe(0);
    const rows = fs.readFileSync(csv, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('qid,rel.ndcg@10,fresh.ndcg@10,clicks.ndcg@10');
    expect(rows[2].split(',').slice(0, 2)).toEqual(['q2', '']); // skipped query
    expect(Number(rows[3].split(',')[2])).toBeCloseTo(L3, 12);
    const parsed = JSON.parse(fs.readFileSync(json, 'utf8'));
    expect(parsed[1]).toMatchObject({ qid: 'q2', 'rel.ndcg@10': null, 'fresh.ndcg@10': 1 });
    const table = tableFromIPC(fs.readFileSync(arrow));
    expect(table.getChild('qid')?.toArray()).toEqual(['q1', 'q2', 'q3']);
    const rel = table.getChild('rel.ndcg@10')?.toArray() as Float64Array;
    expect(rel[0]).toBeCloseTo((L3 + 1) / (2 + L3), 12);
    expect(Number.isNaN(rel[1])).toBe(true);
  });
});

describe('cosrank eval, sweep', () => {
  it('prints the sweep table, front, hypervolume and main NDCG mean ± std', async () => {
    const { code, out } = await run('--data', data, '--scores', sweepFile);
    expect(code).toBe(0);
    const lines = out.split('\n');
    const p0 = lines.find((l) => l.startsWith('0 '))?.split(/\s{2,}/);
    expect(p0).toEqual(['0', '1, 0', ...A_NDCG.map((v) => v.toFixed(4)), '*']);
    const p1 = lines.find((l) => l.startsWith('1 '))?.split(/\s{2,}/);
    expect(p1).toEqual(['1', '0, 1', ...B_NDCG.map((v) => v.toFixed(4)), '*']);
    // Both points are non-dominated (A has more fresh, B more clicks).
    const hv = A_NDCG[1] * A_NDCG[2] + B_NDCG[1] * (B_NDCG[2] - A_NDCG[2]);
    expect(out).toContain(`hypervolume (reference 0, 0): ${hv.toExponential(3)}`);
    const mean = (A_NDCG[0] + B_NDCG[0]) / 2;
    expect(out).toContain(`main NDCG@10: ${mean.toFixed(4)} ± ${(Math.abs(A_NDCG[0] - B_NDCG[0]) / 2).toFixed(4)} over 2 points`);
  });

  it('--json and --out: report, plots, sweep.csv and summary.json', async () => {
    const out = path.join(dir, 'report');
    const r = await run('--data', data, '--scores', sweepFile, '--out', out, '--json', '--reference', '0.5,0.5');
    expect(r.code).toBe(0);
    const body = JSON.parse(r.out);
    expect(body.kind).toBe('sweep');
    expect(body.front).toEqual([0, 1]);
    expect(body.sweep.rows.map((x: { weights: number[] }) => x.weights)).toEqual([[1, 0], [0, 1]]);
    body.sweep.rows[1].ndcg.forEach((v: number, j: number) => expect(v).toBeCloseTo(B_NDCG[j], 12));
    const hv = (A_NDCG[1] - 0.5) * (A_NDCG[2] - 0.5) + (B_NDCG[1] - 0.5) * (B_NDCG[2] - A_NDCG[2]);
    expect(body.hypervolume.value).toBeCloseTo(hv, 12);
    expect(body.hypervolume.reference).toEqual([0.5, 0.5]);
    for (const f of ['report.md', 'front.png', 'front.svg', 'sweep.csv', 'summary.json']) {
      expect(fs.existsSync(path.join(out, f))).toBe(true);
      expect(body.files).toContain(path.join(out, f));
    }
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('## Sweep (NDCG@10, gain=linear idcgZero=skip ties=stable)');
    expect(md).toContain(`| model | ${hv.toExponential(3)} |`);
    expect(md).toContain('![Trade-off front](front.png)');
  });
});

describe('cosrank eval, errors', () => {
  it.each([
    [['--scores', 'x.csv'], /--data is required/],
    [['--data', 'x', '--scores', 'y', '--k', '0'], /--k must be an integer ≥ 1 or 'all'/],
    [['--data', 'x', '--scores', 'y', '--gain', 'cubic'], /--gain must be one of linear, exponential/],
    [['--data', 'x', '--scores', 'y', '--metrics', 'ndcg,map'], /unknown metric 'map'/],
    [['--data', 'x', '--scores', 'y', '--per-query', 'out.txt'], /--per-query file must end in/],
  ])('usage error (exit 2): %j', async (args, message) => {
    const { code, err } = await run(...args);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  it('a sweep with the wrong number of weights is a data error naming the file (exit 1)', async () => {
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, ['w=1;0;0', ...A.map(String)].join('\n') + '\n');
    const { code, err } = await run('--data', data, '--scores', bad);
    expect(code).toBe(1);
    expect(err).toContain(`${bad}:1: weight columns have 3 weights but the dataset has 2 auxiliary objectives (fresh, clicks)`);
  });

  it('a negative label is refused at its file:line (LETOR, CSV) or row (Arrow), not skipped as IDCG = 0', async () => {
    const scores = path.join(dir, 'two.csv');
    fs.writeFileSync(scores, 'score\n0.5\n0.1\n');
    const letor = path.join(dir, 'neg.txt');
    fs.writeFileSync(letor, '-1 qid:1 1:0.5\n0 qid:1 1:0.1\n');
    const csv = path.join(dir, 'neg.csv');
    fs.writeFileSync(csv, 'qid,relevance,f1\n1,0,0.5\n1,-2,0.1\n');
    const arrow = path.join(dir, 'neg.arrow');
    const neg: RankingDataset = { ...ds, labels: ds.labels.map((l, j) => (j === 1 ? Float32Array.from(l, (v, d) => (d === 4 ? -1 : v)) : l)) };
    await writeArrow(neg, arrow);
    const grade = "(expected a finite number ≥ 0: evaluation uses labels as grades, as training's 'asIs' grading does)";
    expect(await run('--data', letor, '--scores', scores)).toMatchObject({ code: 1, err: `cosrank eval: ${letor}:1: the label -1 is not a relevance grade ${grade}\n` });
    expect(await run('--data', csv, '--scores', scores)).toMatchObject({ code: 1, err: `cosrank eval: ${csv}:3: column 'relevance': the label -2 is not a relevance grade ${grade}\n` });
    expect(await run('--data', arrow, '--scores', single)).toMatchObject({ code: 1, err: `cosrank eval: ${arrow}:row 4: column 'fresh': the label -1 is not a relevance grade ${grade}\n` });
  });

  it('a directory given as --scores or --data is refused naming it', async () => {
    expect(await run('--data', data, '--scores', dir)).toMatchObject({ code: 1, err: `cosrank eval: ${dir}: is a directory, expected a scores file\n` });
    expect(await run('--data', dir, '--scores', single)).toMatchObject({ code: 1, err: `cosrank eval: ${dir}: is a directory, expected a data file (format letor)\n` });
  });

  it('a scores file of the wrong length is a data error (exit 1)', async () => {
    const bad = path.join(dir, 'short.csv');
    fs.writeFileSync(bad, 'score\n1\n2\n');
    const { code, err } = await run('--data', data, '--scores', bad);
    expect(code).toBe(1);
    expect(err).toContain('2 score rows but the dataset has 7 documents');
  });
});
