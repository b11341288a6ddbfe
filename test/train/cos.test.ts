import { createTfjsEngine } from '../../src/engine/tfjs/engine';
import type { Engine } from '../../src/engine/engine';
import { weightGrid } from '../../src/eval/sweep';
import { trainBase, validationNdcg, type TrainResult } from '../../src/train/baseTraining';
import { trainCos } from '../../src/train/cosTraining';
import { evaluateCos } from '../../src/train/sweepScoring';
import { spearman } from './spearman';
import { smallConfig, smallData } from './smallData';

describe('COS-DPO training on generated data', () => {
  let engine: Engine;
  let base: TrainResult;
  const train = smallData(120, 31);
  const validation = smallData(60, 32);
  const config = smallConfig({
    base: { maxSteps: 100, validateEvery: 25 },
    cos: { maxSteps: 200, validateEvery: 100, listsPerBatch: 16 },
  });
  beforeAll(async () => {
    engine = await createTfjsEngine({ backend: 'cpu' });
    base = await trainBase(engine, train, validation, config);
  });

  it('base training keeps the best validation NDCG', async () => {
    const key = 'relevance NDCG@10';
    const best = Math.max(...base.history.map((h) => h.validation?.[key] ?? -1));
    expect(base.metrics[key]).toBe(best);
    expect(await validationNdcg(engine, base.spec, base.params, validation, 0, 10)).toBeCloseTo(best, 12);
    expect(best).toBeGreaterThan(0.7);
  });

  it('W-COS: each auxiliary NDCG@10 rises with its weight over the 11-point sweep; raising c returns toward s0', async () => {
    const cos = await trainCos(engine, base, train, validation, config);
    expect(cos.sweep.rows).toHaveLength(11);
    expect(cos.bestStep).toBeGreaterThan(0);
    for (const j of [0, 1]) {
      const w = cos.sweep.rows.map((r) => r.weights[j]);
      const ndcg = cos.sweep.rows.map((r) => r.ndcg[j + 1]);
      const rho = spearman(w, ndcg);
      if (rho < 0.95) process.stderr.write(`spearman of ${cos.sweep.objectives[j + 1]}: ${rho}\n`);
      expect(rho).toBeGreaterThanOrEqual(0.9);
    }
    // augmentation starts at s0: the step-0 validation is s0's own figures
    const s0Main = await validationNdcg(engine, base.spec, base.params, validation, 0, 10);
    expect(cos.history[0].validation?.['mean relevance NDCG@10']).toBeCloseTo(s0Main, 12);

    const points = weightGrid(2);
    const gaps = [];
    for (const c of [1, 4, 1e6]) {
      const e = await evaluateCos(engine, cos.spec, cos.params, validation, points, { k: 10, c });
      gaps.push(e.table.rows.map((r) => Math.abs(r.ndcg[0] - s0Main)));
    }
    for (let i = 0; i < points.length; i++) expect(gaps[2][i]).toBeLessThan(1e-9);
    // on average over the points the main NDCG is strictly closer to s0's at c = 4 than at c = 1
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    expect(mean(gaps[1])).toBeLessThan(mean(gaps[0]));
    // the scores themselves: s_c − s0 = (s − s0)/c at every document
    const input = { features: validation.features, queryOffsets: validation.queryOffsets, weights: Float32Array.of(0.3, 0.7) };
    const s0 = await engine.score(base.spec, base.params, input);
    const s1 = await engine.score(cos.spec, cos.params, input);
    const s4 = await engine.score(cos.spec, cos.params, { ...input, c: 4 });
    let moved = 0;
    for (let d = 0; d < s0.length; d++) {
      expect(s4[d] - s0[d]).toBeCloseTo((s1[d] - s0[d]) / 4, 4);
      moved = Math.max(moved, Math.abs(s1[d] - s0[d]));
    }
    expect(moved).toBeGreaterThan(0.01);
  });

  it('T-COS trains and reports its validation figures (the DPO-LS front: test/baselines)', async () => {
    const short = { ...config, cos: { ...config.cos, maxSteps: 20, validateEvery: 10, sweepDivisions: 2 } };
    const t = await trainCos(engine, base, train, validation, { ...short, cos: { ...short.cos, mode: 'tcos' } });
    expect(t.spec.cos?.temperature).toBe(true);
    expect(t.spec.cos?.net.conditioning).toEqual({ weights: 2, beta: true });
    expect(t.sweep.rows).toHaveLength(3);
    expect(t.metrics.hypervolume).toBeGreaterThan(0);
  });
});
