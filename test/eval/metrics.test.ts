import {
  dcgAtK,
  errAtK,
  evaluateObjectives,
  meanOverQueries,
  metricFromOrder,
  mrr,
  ndcgAtK,
  precisionAtK,
  rankingOrder,
  resolveMetricOptions,
  type MetricOptions,
} from '../../src/eval/metrics';
import type { RankingDataset } from '../../src/data/dataset';
import { ConfigError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';
import fixture from '../fixtures/ndcg_mq2008_s1.json';

type Metric = (s: Float32Array | Float64Array, l: Float32Array, o: Int32Array, opt?: MetricOptions) => Float64Array;

/**
 * Shared tiny fixture, three queries:
 *   A: scores [0.9, 0.7, 0.5, 0.3], labels [1, 0, 2, 0] → ranked labels 1, 0, 2, 0
 *   B: scores [0.1, 0.8, 0.4],      labels [0, 0, 0]    → nothing relevant (IDCG = 0)
 *   C: scores [0.2, 0.6],           labels [2, 1]       → ranked labels 1, 2
 */
const scores = new Float64Array([0.9, 0.7, 0.5, 0.3, 0.1, 0.8, 0.4, 0.2, 0.6]);
const labels = new Float32Array([1, 0, 2, 0, 0, 0, 0, 2, 1]);
const offsets = new Int32Array([0, 4, 7, 9]);
const L3 = Math.log2(3);

/** Expected values at k = 3, linear gain, idcgZero 'skip' (B → NaN). ERR: g_max = 2, R(1) = 1/4, R(2) = 3/4. */
const cases: [string, Metric, number[]][] = [
  ['ndcg', ndcgAtK, [(1 + 0 / L3 + 2 / 2) / (2 + 1 / L3 + 0 / 2), NaN, (1 + 2 / L3) / (2 + 1 / L3)]],
  ['err', errAtK, [1 / 4 + 0 + ((1 - 1 / 4) * (1 - 0) * (3 / 4)) / 3, NaN, 1 / 4 + ((1 - 1 / 4) * (3 / 4)) / 2]],
  ['mrr', mrr, [1 / 1, NaN, 1 / 1]],
  ['precision', precisionAtK, [2 / 3, NaN, 2 / 3 /* trec_eval: 2 relevant of a 2-list, divided by k = 3 */]],
];

function expectClose(actual: Float64Array, expected: number[], digits = 12): void {
  expect(actual.length).toBe(expected.length);
  expected.forEach((e, i) => {
    if (Number.isNaN(e)) expect(actual[i]).toBeNaN();
    else expect(actual[i]).toBeCloseTo(e, digits);
  });
}

/** Random tie-free scores and graded labels (0..4, some queries all zero) for property tests. */
function randomQueries(rng: Rng, nQueries: number): { s: Float64Array; l: Float32Array; o: Int32Array } {
  const sizes = Array.from({ length: nQueries }, () => 1 + rng.int(30));
  const o = new Int32Array(nQueries + 1);
  sizes.forEach((n, q) => (o[q + 1] = o[q] + n));
  const s = new Float64Array(o[nQueries]);
  const l = new Float32Array(o[nQueries]);
  for (let q = 0; q < nQueries; q++) {
    const dead = rng.uniform() < 0.2;
    for (let d = o[q]; d < o[q + 1]; d++) {
      s[d] = rng.normal();
      l[d] = dead ? 0 : rng.int(5);
    }
  }
  return { s, l, o };
}

describe.each(cases)('%s: shared hand fixture', (_name, fn, expected) => {
  it('matches the hand-computed values at k = 3', () => {
    expectClose(fn(scores, labels, offsets, { k: 3 }), expected);
  });

  it('applies the IDCG = 0 policy to the query with nothing relevant', () => {
    expect(fn(scores, labels, offsets, { k: 3, idcgZero: 'one' })[1]).toBe(1);
    expect(fn(scores, labels, offsets, { k: 3, idcgZero: 'zero' })[1]).toBe(0);
    expect(meanOverQueries(fn(scores, labels, offsets, { k: 3 }))).toEqual({
      mean: (expected[0] + expected[2]) / 2,
      count: 2,
      skipped: 1,
    });
  });

  it('accepts float32 scores with the same result', () => {
    const s32 = Float32Array.from(scores);
    expectClose(fn(s32, labels, offsets, { k: 3 }), Array.from(fn(scores, labels, offsets, { k: 3 })));
  });

  it('is invariant to permuting documents within a query (tie-free scores)', () => {
    const rng = new Rng(7);
    const { s, l, o } = randomQueries(rng, 40);
    const ps = new Float64Array(s.length);
    const pl = new Float32Array(l.length);
    for (let q = 0; q < o.length - 1; q++) {
      const perm = rng.shuffle(Array.from({ length: o[q + 1] - o[q] }, (_, i) => o[q] + i));
      perm.forEach((src, i) => {
        ps[o[q] + i] = s[src];
        pl[o[q] + i] = l[src];
      });
    }
    for (const k of [1, 5, Infinity]) {
      expectClose(fn(ps, pl, o, { k }), Array.from(fn(s, l, o, { k })));
    }
  });

  it('averaging the per-query output equals the averaged call (evaluateObjectives)', () => {
    const { s, l, o } = randomQueries(new Rng(11), 50);
    const ds: RankingDataset = {
      features: new Float32Array(0),
      nFeatures: 0,
      featureNames: [],
      queryOffsets: o,
      queryIds: Array.from({ length: o.length - 1 }, (_, q) => String(q)),
      labelNames: ['rel'],
      labels: [l],
    };
    const name = _name as 'ndcg' | 'err' | 'mrr' | 'precision';
    for (const opts of [{ k: 5 }, { k: 5, ties: 'pessimistic' as const }, { k: 10, idcgZero: 'zero' as const }]) {
      const per = meanOverQueries(fn(s, l, o, opts));
      const [row] = evaluateObjectives(s, ds, { ...opts, metrics: [name] });
      expect(row.mean).toBeCloseTo(per.mean, 14);
      expect(row.queries).toBe(per.count);
      expect(row.skippedQueries).toBe(per.skipped);
    }
  });

  it('gives finite values for extreme and NaN scores', () => {
    const s = new Float64Array([Infinity, -Infinity, 1e308, NaN, -1e308]);
    const l = new Float32Array([0, 2, 1, 2, 1]);
    const v = fn(s, l, new Int32Array([0, 5]), { k: 5 });
    expect(Number.isFinite(v[0])).toBe(true);
  });
});

describe('ndcgAtK and dcgAtK details', () => {
  it('DCG is defined (0) for a query with nothing relevant and follows the hand values', () => {
    expectClose(dcgAtK(scores, labels, offsets, { k: 3 }), [1 + 0 / L3 + 2 / 2, 0, 1 + 2 / L3]);
  });

  it('exponential gain uses 2^z − 1', () => {
    expectClose(ndcgAtK(scores, labels, offsets, { k: 3, gain: 'exponential' }), [
      (1 + 0 / L3 + 3 / 2) / (3 + 1 / L3 + 0 / 2),
      NaN,
      (1 + 3 / L3) / (3 + 1 / L3),
    ]);
  });

  it('k larger than the list uses the whole list (k = 100 equals k = Infinity equals k = n)', () => {
    const big = ndcgAtK(scores, labels, offsets, { k: 100 });
    expectClose(big, Array.from(ndcgAtK(scores, labels, offsets, { k: Infinity })));
    expect(big[0]).toBeCloseTo(ndcgAtK(scores, labels, offsets, { k: 4 })[0], 15);
    expect(big[2]).toBeCloseTo(ndcgAtK(scores, labels, offsets, { k: 2 })[2], 15);
    // precision divides by k, except for k = Infinity (whole list): query C has 2 of 2 relevant
    expect(precisionAtK(scores, labels, offsets, { k: 5 })[2]).toBeCloseTo(2 / 5, 15);
    expect(precisionAtK(scores, labels, offsets, { k: Infinity })[2]).toBe(1);
  });

  it('runs the example of the ndcgAtK doc comment', () => {
    const v = ndcgAtK(new Float64Array([3, 2, 1]), new Float32Array([0, 1, 2]), new Int32Array([0, 3]));
    expect(v[0]).toBeCloseTo((0 + 1 / L3 + 2 / 2) / (2 + 1 / L3 + 0), 15);
    expect(v[0]).toBeCloseTo(0.6199, 4);
  });

  it('k = 1 looks at the top document only', () => {
    expectClose(ndcgAtK(scores, labels, offsets, { k: 1 }), [1 / 2, NaN, 1 / 2]);
    expectClose(mrr(new Float64Array([1, 2]), new Float32Array([1, 0]), new Int32Array([0, 2]), { k: 1 }), [0]);
  });

  it('ties: stable keeps document order, pessimistic puts lower labels first', () => {
    const s = new Float64Array([1, 1, 1, 0]);
    const l = new Float32Array([0, 2, 1, 1]);
    const o = new Int32Array([0, 4]);
    const idcg = 2 + 1 / L3 + 1 / 2 + 0 / Math.log2(5);
    // stable: labels in order 0, 2, 1, 1; pessimistic: 0, 1, 2, 1 (the untied last document stays last)
    expectClose(ndcgAtK(s, l, o, { k: 4 }), [(0 + 2 / L3 + 1 / 2 + 1 / Math.log2(5)) / idcg]);
    expectClose(ndcgAtK(s, l, o, { k: 4, ties: 'pessimistic' }), [(0 + 1 / L3 + 2 / 2 + 1 / Math.log2(5)) / idcg]);
    expect(Array.from(rankingOrder(s, o, 'pessimistic', l))).toEqual([0, 2, 1, 3]);
    expect(Array.from(rankingOrder(s, o, 'stable'))).toEqual([0, 1, 2, 3]);
    // MRR: stable finds the relevant document at rank 2, pessimistic too (label 1 before label 2)
    expect(mrr(s, l, o, { ties: 'pessimistic' })[0]).toBe(1 / 2);
  });

  it('an all-tied query under pessimistic ties is the worst ordering', () => {
    const s = new Float64Array([0, 0, 0]);
    const l = new Float32Array([2, 0, 1]);
    const o = new Int32Array([0, 3]);
    expectClose(ndcgAtK(s, l, o, { ties: 'pessimistic' }), [(0 + 1 / L3 + 2 / 2) / (2 + 1 / L3 + 0)]);
  });

  it('ERR uses maxGrade when given', () => {
    // query C with g_max = 4: R(1) = 1/16, R(2) = 3/16
    const v = errAtK(scores, labels, offsets, { k: 3, maxGrade: 4 });
    expect(v[2]).toBeCloseTo(1 / 16 + ((1 - 1 / 16) * (3 / 16)) / 2, 15);
  });

  it('metricFromOrder reuses one ranking for several label columns', () => {
    const o = resolveMetricOptions({ k: 3 });
    const order = rankingOrder(scores, offsets);
    expectClose(metricFromOrder('ndcg', order, labels, offsets, o), Array.from(ndcgAtK(scores, labels, offsets, { k: 3 })));
  });

  it.each(['stable', 'pessimistic'] as const)(
    'rankingOrder (%s): the top-k selection agrees with the full sort, even with many ties',
    (ties) => {
      const rng = new Rng(23);
      const o = new Int32Array([0, 40, 41, 41, 120]);
      const s = Float64Array.from({ length: 120 }, () => (rng.uniform() < 0.1 ? NaN : rng.int(6)));
      const l = Float32Array.from({ length: 120 }, () => rng.int(3));
      const full = rankingOrder(s, o, ties, l);
      for (const depth of [1, 5, 32]) {
        const top = rankingOrder(s, o, ties, l, depth);
        for (let q = 0; q < 4; q++) {
          const n = o[q + 1] - o[q];
          const d = Math.min(depth, n);
          expect(Array.from(top.subarray(o[q], o[q] + d))).toEqual(Array.from(full.subarray(o[q], o[q] + d)));
          expect(top.subarray(o[q] + d, o[q + 1]).every((v) => v === -1)).toBe(true);
        }
      }
      expect(() => metricFromOrder('ndcg', rankingOrder(s, o, ties, l, 3), l, o, resolveMetricOptions({ ties, k: 5 }))).toThrow(
        /shallower than k = 5/,
      );
    },
  );

  it('rejects mismatched lengths', () => {
    expect(() => ndcgAtK(scores.subarray(1), labels, offsets)).toThrow(/scores has 8 entries/);
    expect(() => ndcgAtK(scores, labels.subarray(1), offsets)).toThrow(/labels has 8 entries/);
  });
});

describe('resolveMetricOptions', () => {
  it('fills the defaults', () => {
    expect(resolveMetricOptions()).toEqual({ k: 10, gain: 'linear', idcgZero: 'skip', ties: 'stable', maxGrade: null });
  });

  it('reports every bad option at once with its path', () => {
    let err: unknown;
    try {
      resolveMetricOptions({ k: 0, gain: 'log' as 'linear', idcgZero: 'nan' as 'skip', ties: 'random' as 'stable', maxGrade: -1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues.map((i) => i.path)).toEqual([
      'metric.k',
      'metric.gain',
      'metric.idcgZero',
      'metric.ties',
      'metric.maxGrade',
    ]);
  });

  it('rejects unknown metric names in evaluateObjectives', () => {
    const ds: RankingDataset = {
      features: new Float32Array(0),
      nFeatures: 0,
      featureNames: [],
      queryOffsets: offsets,
      queryIds: ['a', 'b', 'c'],
      labelNames: ['rel'],
      labels: [labels],
    };
    expect(() => evaluateObjectives(scores, ds, { metrics: ['map' as 'ndcg'] })).toThrow(ConfigError);
  });
});

describe('evaluateObjectives', () => {
  it('reports one row per objective and metric, main first, with policy and counts', () => {
    const second = new Float32Array([0, 0, 0, 0, 1, 0, 0, 0, 0]); // only query B has something relevant
    const ds: RankingDataset = {
      features: new Float32Array(0),
      nFeatures: 0,
      featureNames: [],
      queryOffsets: offsets,
      queryIds: ['a', 'b', 'c'],
      labelNames: ['rel', 'aux'],
      labels: [labels, second],
    };
    const rows = evaluateObjectives(scores, ds, { k: 3, metrics: ['ndcg', 'mrr'] });
    expect(rows.map((r) => `${r.objective}/${r.metric}`)).toEqual(['rel/ndcg', 'rel/mrr', 'aux/ndcg', 'aux/mrr']);
    expect(rows[2]).toEqual({
      objective: 'aux',
      metric: 'ndcg',
      k: 3,
      mean: 0 / 1 + 0 / L3 + 1 / 2, // B ranks 0.8, 0.4, 0.1: the relevant document is third
      queries: 1,
      skippedQueries: 2,
      policy: 'gain=linear idcgZero=skip ties=stable',
    });
  });
});

/** Peer values from scikit-learn and XGBoost on MQ2008 S1 with random tie-free scores (see the script). */
describe('peer values on MQ2008 S1 (benchmarks/peers/make_eval_fixtures.py)', () => {
  const lab = Float32Array.from(fixture.labels.flat());
  const sc = Float64Array.from(fixture.scores.flat());
  const off = new Int32Array(fixture.labels.length + 1);
  fixture.labels.forEach((l, q) => (off[q + 1] = off[q] + l.length));
  const ks = ['1', '5', '10'] as const;

  it('has the documented shape (157 queries, 2,933 documents)', () => {
    expect(off.length - 1).toBe(157);
    expect(lab.length).toBe(2933);
  });

  it.each(ks)('NDCG@%s, linear gain, equals sklearn ndcg_score per query to 1e-9 (sklearn: IDCG = 0 → 0)', (k) => {
    const ours = ndcgAtK(sc, lab, off, { k: Number(k), idcgZero: 'zero' });
    const theirs = fixture.sklearn_ndcg[k];
    for (let q = 0; q < theirs.length; q++) expect(Math.abs(ours[q] - theirs[q])).toBeLessThan(1e-9);
    // under 'skip' exactly the all-zero queries become NaN
    const skipped = ndcgAtK(sc, lab, off, { k: Number(k) });
    fixture.labels.forEach((l, q) => expect(Number.isNaN(skipped[q])).toBe(l.every((z) => z === 0)));
  });

  it.each(ks)('NDCG@%s, 2^z − 1 gain, equals XGBoost ndcg@k per query to 1e-6 (XGBoost: IDCG = 0 → 1)', (k) => {
    const ours = ndcgAtK(Float32Array.from(sc), lab, off, { k: Number(k), gain: 'exponential', idcgZero: 'one' });
    const theirs = fixture.xgboost_ndcg[k];
    for (let q = 0; q < theirs.length; q++) expect(Math.abs(ours[q] - theirs[q])).toBeLessThan(1e-6);
  });

  it.each(ks)('mean NDCG@%s equals XGBoost ndcg@k (policy one) and ndcg@k- (policy zero) to 1e-6', (k) => {
    for (const policy of ['one', 'zero'] as const) {
      const m = meanOverQueries(ndcgAtK(sc, lab, off, { k: Number(k), gain: 'exponential', idcgZero: policy }));
      expect(m.count).toBe(157);
      expect(Math.abs(m.mean - fixture.xgboost_ndcg_mean[k][policy])).toBeLessThan(1e-6);
    }
  });
});
