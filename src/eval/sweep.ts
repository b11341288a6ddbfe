/**
 * Sweeps: evaluate a weight-conditioned ranker at a set of weight vectors w ∈ Δ^m (DESIGN.md §2).
 *
 * The weights refer to the auxiliary objectives, i.e. label columns 1..m of the dataset; column 0 is
 * the main objective. Each point yields NDCG@k for every column, main first.
 */
import { type RankingDataset } from '../data/dataset';
import { ConfigError } from '../util/errors';
import { noProgress, type ProgressCallback } from '../util/progress';
import { MAX_SEED, Rng } from '../util/rng';
import { bool, hasOwn, int, isRecord, num, seedCheck, type Check } from '../util/validate';
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

/** Seeded Dirichlet weight points (see `weightPoints`). */
export interface DirichletPoints {
  /** Number of points, corners included. */
  count: number;
  /** Seed of the draws (fixed, not the run's seed, so every seed of a run is scored on the same points). */
  seed: number;
  /** Dirichlet concentration, the same for every coordinate. */
  alpha: number;
  /** Whether the first m points are the corners e_1..e_m (then count − m draws follow). */
  corners: boolean;
}

/**
 * Which weight points a sweep evaluates: `'lattice'`, the simplex lattice of the sweep's divisions
 * (`weightGrid`), or `{dirichlet: {count, seed?, alpha?, corners?}}`, seeded Dirichlet samples
 * (DESIGN.md §2: for m > 2 "a simplex lattice or Dirichlet samples (seeded)").
 */
export type WeightPoints = 'lattice' | { dirichlet: Partial<DirichletPoints> & { count: number } };

/** Defaults of the optional fields of `{dirichlet: …}`. */
export const DIRICHLET_POINTS_DEFAULTS: Omit<DirichletPoints, 'count'> = { seed: 1, alpha: 1, corners: true };

/**
 * Most points a sweep evaluates: a Dirichlet `count`, and the simplex lattice of the divisions once m is
 * known (pipeline/plan.ts `latticeDivisions`), so a typo is an error naming the field, not hours of scoring.
 */
export const MAX_SWEEP_POINTS = 100_000;

const WEIGHT_POINTS_ALLOWED =
  `'lattice' or {"dirichlet": {"count": integer 1 … ${MAX_SWEEP_POINTS}, "seed"?: integer 0 … ${MAX_SEED}, "alpha"?: number > 0, "corners"?: true|false}}`;

/** Each Dirichlet field's check; an absent optional field takes its default. */
const DIRICHLET_CHECKS: Record<string, Check> = { count: int(1, MAX_SWEEP_POINTS), seed: seedCheck, alpha: num(0, { open: true }), corners: bool };

/** Config check of a `WeightPoints` value (shared by `sweep.points`, `cos.sweepPoints` and `score --points`). */
export const weightPointsCheck: Check = (v) => {
  if (v === 'lattice') return null;
  if (!isRecord(v) || Object.keys(v).length !== 1 || !hasOwn(v, 'dirichlet') || !isRecord(v.dirichlet)) return WEIGHT_POINTS_ALLOWED;
  const d = v.dirichlet;
  const ok = hasOwn(d, 'count') && Object.keys(d).every((k) => hasOwn(DIRICHLET_CHECKS, k) && DIRICHLET_CHECKS[k](d[k]) === null);
  return ok ? null : WEIGHT_POINTS_ALLOWED;
};

/** The Dirichlet settings of a `WeightPoints` value with its defaults filled, or null for the lattice. */
export function dirichletPointsOf(spec: WeightPoints): DirichletPoints | null {
  return spec === 'lattice' ? null : { ...DIRICHLET_POINTS_DEFAULTS, ...spec.dirichlet };
}

/** Whether two lists of weight points are the same points in the same order (exact equality). */
export function sameWeightPoints(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[]): boolean {
  return a.length === b.length && a.every((p, i) => p.length === b[i].length && Array.prototype.every.call(p, (w: number, j: number) => w === b[i][j]));
}

/**
 * The weight points of a sweep for m auxiliary objectives. `'lattice'`: `weightGrid(m, {divisions})`.
 * Dirichlet: with `corners` (the default) the m corners e_1..e_m first — the single-objective trade-offs,
 * which span the front and which Soup and MO-DPO serve by their single-objective models — then
 * count − m draws from Dirichlet(alpha) in draw order; without `corners`, count draws (interior points).
 * Deterministic: the same spec and m give the same points, whatever the run's seed. `path` names the
 * config field in errors.
 */
export function weightPoints(m: number, spec: WeightPoints, divisions: number, path = 'sweep.points'): Float64Array[] {
  const d = dirichletPointsOf(spec);
  if (d === null) return weightGrid(m, { divisions });
  if (d.corners && d.count < m) {
    throw new ConfigError([{ path: `${path}.dirichlet.count`, value: d.count, expected: `at least m = ${m} (the corners come first; or corners: false)` }], 'weight points');
  }
  const corners = d.corners ? Array.from({ length: m }, (_, j) => Float64Array.from({ length: m }, (_, i) => (i === j ? 1 : 0))) : [];
  return [...corners, ...dirichletWeights(m, d.count - corners.length, d.alpha, new Rng(d.seed))];
}

/** One line naming the points, e.g. `11 weight points (5 corners + 6 Dirichlet(1) draws, seed 1)`. */
export function describeWeightPoints(m: number, spec: WeightPoints, divisions: number): string {
  const d = dirichletPointsOf(spec);
  if (d === null) return `${weightGrid(m, { divisions }).length} weight points (simplex lattice H = ${divisions}, m = ${m})`;
  const draws = d.corners ? d.count - m : d.count;
  return `${d.count} weight points (${d.corners ? `${m} corners + ` : ''}${draws} Dirichlet(${d.alpha}) draws, seed ${d.seed}, m = ${m})`;
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
