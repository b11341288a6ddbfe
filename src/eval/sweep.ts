/**
 * Sweeps: evaluate a weight-conditioned ranker at a set of weight vectors w ∈ Δ^m (DESIGN.md §2).
 *
 * The weights refer to the auxiliary objectives, i.e. label columns 1..m of the dataset; column 0 is
 * the main objective. Each point yields NDCG@k for every column, main first.
 */
import { type RankingDataset } from '../data/dataset';
import { ConfigError } from '../util/errors';
import { noProgress, type ProgressCallback } from '../util/progress';
import type { Rng } from '../util/rng';
import { describePolicy, evaluateObjectives, resolveMetricOptions, type MetricOptions } from './metrics';

/**
 * The points of the simplex lattice with H = `divisions` steps: every w with w_j ∈ {0, 1/H, …, 1} and
 * Σ w_j = 1; there are C(H + m − 1, m − 1) of them. Ordered lexicographically with the first weight
 * ascending, so m = 2 (H = 10) gives the paper's 11 points (t, 1 − t), t = 0, 0.1, …, 1.
 * Each coordinate is i / H exactly; the last is (H − Σ i) / H, so a point sums to 1 up to rounding.
 */
export function weightGrid(m: number, options: { divisions?: number } = {}): Float64Array[] {
  const H = options.divisions ?? 10;
  const issues = [];
  if (!(Number.isInteger(m) && m >= 1)) issues.push({ path: 'sweep.m', value: m, expected: 'an integer ≥ 1' });
  if (!(Number.isInteger(H) && H >= 1)) issues.push({ path: 'sweep.divisions', value: H, expected: 'an integer ≥ 1' });
  if (issues.length > 0) throw new ConfigError(issues, 'weight grid');
  const points: Float64Array[] = [];
  const counts = new Int32Array(m);
  const place = (j: number, left: number): void => {
    if (j === m - 1) {
      counts[j] = left;
      points.push(Float64Array.from(counts, (c) => c / H));
      return;
    }
    for (let c = 0; c <= left; c++) {
      counts[j] = c;
      place(j + 1, left - c);
    }
  };
  place(0, H);
  return points;
}

/** `count` weight vectors drawn from Dirichlet(α) (α a number: the same for every coordinate). */
export function dirichletWeights(m: number, count: number, alpha: number | ArrayLike<number>, rng: Rng): Float64Array[] {
  const a = typeof alpha === 'number' ? new Float64Array(m).fill(alpha) : Float64Array.from(alpha);
  const issues = [];
  if (!(Number.isInteger(m) && m >= 1)) issues.push({ path: 'sweep.m', value: m, expected: 'an integer ≥ 1' });
  if (!(Number.isInteger(count) && count >= 0)) issues.push({ path: 'sweep.count', value: count, expected: 'an integer ≥ 0' });
  if (a.length !== m || !a.every((v) => Number.isFinite(v) && v > 0)) {
    issues.push({ path: 'sweep.alpha', value: Array.from(a), expected: `${m} finite values > 0 (or one number)` });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'dirichlet weights');
  return Array.from({ length: count }, () => rng.dirichlet(a));
}

/**
 * A ranker conditioned on the trade-off: scores for every document (`[nDocs]`) of a feature matrix
 * `[nDocs × nFeatures]`, given the auxiliary weights w (length m) and, for T-COS models, β (length m).
 */
export type ConditionedScorer = (
  features: Float32Array,
  queryOffsets: Int32Array,
  weights: Float32Array,
  beta?: Float32Array,
) => Promise<Float32Array> | Float32Array;

export interface SweepOptions extends MetricOptions {
  /** Per-objective temperatures passed to the scorer at every point (T-COS). */
  beta?: Float32Array;
  /** Reports `{stage: 'sweep', done, total}` after each point. */
  onProgress?: ProgressCallback;
}

export interface SweepRow {
  /** The auxiliary weights of the point (length m). */
  weights: number[];
  /** Mean NDCG@k per objective, main first (same order as `SweepTable.objectives`). */
  ndcg: number[];
}

export interface SweepTable {
  /** Label column names: main first, then the auxiliaries. */
  objectives: string[];
  k: number;
  /** The metric conventions, e.g. `gain=linear idcgZero=skip ties=stable`. */
  policy: string;
  /** Per objective: queries averaged over and queries skipped (IDCG = 0); the same at every point. */
  counts: { queries: number; skipped: number }[];
  rows: SweepRow[];
}

/**
 * Scores the dataset at every weight point and records NDCG@k per objective. Points are evaluated one
 * after another (a scorer may itself be parallel); the table keeps the order of `points`.
 */
export async function sweep(
  scorer: ConditionedScorer,
  dataset: RankingDataset,
  points: ArrayLike<number>[],
  options: SweepOptions = {},
): Promise<SweepTable> {
  const { beta, onProgress = noProgress, ...metricOptions } = options;
  const resolved = resolveMetricOptions(metricOptions);
  const m = dataset.labels.length - 1;
  if (m < 1) {
    throw new ConfigError(
      [{ path: 'dataset.labelNames', value: dataset.labelNames, expected: 'a main objective and at least one auxiliary' }],
      'sweep',
    );
  }
  const bad = points.flatMap((p, i) =>
    p.length === m ? [] : [{ path: `sweep.points[${i}]`, value: Array.from(p), expected: `${m} weights (one per auxiliary objective)` }],
  );
  if (beta && beta.length !== m) bad.push({ path: 'sweep.beta', value: Array.from(beta), expected: `${m} temperatures` });
  if (bad.length > 0) throw new ConfigError(bad, 'sweep');

  const nDocs = dataset.queryOffsets[dataset.queryOffsets.length - 1];
  const table: SweepTable = {
    objectives: [...dataset.labelNames],
    k: resolved.k,
    policy: describePolicy(resolved),
    counts: [],
    rows: [],
  };
  for (let i = 0; i < points.length; i++) {
    const weights = Float32Array.from(points[i]);
    const scores = await scorer(dataset.features, dataset.queryOffsets, weights, beta);
    if (scores.length !== nDocs) {
      throw new RangeError(`the scorer returned ${scores.length} scores at point ${i}, expected ${nDocs} (one per document)`);
    }
    const evaluated = evaluateObjectives(scores, dataset, {
      k: resolved.k,
      gain: resolved.gain,
      idcgZero: resolved.idcgZero,
      ties: resolved.ties,
      metrics: ['ndcg'],
    });
    if (i === 0) table.counts = evaluated.map((e) => ({ queries: e.queries, skipped: e.skippedQueries }));
    table.rows.push({ weights: Array.from(points[i]), ndcg: evaluated.map((e) => e.mean) });
    onProgress({ stage: 'sweep', done: i + 1, total: points.length });
  }
  return table;
}
