import type { RankingDataset } from '../../src/data/dataset';
import { dirichletWeights, sweep, weightGrid, type ConditionedScorer } from '../../src/eval/sweep';
import { ConfigError } from '../../src/util/errors';
import type { ProgressEvent } from '../../src/util/progress';
import { Rng } from '../../src/util/rng';

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

describe('weightGrid', () => {
  it('m = 2 gives the paper’s 11 points (t, 1 − t), t ascending', () => {
    const grid = weightGrid(2);
    expect(grid).toHaveLength(11);
    grid.forEach((w, i) => {
      expect(w[0]).toBe(i / 10);
      expect(w[1]).toBeCloseTo(1 - i / 10, 15);
    });
    expect(Array.from(grid[3])).toEqual([0.3, 0.7]);
  });

  it.each([
    [3, 10],
    [4, 4],
    [5, 10],
    [6, 3],
  ])('m = %i, H = %i: C(H + m − 1, m − 1) distinct lattice points summing to 1', (m, H) => {
    const grid = weightGrid(m, { divisions: H });
    expect(grid).toHaveLength(binomial(H + m - 1, m - 1));
    // plain checks over all points, one assertion each (the grid can have a thousand points)
    const seen = new Set<string>();
    let worstSum = 0;
    let worstOffLattice = 0;
    for (const w of grid) {
      if (w.length !== m) throw new Error(`point of length ${w.length}`);
      worstSum = Math.max(worstSum, Math.abs(w.reduce((a, b) => a + b, 0) - 1));
      for (const v of w) worstOffLattice = Math.max(worstOffLattice, Math.abs(v * H - Math.round(v * H)));
      seen.add(Array.from(w, (v) => Math.round(v * H)).join(','));
    }
    expect(worstSum).toBeLessThan(1e-12);
    expect(worstOffLattice).toBeLessThan(1e-9);
    expect(seen.size).toBe(grid.length);
  });

  it('m = 1 is the single point [1]; bad arguments raise a ConfigError naming them', () => {
    expect(weightGrid(1).map((w) => Array.from(w))).toEqual([[1]]);
    expect(() => weightGrid(0, { divisions: 2.5 })).toThrow(ConfigError);
    expect(() => weightGrid(0, { divisions: 2.5 })).toThrow(/sweep\.m[\s\S]*sweep\.divisions/);
  });
});

describe('dirichletWeights', () => {
  it('draws seeded points of the simplex', () => {
    const a = dirichletWeights(4, 50, 1, new Rng(5));
    const b = dirichletWeights(4, 50, [1, 1, 1, 1], new Rng(5));
    expect(a.map((w) => Array.from(w))).toEqual(b.map((w) => Array.from(w)));
    for (const w of a) {
      expect(w.reduce((x, y) => x + y, 0)).toBeCloseTo(1, 12);
      expect(w.every((v) => v >= 0)).toBe(true);
    }
    expect(() => dirichletWeights(3, 2, [1, 1], new Rng(1))).toThrow(/sweep\.alpha/);
  });

  it('follows α: mean weight α_j / Σα', () => {
    const w = dirichletWeights(3, 4000, [1, 2, 5], new Rng(9));
    const mean = [0, 1, 2].map((j) => w.reduce((s, p) => s + p[j], 0) / w.length);
    expect(mean[0]).toBeCloseTo(1 / 8, 1);
    expect(mean[2]).toBeCloseTo(5 / 8, 1);
  });
});

/** Three queries; main relevance and two conflicting auxiliary labels (aux2: nothing relevant in q3). */
function dataset(): RankingDataset {
  const main = new Float32Array([2, 1, 0, 0, 1, 0, 2, 1, 0, 0]);
  const aux1 = new Float32Array([0, 1, 2, 3, 2, 1, 0, 0, 0, 1]);
  const aux2 = new Float32Array([3, 0, 1, 0, 0, 2, 1, 0, 0, 0]);
  return {
    features: new Float32Array(10), // unused by the hand scorer
    nFeatures: 1,
    featureNames: ['f1'],
    queryOffsets: new Int32Array([0, 4, 7, 10]),
    queryIds: ['q1', 'q2', 'q3'],
    labelNames: ['rel', 'aux1', 'aux2'],
    labels: [main, aux1, aux2],
  };
}

describe('sweep', () => {
  const ds = dataset();
  /** A conditioned scorer that knows the answer: scores = Σ_j w_j · aux_j (asynchronous, like an engine). */
  const scorer: ConditionedScorer = async (_f, offsets, w) => {
    const n = offsets[offsets.length - 1];
    const s = new Float32Array(n);
    for (let d = 0; d < n; d++) s[d] = w[0] * ds.labels[1][d] + w[1] * ds.labels[2][d];
    return s;
  };

  it('gives NDCG = 1 for the matching objective at its vertex, and one row per point in order', async () => {
    const events: ProgressEvent[] = [];
    const points = weightGrid(2);
    const table = await sweep(scorer, ds, points, { k: 10, onProgress: (e) => events.push(e) });
    expect(table.objectives).toEqual(['rel', 'aux1', 'aux2']);
    expect(table.k).toBe(10);
    expect(table.policy).toBe('gain=linear idcgZero=skip ties=stable');
    expect(table.rows.map((r) => r.weights)).toEqual(points.map((p) => Array.from(p)));
    // w = (0, 1) ranks by aux2, w = (1, 0) by aux1
    expect(table.rows[0].ndcg[2]).toBe(1);
    expect(table.rows[10].ndcg[1]).toBe(1);
    expect(table.rows[0].ndcg[1]).toBeLessThan(1);
    expect(table.rows[10].ndcg[2]).toBeLessThan(1);
    expect(table.counts).toEqual([
      { queries: 3, skipped: 0 },
      { queries: 3, skipped: 0 },
      { queries: 2, skipped: 1 },
    ]);
    expect(events.map((e) => e.done)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(events.every((e) => e.stage === 'sweep' && e.total === 11)).toBe(true);
  });

  it('passes the weights as float32 and β through to the scorer', async () => {
    const seen: { w: number[]; beta?: number[] }[] = [];
    const spy: ConditionedScorer = (f, o, w, beta) => {
      seen.push({ w: Array.from(w), beta: beta && Array.from(beta) });
      return new Float32Array(o[o.length - 1]);
    };
    await sweep(spy, ds, [[0.25, 0.75]], { beta: new Float32Array([1, 2]) });
    expect(seen).toEqual([{ w: [0.25, 0.75], beta: [1, 2] }]);
  });

  it('rejects points of the wrong dimension, a wrong β and a scorer returning the wrong length', async () => {
    await expect(sweep(scorer, ds, [[1, 0], [1, 0, 0]])).rejects.toThrow(/sweep\.points\[1\]/);
    await expect(sweep(scorer, ds, [[1, 0]], { beta: new Float32Array(3) })).rejects.toThrow(/sweep\.beta/);
    await expect(sweep(() => new Float32Array(3), ds, [[1, 0]])).rejects.toThrow(/returned 3 scores/);
    await expect(sweep(scorer, ds, [[1, 0]], { k: -1 })).rejects.toThrow(ConfigError);
  });
});
