/**
 * Ranking metrics, one value per query (STYLE.md §2): every metric returns a `Float64Array` of length
 * `nQueries`; averaging is `meanOverQueries`, a separate step that reports how many queries it used.
 *
 * Shapes: `scores` and `labels` have one entry per document; the documents of query q are
 * `queryOffsets[q] .. queryOffsets[q + 1] − 1` (DESIGN.md §3). Labels are non-negative grades.
 *
 * Conventions (all in `MetricOptions`, defaults in `METRIC_DEFAULTS`):
 * - Ranking: documents sorted by score, descending. NaN scores rank below every number.
 *   Ties (`ties`): `stable` keeps equal-score documents in their original order; `pessimistic` puts,
 *   among equal scores, the lower-labelled (hence lower-gain) documents first, then original order.
 * - Cut-off `k` (a positive integer, or `Infinity` for the whole list). When k exceeds a query's length
 *   the whole list is used (trec_eval): NDCG, DCG, ERR and MRR just stop at the list end; precision still
 *   divides by k (trec_eval's P@k), or by the list length when k = Infinity.
 * - Gain (`gain`): `linear` g(z) = z (the paper, scikit-learn) or `exponential` g(z) = 2^z − 1 (XGBoost,
 *   LightGBM). Used by DCG/NDCG; ERR always uses Chapelle's grade mapping (see `errAtK`).
 * - A query with no document of label > 0 (so IDCG = 0, nothing to find) under `idcgZero`:
 *   `skip` → NaN (left out by `meanOverQueries`), `one` → 1, `zero` → 0. Applies to NDCG, ERR, MRR and
 *   precision alike so that all of them average over the same queries; not to raw DCG, whose value
 *   (0) is defined. An empty query (no documents) is treated the same way.
 */
import type { RankingDataset } from '../data/dataset';
import { ConfigError, type ConfigIssue } from '../util/errors';

export type GainKind = 'linear' | 'exponential';
export type IdcgZeroPolicy = 'skip' | 'one' | 'zero';
export type TiePolicy = 'stable' | 'pessimistic';
export type MetricName = 'ndcg' | 'err' | 'mrr' | 'precision';

export interface MetricOptions {
  /** Cut-off: a positive integer or `Infinity` (whole list). Default 10. */
  k?: number;
  /** `linear` z (default, the paper) or `exponential` 2^z − 1. */
  gain?: GainKind;
  /** Value of a query with no label > 0: `skip` (NaN, default), `one` or `zero`. */
  idcgZero?: IdcgZeroPolicy;
  /** `stable` (default): equal scores keep document order; `pessimistic`: lower labels first among ties. */
  ties?: TiePolicy;
  /** ERR only: the top grade g_max. Default: the largest label of the label array evaluated. */
  maxGrade?: number;
}

export interface ResolvedMetricOptions {
  k: number;
  gain: GainKind;
  idcgZero: IdcgZeroPolicy;
  ties: TiePolicy;
  maxGrade: number | null;
}

export const METRIC_DEFAULTS: Readonly<ResolvedMetricOptions> = Object.freeze({
  k: 10,
  gain: 'linear',
  idcgZero: 'skip',
  ties: 'stable',
  maxGrade: null,
});

const GAINS: readonly GainKind[] = ['linear', 'exponential'];
const IDCG_ZERO: readonly IdcgZeroPolicy[] = ['skip', 'one', 'zero'];
const TIES: readonly TiePolicy[] = ['stable', 'pessimistic'];
export const METRIC_NAMES: readonly MetricName[] = ['ndcg', 'err', 'mrr', 'precision'];

/** Fills defaults and checks every option, throwing one `ConfigError` that lists every problem. */
export function resolveMetricOptions(options: MetricOptions = {}, path = 'metric'): ResolvedMetricOptions {
  const r: ResolvedMetricOptions = { ...METRIC_DEFAULTS, ...dropUndefined(options) };
  const issues: ConfigIssue[] = [];
  if (!(r.k === Infinity || (Number.isInteger(r.k) && r.k >= 1))) {
    issues.push({ path: `${path}.k`, value: r.k, expected: 'a positive integer or Infinity' });
  }
  if (!GAINS.includes(r.gain)) issues.push({ path: `${path}.gain`, value: r.gain, expected: GAINS.join(' | ') });
  if (!IDCG_ZERO.includes(r.idcgZero)) {
    issues.push({ path: `${path}.idcgZero`, value: r.idcgZero, expected: IDCG_ZERO.join(' | ') });
  }
  if (!TIES.includes(r.ties)) issues.push({ path: `${path}.ties`, value: r.ties, expected: TIES.join(' | ') });
  if (r.maxGrade !== null && !(Number.isFinite(r.maxGrade) && r.maxGrade > 0)) {
    issues.push({ path: `${path}.maxGrade`, value: r.maxGrade, expected: 'a finite number > 0' });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'metric options');
  return r;
}

function dropUndefined(o: MetricOptions): Partial<ResolvedMetricOptions> {
  const out: Partial<ResolvedMetricOptions> = {};
  if (o.k !== undefined) out.k = o.k;
  if (o.gain !== undefined) out.gain = o.gain;
  if (o.idcgZero !== undefined) out.idcgZero = o.idcgZero;
  if (o.ties !== undefined) out.ties = o.ties;
  if (o.maxGrade !== undefined) out.maxGrade = o.maxGrade;
  return out;
}

/** One line stating the conventions of a metric value, for reports: `gain=linear idcgZero=skip ties=stable`. */
export function describePolicy(options: ResolvedMetricOptions): string {
  return `gain=${options.gain} idcgZero=${options.idcgZero} ties=${options.ties}`;
}

type ScoreArray = Float32Array | Float64Array;

/**
 * The ranking of every query: `order[queryOffsets[q] + r]` is the (global) index of the document at
 * rank r (0-based) of query q, under the tie rule above. Only the first min(`depth`, n) ranks of each
 * query are computed (metrics at k need depth k); the slots after them hold −1. `labels` is needed only
 * for `pessimistic` ties. Length `nDocs`; the inputs are not modified.
 */
export function rankingOrder(
  scores: ScoreArray,
  queryOffsets: Int32Array,
  ties: TiePolicy = 'stable',
  labels?: Float32Array,
  depth = Infinity,
): Int32Array {
  const nQ = queryOffsets.length - 1;
  const nDocs = queryOffsets[nQ];
  checkLength(scores.length, nDocs, 'scores');
  if (!(depth >= 1)) throw new RangeError(`ranking depth must be ≥ 1, got ${depth}`);
  if (ties === 'pessimistic') {
    if (!labels) throw new Error('pessimistic ties need the labels');
    checkLength(labels.length, nDocs, 'labels');
  }
  // NaN compares as nothing, so rank on a copy with NaN → −∞ (ranked last, deterministically).
  const key = new Float64Array(nDocs);
  for (let d = 0; d < nDocs; d++) {
    const s = scores[d];
    key[d] = s === s ? s : -Infinity;
  }
  const lab = ties === 'pessimistic' ? (labels as Float32Array) : null;
  // `before(a, b)`: document a ranks above b. Both rules end on the document index (stable order).
  const before = lab
    ? (a: number, b: number): boolean => key[a] > key[b] || (key[a] === key[b] && (lab[a] < lab[b] || (lab[a] === lab[b] && a < b)))
    : (a: number, b: number): boolean => key[a] > key[b] || (key[a] === key[b] && a < b);
  // The same rule as a sort comparator; `key[b] − key[a]` is NaN for equal infinities and `NaN || x` is x.
  const cmp = lab
    ? (a: number, b: number): number => key[b] - key[a] || lab[a] - lab[b] || a - b
    : (a: number, b: number): number => key[b] - key[a] || a - b;
  const order = new Int32Array(nDocs).fill(-1);
  for (let q = 0; q < nQ; q++) {
    const a = queryOffsets[q];
    const n = queryOffsets[q + 1] - a;
    const top = Math.min(depth, n);
    if (top > SELECT_DEPTH) {
      // deep rankings: a full sort of the query's documents
      const slice = order.subarray(a, a + n);
      for (let i = 0; i < n; i++) slice[i] = a + i;
      slice.sort(cmp);
      if (top < n) slice.fill(-1, top);
      continue;
    }
    // shallow rankings (the usual k ≤ 32): insertion into the sorted top-`top` prefix, O(n) on average
    let filled = 0;
    for (let d = a; d < a + n; d++) {
      if (filled === top && !before(d, order[a + top - 1])) continue;
      let r = filled < top ? filled++ : top - 1;
      while (r > 0 && before(d, order[a + r - 1])) {
        order[a + r] = order[a + r - 1];
        r--;
      }
      order[a + r] = d;
    }
  }
  return order;
}

/** Up to this depth `rankingOrder` selects by insertion; deeper, it sorts. */
const SELECT_DEPTH = 32;

function checkLength(actual: number, expected: number, what: string): void {
  if (actual !== expected) {
    throw new RangeError(`${what} has ${actual} entries but queryOffsets covers ${expected} documents`);
  }
}

/** 1 / log2(r + 2) for 0-based rank r, cached and grown on demand (shared by every call). */
let discountTable = new Float64Array(0);
function discounts(n: number): Float64Array {
  if (discountTable.length < n) {
    const t = new Float64Array(Math.max(n, 2 * discountTable.length, 256));
    for (let r = 0; r < t.length; r++) t[r] = 1 / Math.log2(r + 2);
    discountTable = t;
  }
  return discountTable;
}

/** Gain g(z): linear z, exponential 2^z − 1. */
function gainOf(z: number, gain: GainKind): number {
  return gain === 'linear' ? z : Math.pow(2, z) - 1;
}

/**
 * What a per-query kernel sees: the labels, the ranking, the query's slice `[start, start + n)` of
 * `order`, and a scratch buffer of length min(k, longest query).
 */
interface QueryContext {
  labels: Float32Array;
  order: Int32Array;
  options: ResolvedMetricOptions;
  /** ERR's g_max. */
  maxGrade: number;
  scratch: Float64Array;
}

type Kernel = (ctx: QueryContext, start: number, n: number) => number;

/** DCG@k = Σ_{r<min(k,n)} g(z_{π(r)}) / log2(r + 2). */
const dcgKernel: Kernel = (ctx, start, n) => {
  const { labels, order, options } = ctx;
  const top = Math.min(options.k, n);
  const disc = discounts(top);
  let dcg = 0;
  for (let r = 0; r < top; r++) dcg += gainOf(labels[order[start + r]], options.gain) * disc[r];
  return dcg;
};

/**
 * NDCG@k = DCG@k / IDCG@k, IDCG@k the DCG@k of the labels sorted descending (k > n: whole list).
 * The ideal top min(k, n) labels are selected by insertion into `scratch`, kept descending.
 */
const ndcgKernel: Kernel = (ctx, start, n) => {
  const { labels, options, scratch } = ctx;
  const top = Math.min(options.k, n);
  let filled = 0;
  for (let d = start; d < start + n; d++) {
    const z = labels[d];
    if (filled === top && z <= scratch[top - 1]) continue;
    let r = filled < top ? filled++ : top - 1;
    while (r > 0 && z > scratch[r - 1]) {
      scratch[r] = scratch[r - 1];
      r--;
    }
    scratch[r] = z;
  }
  const disc = discounts(top);
  let idcg = 0;
  for (let r = 0; r < top; r++) idcg += gainOf(scratch[r], options.gain) * disc[r];
  return dcgKernel(ctx, start, n) / idcg;
};

/**
 * ERR@k (Chapelle et al. 2009): R(z) = (2^z − 1) / 2^{g_max}, the probability that a document satisfies
 * the user; ERR@k = Σ_{r<min(k,n)} R_{π(r)} / (r + 1) · Π_{i<r} (1 − R_{π(i)}).
 */
const errKernel: Kernel = (ctx, start, n) => {
  const { labels, order, options } = ctx;
  const top = Math.min(options.k, n);
  const denom = Math.pow(2, ctx.maxGrade);
  let notYet = 1;
  let err = 0;
  for (let r = 0; r < top; r++) {
    const R = (Math.pow(2, labels[order[start + r]]) - 1) / denom;
    err += (notYet * R) / (r + 1);
    notYet *= 1 - R;
  }
  return err;
};

/** Reciprocal rank of the first document with label > 0 within the top min(k, n); 0 if none there. */
const mrrKernel: Kernel = (ctx, start, n) => {
  const { labels, order, options } = ctx;
  const top = Math.min(options.k, n);
  for (let r = 0; r < top; r++) if (labels[order[start + r]] > 0) return 1 / (r + 1);
  return 0;
};

/** Precision@k = #{label > 0 in the top min(k, n)} / k (trec_eval: / k even when n < k; / n when k = ∞). */
const precisionKernel: Kernel = (ctx, start, n) => {
  const { labels, order, options } = ctx;
  const top = Math.min(options.k, n);
  let hits = 0;
  for (let r = 0; r < top; r++) if (labels[order[start + r]] > 0) hits++;
  return hits / (options.k === Infinity ? n : options.k);
};

const KERNELS: Record<MetricName, Kernel> = {
  ndcg: ndcgKernel,
  err: errKernel,
  mrr: mrrKernel,
  precision: precisionKernel,
};

/**
 * Runs a kernel over every query of a precomputed ranking. `policy` false: every query goes to the kernel
 * (raw DCG); true: queries with no label > 0 get the `idcgZero` value instead.
 */
function perQuery(
  kernel: Kernel,
  labels: Float32Array,
  order: Int32Array,
  queryOffsets: Int32Array,
  options: ResolvedMetricOptions,
  policy: boolean,
): Float64Array {
  const nQ = queryOffsets.length - 1;
  checkLength(labels.length, queryOffsets[nQ], 'labels');
  checkLength(order.length, queryOffsets[nQ], 'order');
  let longest = 0;
  for (let q = 0; q < nQ; q++) {
    const n = queryOffsets[q + 1] - queryOffsets[q];
    longest = Math.max(longest, n);
    if (n > 0 && order[queryOffsets[q] + Math.min(options.k, n) - 1] < 0) {
      throw new RangeError(`the ranking of query ${q} is shallower than k = ${options.k} (rankingOrder depth)`);
    }
  }
  const ctx: QueryContext = {
    labels,
    order,
    options,
    maxGrade: kernel === errKernel ? options.maxGrade ?? maxOf(labels) : 0,
    scratch: new Float64Array(Math.min(longest, options.k)),
  };
  const empty = options.idcgZero === 'skip' ? NaN : options.idcgZero === 'one' ? 1 : 0;
  const out = new Float64Array(nQ);
  for (let q = 0; q < nQ; q++) {
    const a = queryOffsets[q];
    const n = queryOffsets[q + 1] - a;
    if (policy) {
      let any = false;
      for (let d = a; d < a + n; d++) {
        if (labels[d] > 0) {
          any = true;
          break;
        }
      }
      if (!any) {
        out[q] = empty;
        continue;
      }
    }
    out[q] = kernel(ctx, a, n);
  }
  return out;
}

function maxOf(values: Float32Array): number {
  let max = 0;
  for (let d = 0; d < values.length; d++) if (values[d] > max) max = values[d];
  return max;
}

/**
 * One metric per query from a ranking computed by `rankingOrder` (depth at least k) (reuse one ranking for several label
 * columns or metrics). With `ties: 'pessimistic'` the ranking must have been made with these labels.
 */
export function metricFromOrder(
  metric: MetricName,
  order: Int32Array,
  labels: Float32Array,
  queryOffsets: Int32Array,
  options: ResolvedMetricOptions,
): Float64Array {
  return perQuery(KERNELS[metric], labels, order, queryOffsets, options, true);
}

function metricOf(
  metric: MetricName,
  scores: ScoreArray,
  labels: Float32Array,
  queryOffsets: Int32Array,
  options?: MetricOptions,
): Float64Array {
  const o = resolveMetricOptions(options);
  return metricFromOrder(metric, rankingOrder(scores, queryOffsets, o.ties, labels, o.k), labels, queryOffsets, o);
}

/** DCG@k per query (see the module comment); every query gets a value, 0 when no label > 0. */
export function dcgAtK(scores: ScoreArray, labels: Float32Array, queryOffsets: Int32Array, options?: MetricOptions): Float64Array {
  const o = resolveMetricOptions(options);
  return perQuery(dcgKernel, labels, rankingOrder(scores, queryOffsets, o.ties, labels, o.k), queryOffsets, o, false);
}

/**
 * NDCG@k per query; a query with IDCG = 0 follows `idcgZero` (NaN under `skip`).
 * Example: scores [3, 2, 1], labels [0, 1, 2], k 10, linear → (0 + 1/log2 3 + 2/2) / (2 + 1/log2 3 + 0) ≈ 0.6199.
 */
export function ndcgAtK(scores: ScoreArray, labels: Float32Array, queryOffsets: Int32Array, options?: MetricOptions): Float64Array {
  return metricOf('ndcg', scores, labels, queryOffsets, options);
}

/** Reciprocal rank per query (relevant = label > 0), cut at k (pass `k: Infinity` for plain MRR). */
export function mrr(scores: ScoreArray, labels: Float32Array, queryOffsets: Int32Array, options?: MetricOptions): Float64Array {
  return metricOf('mrr', scores, labels, queryOffsets, options);
}

/** Chapelle's ERR@k per query; g_max = `maxGrade` or the largest label of `labels`. */
export function errAtK(scores: ScoreArray, labels: Float32Array, queryOffsets: Int32Array, options?: MetricOptions): Float64Array {
  return metricOf('err', scores, labels, queryOffsets, options);
}

/** Precision@k per query (relevant = label > 0; divides by k even for shorter lists, as trec_eval). */
export function precisionAtK(
  scores: ScoreArray,
  labels: Float32Array,
  queryOffsets: Int32Array,
  options?: MetricOptions,
): Float64Array {
  return metricOf('precision', scores, labels, queryOffsets, options);
}

/** Mean of the non-NaN per-query values; `count` used, `skipped` the NaN ones (mean NaN if count is 0). */
export function meanOverQueries(values: Float64Array): { mean: number; count: number; skipped: number } {
  let sum = 0;
  let count = 0;
  for (let q = 0; q < values.length; q++) {
    const v = values[q];
    if (v === v) {
      sum += v;
      count++;
    }
  }
  return { mean: count > 0 ? sum / count : NaN, count, skipped: values.length - count };
}

export interface ObjectiveMetric {
  objective: string;
  metric: string;
  k: number;
  mean: number;
  /** Queries averaged over. */
  queries: number;
  /** Queries left out (no label > 0 under `idcgZero: 'skip'`). */
  skippedQueries: number;
  /** The conventions, e.g. `gain=linear idcgZero=skip ties=stable`. */
  policy: string;
}

/**
 * Mean metric values for every label column of a dataset (main objective first), metrics in the given
 * order (default `['ndcg']`). With stable ties the ranking is computed once and shared by all columns.
 */
export function evaluateObjectives(
  scores: ScoreArray,
  dataset: RankingDataset,
  options: MetricOptions & { metrics?: MetricName[] } = {},
): ObjectiveMetric[] {
  const { metrics = ['ndcg'], ...rest } = options;
  const o = resolveMetricOptions(rest);
  const bad = metrics.filter((m) => !METRIC_NAMES.includes(m));
  if (bad.length > 0) {
    throw new ConfigError(
      bad.map((m) => ({ path: 'metric.metrics', value: m, expected: METRIC_NAMES.join(' | ') })),
      'metric options',
    );
  }
  const policy = describePolicy(o);
  const shared = o.ties === 'stable' ? rankingOrder(scores, dataset.queryOffsets, 'stable', undefined, o.k) : null;
  const out: ObjectiveMetric[] = [];
  dataset.labels.forEach((labels, j) => {
    const order = shared ?? rankingOrder(scores, dataset.queryOffsets, o.ties, labels, o.k);
    for (const metric of metrics) {
      const m = meanOverQueries(metricFromOrder(metric, order, labels, dataset.queryOffsets, o));
      out.push({
        objective: dataset.labelNames[j],
        metric,
        k: o.k,
        mean: m.mean,
        queries: m.count,
        skippedQueries: m.skipped,
        policy,
      });
    }
  });
  return out;
}
