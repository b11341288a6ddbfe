/**
 * Acceptance on real data: `cosrank run examples/mq2008.json` (S1–S3 train, S4 validation and test) writes
 * a report whose front has 11 points, each auxiliary NDCG@10 rising with its weight. Skips when
 * ../shared/data/MQ2008 is absent.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { spearman } from '../train/spearman';

const DATA = path.resolve(__dirname, '../../../shared/data/MQ2008');
const CONFIG = path.resolve(__dirname, '../../examples/mq2008.json');
const maybe = fs.existsSync(path.join(DATA, 'S4.txt')) ? describe : describe.skip;
if (maybe === describe.skip) process.stderr.write(`skipping the MQ2008 run: ${DATA} is absent\n`);

maybe('cosrank run examples/mq2008.json', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-mq2008-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('writes an 11-point front on which each auxiliary NDCG@10 rises with its weight', async () => {
    let stderr = '';
    const io: CliIO = { stdout: () => {}, stderr: (t) => void (stderr += t), isTTY: false };
    const code = await main(['run', CONFIG, '--out', out], io);
    if (code !== 0) process.stderr.write(stderr);
    expect(code).toBe(0);
    const table = JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8')) as { objectives: string[]; rows: { weights: number[]; ndcg: number[] }[] };
    expect(table.objectives).toEqual(['relevance', 'pagerank', 'shallowUrl']);
    expect(table.rows).toHaveLength(11);
    for (const j of [0, 1]) {
      const w = table.rows.map((r) => r.weights[j]);
      const ndcg = table.rows.map((r) => r.ndcg[j + 1]);
      expect(spearman(w, ndcg)).toBeGreaterThanOrEqual(0.9);
      // the end points differ clearly: weight 1 beats weight 0 on the objective
      const at = (v: number) => ndcg[w.indexOf(v)];
      expect(at(1) - at(0)).toBeGreaterThan(0.02);
    }
    const report = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(report).toContain('S1.txt + S2.txt + S3.txt');
    expect(report).toContain('(= validation)');
    expect(fs.existsSync(path.join(out, 'front.png'))).toBe(true);
  });
});
