/**
 * The operating-point search on evaluators with a closed-form optimum (no model): a smooth trade-off where
 * the best point lies between lattice points, several maximised objectives, β for T-COS, and unsatisfiable sets.
 */
import { parseConstraints } from '../../src/eval/constraints';
import { searchOperatingPoint, UnsatisfiableError, type PointEvaluator, type TradeOffPoint } from '../../src/eval/operatingSearch';

const NAMES = ['main', 'a', 'b'];
const BASE = [0.8, 0.4, 0.4];

/**
 * main = 0.8 − 0.1·(w_a + w_b/2)/c, a = 0.4 + 0.2·w_a/c, b = 0.4 + 0.2·w_b/c, as a COS model's figures move
 * away from the base ranker when c shrinks. With main ≥ 0.95·base.main, i.e. (w_a + w_b/2)/c ≤ 0.4, the
 * largest a is at w = (1, 0), c = 2.5: a = 0.48 — not a lattice point (c ∈ {…, 2, 3}).
 */
const smooth: PointEvaluator = async (points) =>
  points.map(({ weights: [wa, wb], c }) => [0.8 - (0.1 * (wa + wb / 2)) / c, 0.4 + (0.2 * wa) / c, 0.4 + (0.2 * wb) / c]);

function counting(f: PointEvaluator): PointEvaluator & { calls: TradeOffPoint[] } {
  const calls: TradeOffPoint[] = [];
  return Object.assign(async (p: TradeOffPoint[]) => {
    calls.push(...p);
    return f(p);
  }, { calls });
}

describe('searchOperatingPoint', () => {
  it('refines past the lattice to the closed-form optimum and keeps the constraint', async () => {
    const evaluate = counting(smooth);
    const constraints = parseConstraints(['main >= 0.95 * base.main'], NAMES);
    const r = await searchOperatingPoint(evaluate, { objectives: NAMES, maximize: ['a'], constraints, base: BASE, temperature: false });
    expect(r.feasible).toBe(true);
    expect(r.best.weights[0]).toBeCloseTo(1, 6);
    expect(r.best.c).toBeGreaterThanOrEqual(2.5);
    expect(r.best.c).toBeLessThan(2.5 * 1.02);
    expect(r.best.ndcg[1]).toBeGreaterThan(0.48 - 0.002);
    expect(r.best.margins[0]).toBeGreaterThanOrEqual(0);
    // at c = 1, (w_a + w_b/2) ≥ 0.5: no point of the plain sweep is feasible
    expect(r.sweepBest).toBeNull();
    expect(r.latticeSize).toBe(11 * 6);
    expect(r.evaluated).toBe(evaluate.calls.length); // every point evaluated once
    expect(new Set(evaluate.calls.map((p) => JSON.stringify(p))).size).toBe(evaluate.calls.length);
  });

  it('combines several maximised objectives by their mean', async () => {
    // mean of a and b = 0.4 + 0.1·(w_a + w_b)/c = 0.4 + 0.1/c, constraint (w_a + w_b/2)/c ≤ 0.4: best at w = (0, 1),
    // c = 1.25 (mean 0.48), where b alone is 0.56
    const constraints = parseConstraints(['main >= 0.95 * base.main'], NAMES);
    const r = await searchOperatingPoint(smooth, { objectives: NAMES, maximize: ['a', 'b'], constraints, base: BASE, temperature: false });
    expect(r.best.weights[1]).toBeGreaterThan(0.99);
    expect(Math.abs(r.best.c - 1.25)).toBeLessThan(0.02);
    expect(r.best.score).toBeCloseTo((r.best.ndcg[1] + r.best.ndcg[2]) / 2, 12);
    expect(r.best.score).toBeGreaterThan(0.48 - 0.002);
  });

  it('searches β for T-COS models (and only then)', async () => {
    // a rises with β_a below 1.2 and falls above: the optimum β_a = 1.2 lies between lattice values
    const evaluate = counting(async (points) => points.map(({ weights: [wa], beta }) => [0.8, 0.5 + 0.1 * wa - (beta ? (beta[0] - 1.2) ** 2 : 0), 0.4]));
    const r = await searchOperatingPoint(evaluate, { objectives: NAMES, maximize: ['a'], constraints: [], base: BASE, temperature: true });
    expect(r.best.beta![0]).toBeCloseTo(1.2, 2);
    expect(r.latticeSize).toBe(11 * 6 * 9);
    const w = counting(smooth);
    await searchOperatingPoint(w, { objectives: NAMES, maximize: ['a'], constraints: [], base: BASE, temperature: false });
    expect(w.calls.every((p) => p.beta === undefined)).toBe(true);
  });

  it('stays within the evaluation budget after the lattice', async () => {
    const evaluate = counting(smooth);
    const r = await searchOperatingPoint(evaluate, { objectives: NAMES, maximize: ['a'], constraints: [], base: BASE, temperature: false }, { maxEvaluations: 70 });
    expect(r.evaluated).toBeLessThanOrEqual(70);
    expect(evaluate.calls.length).toBe(r.evaluated);
  });

  it('reports an unsatisfiable set with the best value each constraint reached', async () => {
    // main is at most 0.8 − 0.1·0.5/6 (w = (0, 1), c at its upper bound 6)
    const constraints = parseConstraints(['main >= 0.9', 'a >= 0.45'], NAMES);
    const r = await searchOperatingPoint(smooth, { objectives: NAMES, maximize: ['b'], constraints, base: BASE, temperature: false });
    expect(r.feasible).toBe(false);
    expect(r.reachable[0].lhs).toBeCloseTo(0.8 - 0.05 / 6, 3);
    expect(r.reachable[0].margin).toBeCloseTo(0.8 - 0.05 / 6 - 0.9, 3);
    expect(r.reachable[1].lhs).toBeCloseTo(0.4 + 0.2 / 0.25, 6); // a alone reaches 1.2 at c = 0.25
    const err = new UnsatisfiableError(r.reachable, r.evaluated);
    expect(err.message).toContain('main >= 0.9: left side 0.7917');
    expect(err.message).toContain('a >= 0.45');
  });

  it('rejects an unknown objective to maximise', async () => {
    await expect(searchOperatingPoint(smooth, { objectives: NAMES, maximize: ['clicks'], constraints: [], base: BASE, temperature: false })).rejects.toThrow(
      "unknown objective 'clicks' to maximise; the model's objectives are main, a, b",
    );
  });
});
