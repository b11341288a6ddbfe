/**
 * The three baselines end to end on small generated data (m = 2, 5 weight points, a 30-step budget):
 * shared single-objective jobs, one common step per method chosen by the front's validation hypervolume,
 * Soup corners = the single-objective models, MO-DPO corners = the margin models, job and parameter counts.
 */
import { createOnnxEngine } from '../../src/engine/onnx/engine';
import type { Engine } from '../../src/engine/engine';
import { hypervolume } from '../../src/eval/hypervolume';
import { weightGrid } from '../../src/eval/sweep';
import { parameterCount } from '../../src/model/spec';
import { trainBase } from '../../src/train/baseTraining';
import { fixedRankerNdcg, type JobContext } from '../../src/train/baselines/fixedJob';
import { BaselineRunner } from '../../src/train/baselines/methods';
import { smallConfig, smallData } from '../train/smallData';

jest.setTimeout(10 * 60 * 1000);

describe('baseline methods', () => {
  let engine: Engine;
  let ctx: JobContext;
  const points = weightGrid(2, { divisions: 4 });

  beforeAll(async () => {
    engine = await createOnnxEngine({ threads: 1 });
    const train = smallData(24, 61);
    const validation = smallData(12, 62);
    const config = smallConfig({ cos: { maxSteps: 30, listsPerBatch: 8, validateEvery: 10, patience: 0, net: { hidden: [8] }, optimizer: { learningRate: 0.02 } } });
    const base = await trainBase(engine, train, validation, config);
    ctx = { engine, base: { spec: base.spec, params: base.params }, train, validation, cos: config.cos, seed: 3, targets: ['sparse', 'sparse'], metric: { k: 10 } };
  });

  it('DPO-LS, Soup and MO-DPO: jobs per point (corners shared), one common step, figures of the chosen front', async () => {
    const runner = new BaselineRunner(ctx, points);
    const single = await runner.singleObjective();
    expect(single.map((j) => j.snapshots.map((s) => s.step))).toEqual([[0, 10, 20, 30], [0, 10, 20, 30]]);
    const front = await runner.dpoLs();
    expect(front.jobs).toBe(5);
    expect(front.points.map((p) => p.weights)).toEqual(points.map((p) => Array.from(p)));
    const perNet = parameterCount(single[0].snapshots[0].params);
    expect(front.parameters).toBe(5 * perNet);
    // the corner points are the single-objective models at the chosen step
    const k = [0, 10, 20, 30].indexOf(front.chosenStep);
    expect(front.points[0].params.cos).toBe(single[1].snapshots[k].params); // w = (0, 1) is e_2
    // the reported figure is the hypervolume of the chosen front's validation rows
    expect(front.validationHypervolume).toBeCloseTo(hypervolume(front.validation.map((r) => r.ndcg.slice(1))), 12);
    const again = await fixedRankerNdcg(engine, front.points[2].spec, front.points[2].params, ctx.validation, ctx.metric);
    expect(again).toEqual(front.validation[2].ndcg);
    expect(front.trainSeconds).toBeGreaterThan(0);

    const soup = await runner.soup();
    expect(soup.jobs).toBe(2);
    expect(soup.parameters).toBe(2 * perNet);
    const ks = [0, 10, 20, 30].indexOf(soup.chosenStep);
    // corners: exactly the single-objective model of that objective at the chosen step
    expect(Array.from(soup.points[4].params.cos?.['layers.0.weight'].data ?? [])).toEqual(Array.from(single[0].snapshots[ks].params['layers.0.weight'].data));

    const mo = await runner.moDpo();
    expect(mo.jobs).toBe(2 + 3);
    expect(mo.parameters).toBe(5 * perNet);
    expect(mo.notes.join('\n')).toMatch(/focus objective 2, 1\/w_i = 1\.333/);
    expect(mo.notes.join('\n')).toMatch(/focus objective 1, 1\/w_i = 2\.000/);
    expect(mo.validation).toHaveLength(5);
    for (const r of mo.validation) expect(r.ndcg.every(Number.isFinite)).toBe(true);
  });
});
