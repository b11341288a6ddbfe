/**
 * `cosrank run` with `methods` (all five, tiny budgets, m = 2) and with `cos.mode: "dpo-ls"` (which used
 * to fail after the base stage with `cos.fixedWeights: got null`): compare.json / compare.md / the plot,
 * the per-method fields, and the methods cache reused by a second run.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runPipeline } from '../../src/pipeline/run';
import { parseRunConfig } from '../../src/pipeline/runConfig';
import { TINY } from './tinyRun';

jest.setTimeout(15 * 60 * 1000);


describe('cosrank run with methods', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-methods-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('refuses unknown method names', () => {
    expect(() => parseRunConfig({ methods: ['wcos', 'lora'] })).toThrow(/methods.*method names \(wcos, tcos, dpo-ls, soup, mo-dpo\)/s);
  });

  it('trains every method on the same points and writes compare.json, compare.md and the overlay plot', async () => {
    const out = path.join(dir, 'all');
    const config = parseRunConfig({ ...TINY, methods: ['wcos', 'tcos', 'dpo-ls', 'soup', 'mo-dpo'] });
    const { outcome } = await runPipeline(config, { out });
    const json = JSON.parse(fs.readFileSync(path.join(out, 'compare.json'), 'utf8'));
    expect(json.methods.map((m: { method: string }) => m.method)).toEqual(['wcos', 'tcos', 'dpo-ls', 'soup', 'mo-dpo']);
    for (const m of json.methods) {
      for (const key of ['hypervolume', 'mainMean', 'mainStd', 'trainSeconds', 'validationSeconds', 'jobs', 'parameters']) expect(typeof m[key]).toBe('number');
      expect(m.points).toHaveLength(5);
      expect(Object.keys(m.points[0].ndcg)).toEqual(['relevance', 'freshness', 'clicks']);
      expect(m.validation.points).toHaveLength(5);
      expect(m.trainSeconds).toBeGreaterThan(0);
    }
    const jobs = Object.fromEntries(json.methods.map((m: { method: string; jobs: number }) => [m.method, m.jobs]));
    expect(jobs).toEqual({ wcos: 1, tcos: 1, 'dpo-ls': 5, soup: 2, 'mo-dpo': 5 });
    const md = fs.readFileSync(path.join(out, 'compare.md'), 'utf8');
    expect(md).toContain('| method | hypervolume (test) | hypervolume (validation) |');
    expect(md).toContain('## Monotonicity in w (test split)');
    expect(fs.statSync(path.join(out, 'compare.png')).size).toBeGreaterThan(1000);
    expect(outcome?.compare?.methods).toHaveLength(5);

    // a second run reuses every method from its cache: same figures
    const again = await runPipeline(config, { out });
    expect(again.outcome?.compare?.methods.map((m) => m.hypervolume)).toEqual(outcome?.compare?.methods.map((m) => m.hypervolume));
  });

  it("reuses the cos stage for the method of its mode instead of training it twice", async () => {
    const out = path.join(dir, 'reuse');
    // the cos stage validates on the comparison's grid (4 divisions), so its W-COS is the method's
    const config = parseRunConfig({ ...TINY, cos: { ...TINY.cos, sweepDivisions: 4 }, methods: ['wcos', 'soup'] });
    const events: { stage: string; message?: string }[] = [];
    const { outcome } = await runPipeline(config, { out, onProgress: (e) => events.push(e) });
    const firstMethod = events.findIndex((e) => e.stage.startsWith('method '));
    expect(firstMethod).toBeGreaterThan(0);
    // W-COS trained once: every conditioned training event comes before the methods stage
    expect(events.slice(0, firstMethod).some((e) => e.stage === 'train-cos')).toBe(true);
    expect(events.slice(firstMethod).filter((e) => e.stage === 'train-cos')).toEqual([]);
    expect(events.filter((e) => e.message?.includes("wcos: reusing the run's cos stage"))).toHaveLength(1);
    const wcos = outcome?.compare?.methods.find((m) => m.method === 'wcos');
    const json = JSON.parse(fs.readFileSync(path.join(out, 'compare.json'), 'utf8'));
    const stored = json.methods.find((m: { method: string }) => m.method === 'wcos');
    // the same model: its test figures at every point are the run's sweep (scored separately by the sweep stage)
    const sweep = outcome?.sweep.rows ?? [];
    expect(stored.points).toHaveLength(sweep.length);
    stored.points.forEach((p: { weights: number[]; ndcg: Record<string, number> }, i: number) => {
      expect(p.weights).toEqual(sweep[i].weights);
      expect(Object.values(p.ndcg)).toEqual(sweep[i].ndcg);
    });
    expect(wcos?.hypervolume).toBeCloseTo(outcome?.front.hypervolume ?? NaN, 12);
    const record = JSON.parse(fs.readFileSync(path.join(outcome?.stages.find((s) => s.stage === 'cos')?.dir ?? '', 'record.json'), 'utf8'));
    expect(stored.trainSeconds).toBeCloseTo(record.seconds - record.details.validationSeconds, 9);
  });

  it('runs cos.mode "dpo-ls" without fixed weights: the DPO-LS front is the run', async () => {
    const out = path.join(dir, 'dpols');
    const config = parseRunConfig({ ...TINY, cos: { ...TINY.cos, mode: 'dpo-ls' } });
    const { outcome } = await runPipeline(config, { out });
    expect(outcome?.sweep.rows).toHaveLength(5);
    // one model per point: the rows differ (each point has its own model)
    expect(new Set(outcome?.sweep.rows.map((r) => r.ndcg.join(','))).size).toBeGreaterThan(1);
    expect(fs.existsSync(path.join(out, 'model-points', 'point-4', 'model.json'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'compare.json'))).toBe(true);
  });

  it('runs cos.mode "dpo-ls" with fixed weights: one unconditioned model (the baselines\' fixed-w job)', async () => {
    const out = path.join(dir, 'dpols-fixed');
    const config = parseRunConfig({ ...TINY, cos: { ...TINY.cos, mode: 'dpo-ls', fixedWeights: [0.3, 0.7] } });
    const { outcome } = await runPipeline(config, { out });
    const model = JSON.parse(fs.readFileSync(path.join(out, 'model', 'model.json'), 'utf8'));
    expect(model.spec.cos.net.conditioning).toEqual({ weights: 0, beta: false });
    // a model without a w input ranks the same at every point of the sweep
    const rows = outcome?.sweep.rows ?? [];
    expect(rows).toHaveLength(5);
    for (const r of rows) expect(r.ndcg).toEqual(rows[0].ndcg);
  });
});
