/**
 * Synthetic MSLR-WEB10K-shaped data: the embedded default dataset (DESIGN.md §4), any size, seeded.
 *
 * Model, per document d of query q (all Gaussians standard unless said):
 *
 *     r_d   = a·u_q + √(1 − a²)·e_d                  latent relevance (u_q: query effect, a = 0.4)
 *     z_kd  = ρ_k·r_d + √(1 − ρ_k²)·ε_kd              latent of auxiliary objective k
 *     grade = #{thresholds t < latent}                 thresholds = Φ⁻¹ of the cumulative grade shares
 *     x_fd  = T_f( (Σ_c W_fc·L_cd + σ_f·η_fd) / √(Σ_c W_fc² + σ_f²) )     η ≈ N(0,1), see `noiseKnots`
 *
 * where L = (r, z_1, z_2, …) and T_f maps the standardised signal to the feature's range (counts, ratios,
 * BM25-like positives, LMIR-like negatives, 0–255 scores, zero-inflated clicks, per-query constants).
 * The latent correlation ρ_k is calibrated so that the *Pearson correlation of the grades* (relevance
 * grade vs. objective-k grade, pooled over documents) equals the declared `correlation` (exact
 * bivariate-normal computation, see `gradeCorrelation`).
 *
 * Feature layout (1-based, as MSLR): 1–125 are 25 text statistics × 5 streams (body, anchor, title, URL,
 * whole document; index = 5·type + stream + 1); they carry relevance, and the URL stream also freshness
 * (dated news URLs), the anchor stream clicks (popular pages attract anchor text), the title stream quality.
 * 126 URL slashes and 127 URL length carry freshness (and depth against quality); 128 inlinks, 129
 * outlinks (noise), 130 PageRank, 131 SiteRank carry quality and clicks; 132/133 QualityScore(2) are raw
 * quality scores; 134 query-URL clicks, 135 URL clicks, 136 dwell time are raw click signals — so the
 * `mslr` objective preset is meaningful on generated data and inputs 1–131 still predict every objective.
 * Auxiliary objectives 1–3 use the freshness / clicks / quality channels above; a 4th and later objective k
 * loads on the three variance statistics (types 8, 13, 18) of stream (k − 4) mod 5. For nFeatures ≠ 136
 * the last 11 features keep the web/click block and the text block is cut or padded with pure noise.
 */
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { RecordBatchFileWriter } from 'apache-arrow';
import { ConfigError, type ConfigIssue } from '../util/errors';
import { Rng } from '../util/rng';
import { writeAtomic } from '../util/atomicWrite';
import { noProgress, type ProgressCallback } from '../util/progress';
import { defaultFeatureNames, type RankingDataset } from './dataset';
import { datasetToTable } from './arrow';

/** An auxiliary objective of the generator: its grade correlation with relevance and its grade shares. */
export interface SyntheticObjective {
  name: string;
  /** Target Pearson correlation between the relevance grade and this objective's grade (pooled). */
  correlation: number;
  /** Fraction of documents at grade 0, 1, …, G (sums to 1). Default `DEFAULT_SHARES`. */
  shares?: number[];
}

export interface GeneratorOptions {
  queries: number;
  seed: number;
  /** Default 136 (MSLR); at least 11. */
  nFeatures?: number;
  /** Mean documents per query (log-normal lengths, truncated to 1..maxListLength). Default 120. */
  meanListLength?: number;
  /** Default 1300 (MSLR-WEB30K's longest list is 1,251). */
  maxListLength?: number;
  /** σ of log(list length). Default 1.1 (median ≈ 66; about 1 query in 150 over 1,000 documents, 1 in 1,200 with one). */
  listLengthSigma?: number;
  /** Relevance grade shares 0..4. Default MSLR-like `[0.52, 0.32, 0.13, 0.02, 0.01]`. */
  relevanceShares?: number[];
  /** Auxiliary objectives in order. Default freshness (−0.3), clicks (+0.5), quality (+0.2). */
  objectives?: SyntheticObjective[];
  /** Multiplier of every feature's noise σ_f. Default 1. */
  noise?: number;
}

export const DEFAULT_SHARES = [0.3, 0.25, 0.2, 0.15, 0.1];

export const GENERATOR_DEFAULTS = {
  nFeatures: 136,
  meanListLength: 120,
  maxListLength: 1300,
  listLengthSigma: 1.1,
  relevanceShares: [0.52, 0.32, 0.13, 0.02, 0.01],
  objectives: [
    { name: 'freshness', correlation: -0.3, shares: DEFAULT_SHARES },
    { name: 'clicks', correlation: 0.5, shares: [0.55, 0.2, 0.12, 0.08, 0.05] },
    { name: 'quality', correlation: 0.2, shares: [0.2, 0.25, 0.3, 0.15, 0.1] },
  ] as SyntheticObjective[],
  noise: 1,
};

/** Weight of the query effect u_q in latent relevance (so some queries have few or no relevant documents). */
const QUERY_EFFECT = 0.4;

// ---------------------------------------------------------------------------------------------------
// Normal distribution helpers

let erf: ((x: number) => number) | undefined;

/** Standard normal CDF Φ(x) = (1 + erf(x/√2)) / 2. */
export function normalCdf(x: number): number {
  // mathjs loads on first use (seconds of start-up otherwise for every importer of the generator)
  erf ??= (require('mathjs') as typeof import('mathjs')).erf;
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

/** Φ⁻¹(p) by bisection on Φ (used for a handful of thresholds only, accuracy 1e-12). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 100 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * P(X > h, Y > k) for a standard bivariate normal with correlation ρ:
 * Φ(−h)Φ(−k) + (1/2π)∫₀^{asin ρ} exp(−(h² − 2hk·sinθ + k²) / (2cos²θ)) dθ  (Simpson, 128 intervals).
 */
export function bivariateUpper(h: number, k: number, rho: number): number {
  // infinite thresholds come from zero grade shares at the ends
  if (h === Infinity || k === Infinity) return 0;
  if (h === -Infinity) return normalCdf(-k);
  if (k === -Infinity) return normalCdf(-h);
  const base = normalCdf(-h) * normalCdf(-k);
  if (rho === 0) return base;
  const end = Math.asin(rho);
  const n = 128;
  const step = end / n;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    const t = i * step;
    const c = Math.cos(t);
    const f = Math.exp(-(h * h - 2 * h * k * Math.sin(t) + k * k) / (2 * c * c));
    sum += f * (i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2);
  }
  return base + (sum * step) / 3 / (2 * Math.PI);
}

/** Knots of the tabulated noise distribution (see `noiseKnots`). */
const NOISE_KNOTS = 2048;
let noiseTable: Float64Array | null = null;

/**
 * Feature noise draws one 32-bit integer u and interpolates Φ⁻¹ linearly between the knots
 * z_k = Φ⁻¹((k + 1)/(K + 1)), k = 0..K−1 (K = 2048): about 4× cheaper than Box–Muller, and close to
 * N(0, 1) except that the tails are cut at ±3.3σ (variance ≈ 0.99). Latents use the exact `Rng.normal`.
 * The table is built once per process (Φ⁻¹ by bisection).
 */
function noiseKnots(): Float64Array {
  noiseTable ??= Float64Array.from({ length: NOISE_KNOTS }, (_, k) => normalQuantile((k + 1) / (NOISE_KNOTS + 1)));
  return noiseTable;
}

/** Ascending thresholds t_1..t_G with P(latent ≤ t_g) = shares_0 + … + shares_{g−1}. */
export function gradeThresholds(shares: readonly number[]): number[] {
  const out: number[] = [];
  let cum = 0;
  for (let g = 0; g + 1 < shares.length; g++) out.push(normalQuantile((cum += shares[g])));
  return out;
}

/** Mean and standard deviation of a grade with the given shares. */
function gradeMoments(shares: readonly number[]): { mean: number; sd: number } {
  let m1 = 0;
  let m2 = 0;
  shares.forEach((p, g) => {
    m1 += g * p;
    m2 += g * g * p;
  });
  return { mean: m1, sd: Math.sqrt(m2 - m1 * m1) };
}

/**
 * Pearson correlation of X = #{t ∈ tx : t < R} and Y = #{s ∈ ty : s < Z} as a function of ρ, when
 * (R, Z) is standard bivariate normal with correlation ρ: E[XY] = Σ_i Σ_k P(R > t_i, Z > s_k);
 * moments of X and Y from the shares. Thresholds are computed once per pair of share vectors.
 */
function gradeCorrelationCurve(sharesX: readonly number[], sharesY: readonly number[]): (rho: number) => number {
  const tx = gradeThresholds(sharesX);
  const ty = gradeThresholds(sharesY);
  const mx = gradeMoments(sharesX);
  const my = gradeMoments(sharesY);
  return (rho) => {
    let exy = 0;
    for (const t of tx) for (const s of ty) exy += bivariateUpper(t, s, rho);
    return (exy - mx.mean * my.mean) / (mx.sd * my.sd);
  };
}

/** Pearson correlation of two grades thresholded from a standard bivariate normal with correlation ρ. */
export function gradeCorrelation(rho: number, sharesX: readonly number[], sharesY: readonly number[]): number {
  return gradeCorrelationCurve(sharesX, sharesY)(rho);
}

/** Latent ρ within ±LATENT_LIMIT; beyond it the calibration is refused rather than extrapolated. */
const LATENT_LIMIT = 0.995;

/**
 * The latent ρ whose grade correlation is `target` (bisection: the curve increases with ρ), or the
 * reachable range when `target` is outside it.
 */
function calibrate(target: number, sharesX: readonly number[], sharesY: readonly number[]): { rho: number } | { range: [number, number] } {
  const curve = gradeCorrelationCurve(sharesX, sharesY);
  const range: [number, number] = [curve(-LATENT_LIMIT), curve(LATENT_LIMIT)];
  if (target < range[0] || target > range[1]) return { range };
  let lo = -LATENT_LIMIT;
  let hi = LATENT_LIMIT;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (curve(mid) < target) lo = mid;
    else hi = mid;
  }
  return { rho: (lo + hi) / 2 };
}

// ---------------------------------------------------------------------------------------------------
// Feature layout

/** How a feature maps its standardised signal s (with a, b, c below) to its value. */
enum Kind {
  /** floor(c·exp(a + b·s)) — heavy-tailed counts (tf, stream length, inlinks). */
  Count,
  /** σ(a + b·s) — ratios in (0, 1). */
  Ratio,
  /** round(m·σ(a + b·s)) — covered query terms, m = query length. */
  Terms,
  /** round(m·σ(a + b·s)) / m — covered query-term ratio. */
  TermRatio,
  /** c·softplus(a + b·s) — BM25, tf·idf. */
  Positive,
  /** −c·softplus(−(a + b·s)) — LMIR log-likelihoods (negative; more signal, closer to 0). */
  Negative,
  /** 1 if a + b·s > 0 else 0 — boolean model. */
  Binary,
  /** c·exp(a + b·N(0,1)) drawn once per query — IDF (no document signal). */
  QueryConst,
  /** clamp(round(a + b·s), 0, 255) — quality scores. */
  Byte,
  /** floor(expm1(a + b·s)) if positive else 0 — click counts (zero-inflated). */
  Clicks,
  /** c·expm1(a + b·s) if positive else 0 — dwell time (zero when never clicked). */
  Dwell,
  /** max(1, round(a + b·s)) — URL slash count. */
  SmallInt,
}

interface FeatureRole {
  kind: Kind;
  a: number;
  b: number;
  c: number;
  /** Latent channel → weight (0 = relevance, k = auxiliary objective k). */
  loadings: [number, number][];
  noise: number;
  description: string;
}

const STREAMS = ['body', 'anchor', 'title', 'url', 'whole document'];
/** Stream multiplier of the relevance loading. */
const STREAM_RELEVANCE = [1, 0.7, 0.8, 0.4, 1];
/** Secondary channel and weight per stream: URL → freshness, anchor → clicks, title → quality. */
const STREAM_CHANNEL: ([number, number] | null)[] = [null, [2, 0.6], [3, 0.4], [1, 0.7], null];
/** Stream lengths scale (body is long, URL short). */
const STREAM_LENGTH = [300, 10, 8, 6, 320];

/** The 25 MSLR text statistics: name, kind, a, b, c, relevance weight. */
const TEXT_TYPES: [string, Kind, number, number, number, number][] = [
  ['covered query term number', Kind.Terms, -0.3, 1.5, 1, 0.7],
  ['covered query term ratio', Kind.TermRatio, -0.3, 1.5, 1, 0.7],
  ['stream length', Kind.Count, 0, 0.8, 1, 0],
  ['IDF', Kind.QueryConst, 1.5, 0.6, 1, 0],
  ['sum of term frequency', Kind.Count, 0, 1, 2, 0.5],
  ['min of term frequency', Kind.Count, 0, 0.8, 0.8, 0.3],
  ['max of term frequency', Kind.Count, 0, 1, 2, 0.5],
  ['mean of term frequency', Kind.Positive, 0, 1.2, 1.5, 0.4],
  ['variance of term frequency', Kind.Positive, -1, 1.2, 2, 0.1],
  ['sum of stream length normalized term frequency', Kind.Ratio, -2.5, 1.2, 1, 0.5],
  ['min of stream length normalized term frequency', Kind.Ratio, -3.5, 1.2, 1, 0.3],
  ['max of stream length normalized term frequency', Kind.Ratio, -2.5, 1.2, 1, 0.5],
  ['mean of stream length normalized term frequency', Kind.Ratio, -3, 1.2, 1, 0.4],
  ['variance of stream length normalized term frequency', Kind.Ratio, -5, 1.2, 1, 0.1],
  ['sum of tf*idf', Kind.Positive, 0, 1.2, 10, 0.6],
  ['min of tf*idf', Kind.Positive, -1, 1.2, 3, 0.3],
  ['max of tf*idf', Kind.Positive, 0, 1.2, 8, 0.6],
  ['mean of tf*idf', Kind.Positive, 0, 1.2, 5, 0.5],
  ['variance of tf*idf', Kind.Positive, -1, 1.2, 20, 0.1],
  ['boolean model', Kind.Binary, -0.2, 1, 1, 0.6],
  ['vector space model', Kind.Ratio, -1, 1.5, 1, 0.7],
  ['BM25', Kind.Positive, 0, 1.3, 8, 0.9],
  ['LMIR.ABS', Kind.Negative, 0.5, 1, 200, 0.8],
  ['LMIR.DIR', Kind.Negative, 0.5, 1, 250, 0.8],
  ['LMIR.JM', Kind.Negative, 0.5, 1, 300, 0.8],
];
/** Types that are otherwise (nearly) noise and carry the 4th and later auxiliary objectives. */
const EXTRA_CHANNEL_TYPES = [8, 13, 18];

/** The web/click block, the last 11 features (126–136 for 136 features). Channels: 1 fresh, 2 clicks, 3 quality. */
const WEB_BLOCK: FeatureRole[] = [
  { description: 'number of slashes in URL', kind: Kind.SmallInt, a: 3, b: 1.5, c: 1, loadings: [[1, 0.5], [3, -0.3]], noise: 0.8 },
  { description: 'length of URL', kind: Kind.Count, a: 3.7, b: 0.35, c: 1, loadings: [[1, 0.4], [3, -0.2]], noise: 0.9 },
  { description: 'inlink number', kind: Kind.Count, a: 1.5, b: 1.6, c: 1, loadings: [[3, 0.5], [2, 0.3]], noise: 0.8 },
  { description: 'outlink number', kind: Kind.Count, a: 2.5, b: 0.8, c: 1, loadings: [], noise: 1 },
  { description: 'PageRank', kind: Kind.Count, a: 0, b: 1.2, c: 1000, loadings: [[3, 0.6], [2, 0.2]], noise: 0.7 },
  { description: 'SiteRank', kind: Kind.Count, a: 0, b: 1, c: 500, loadings: [[3, 0.5]], noise: 0.8 },
  { description: 'QualityScore', kind: Kind.Byte, a: 110, b: 45, c: 1, loadings: [[3, 0.85]], noise: 0.5 },
  { description: 'QualityScore2', kind: Kind.Byte, a: 90, b: 40, c: 1, loadings: [[3, 0.7]], noise: 0.7 },
  { description: 'query-url click count', kind: Kind.Clicks, a: 0.3, b: 1.4, c: 1, loadings: [[2, 0.9], [0, 0.2]], noise: 0.45 },
  { description: 'url click count', kind: Kind.Clicks, a: 1.2, b: 1.8, c: 1, loadings: [[2, 0.7], [3, 0.3]], noise: 0.6 },
  { description: 'url dwell time', kind: Kind.Dwell, a: 0.2, b: 1.2, c: 60, loadings: [[2, 0.6], [0, 0.3]], noise: 0.7 },
];

function textRole(i: number, nAux: number): FeatureRole {
  if (i >= 125) return { description: 'noise', kind: Kind.Ratio, a: 0, b: 1, c: 1, loadings: [], noise: 1 };
  const type = Math.floor(i / 5);
  const stream = i % 5;
  const [name, kind, a, b, c0, rel] = TEXT_TYPES[type];
  const loadings: [number, number][] = rel > 0 ? [[0, rel * STREAM_RELEVANCE[stream]]] : [];
  const secondary = STREAM_CHANNEL[stream];
  if (secondary && rel >= 0.3 && secondary[0] <= nAux) loadings.push(secondary);
  for (let k = 4; k <= nAux; k++) {
    if (EXTRA_CHANNEL_TYPES.includes(type) && stream === (k - 4) % 5) loadings.push([k, 0.8]);
  }
  const c = type === 2 ? STREAM_LENGTH[stream] : c0;
  return { description: `${name} (${STREAMS[stream]})`, kind, a, b, c, loadings, noise: 1 };
}

/** Feature roles for a layout; loadings on channels the options do not declare are dropped. */
function featureRoles(nFeatures: number, nAux: number): FeatureRole[] {
  const nText = nFeatures - WEB_BLOCK.length;
  const roles = Array.from({ length: nText }, (_, i) => textRole(i, nAux));
  for (const r of WEB_BLOCK) roles.push({ ...r, loadings: r.loadings.filter(([ch]) => ch <= nAux) });
  return roles;
}

// ---------------------------------------------------------------------------------------------------
// Options and plan

interface ResolvedGeneratorOptions extends Required<GeneratorOptions> {
  objectives: Required<SyntheticObjective>[];
}

function checkShares(shares: unknown, path: string, issues: ConfigIssue[]): void {
  const ok =
    Array.isArray(shares) &&
    shares.length >= 2 &&
    shares.every((p) => typeof p === 'number' && Number.isFinite(p) && p >= 0) &&
    Math.abs((shares as number[]).reduce((s, p) => s + p, 0) - 1) < 1e-6;
  if (!ok) issues.push({ path, value: shares, expected: 'at least two non-negative grade shares summing to 1' });
}

/** Fills defaults and checks every option at once (ConfigError). */
export function resolveGeneratorOptions(options: GeneratorOptions): ResolvedGeneratorOptions {
  const o = {
    ...GENERATOR_DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  } as Required<GeneratorOptions>;
  const issues: ConfigIssue[] = [];
  const int = (v: number, path: string, min: number) => {
    if (!(Number.isInteger(v) && v >= min)) issues.push({ path, value: v, expected: `an integer ≥ ${min}` });
  };
  int(o.queries, 'generator.queries', 1);
  if (!Number.isFinite(o.seed)) issues.push({ path: 'generator.seed', value: o.seed, expected: 'a finite number' });
  int(o.nFeatures, 'generator.nFeatures', WEB_BLOCK.length);
  int(o.maxListLength, 'generator.maxListLength', 1);
  if (!(o.meanListLength >= 1 && o.meanListLength <= o.maxListLength)) {
    issues.push({ path: 'generator.meanListLength', value: o.meanListLength, expected: `a number in 1..maxListLength (${o.maxListLength})` });
  }
  if (!(o.listLengthSigma >= 0 && o.listLengthSigma <= 3)) issues.push({ path: 'generator.listLengthSigma', value: o.listLengthSigma, expected: 'a number in 0..3' });
  if (!(o.noise > 0 && Number.isFinite(o.noise))) issues.push({ path: 'generator.noise', value: o.noise, expected: 'a finite number > 0' });
  checkShares(o.relevanceShares, 'generator.relevanceShares', issues);
  const objectives = (Array.isArray(o.objectives) ? o.objectives : []).map((obj, i) => {
    const shares = obj.shares ?? DEFAULT_SHARES;
    if (typeof obj.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(obj.name) || obj.name === 'relevance') {
      issues.push({ path: `generator.objectives[${i}].name`, value: obj.name, expected: "an identifier other than 'relevance'" });
    }
    if (!(typeof obj.correlation === 'number' && obj.correlation > -1 && obj.correlation < 1)) {
      issues.push({ path: `generator.objectives[${i}].correlation`, value: obj.correlation, expected: 'a number in (−1, 1)' });
    }
    checkShares(shares, `generator.objectives[${i}].shares`, issues);
    return { name: obj.name, correlation: obj.correlation, shares };
  });
  if (!Array.isArray(o.objectives)) issues.push({ path: 'generator.objectives', value: o.objectives, expected: 'an array of {name, correlation, shares?}' });
  if (new Set(objectives.map((x) => x.name)).size !== objectives.length) {
    issues.push({ path: 'generator.objectives', value: objectives.map((x) => x.name), expected: 'distinct names' });
  }
  if (issues.length) throw new ConfigError(issues, 'generator');
  return { ...o, objectives };
}

/** Everything fixed before documents are drawn: lengths, thresholds, calibrated correlations, layout. */
interface SyntheticPlan {
  options: ResolvedGeneratorOptions;
  lengths: Int32Array;
  totalDocs: number;
  labelNames: string[];
  /** Thresholds per label (relevance first). */
  thresholds: number[][];
  /** Latent ρ per auxiliary objective. */
  latentCorrelations: number[];
  roles: FeatureRole[];
  metadata: Record<string, unknown>;
  /** Seed of the document stream (drawn from the seed, after the lengths). */
  docSeed: number;
}

/**
 * List lengths: n = clamp(round(exp(μ + σ·N(0,1))), 1, maxListLength) with μ = ln(mean) − σ²/2, so the
 * untruncated mean is `meanListLength`. Drawn from the first stream forked off `new Rng(seed)`.
 */
export function syntheticListLengths(options: GeneratorOptions): Int32Array {
  return planSynthetic(options).lengths;
}

function planSynthetic(options: GeneratorOptions): SyntheticPlan {
  const o = resolveGeneratorOptions(options);
  const root = new Rng(o.seed);
  const lengthRng = root.fork();
  const docSeed = root.nextUint32();
  const sigma = o.listLengthSigma;
  const mu = Math.log(o.meanListLength) - (sigma * sigma) / 2;
  const lengths = new Int32Array(o.queries);
  let totalDocs = 0;
  for (let q = 0; q < o.queries; q++) {
    const n = Math.round(Math.exp(mu + sigma * lengthRng.normal()));
    totalDocs += lengths[q] = Math.min(o.maxListLength, Math.max(1, n));
  }
  const issues: ConfigIssue[] = [];
  const latentCorrelations = o.objectives.map((obj, i) => {
    const fit = calibrate(obj.correlation, o.relevanceShares, obj.shares);
    if ('rho' in fit) return fit.rho;
    const range = fit.range.map((r) => r.toFixed(3)).join('..');
    issues.push({ path: `generator.objectives[${i}].correlation`, value: obj.correlation, expected: `a grade correlation reachable with these shares: ${range}` });
    return 0;
  });
  if (issues.length) throw new ConfigError(issues, 'generator');
  const roles = featureRoles(o.nFeatures, o.objectives.length);
  const labelNames = ['relevance', ...o.objectives.map((x) => x.name)];
  return {
    options: o,
    lengths,
    totalDocs,
    labelNames,
    thresholds: [gradeThresholds(o.relevanceShares), ...o.objectives.map((x) => gradeThresholds(x.shares))],
    latentCorrelations,
    roles,
    docSeed,
    metadata: {
      source: 'synthetic',
      generator: { ...o, latentCorrelations },
      featureDescriptions: roles.map((r) => r.description),
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Drawing documents

/** Typed-array form of the roles, for the hot loop. */
interface CompiledRoles {
  kind: Uint8Array;
  a: Float64Array;
  b: Float64Array;
  c: Float64Array;
  noise: Float64Array;
  invNorm: Float64Array;
  loadStart: Int32Array;
  loadChannel: Int32Array;
  loadWeight: Float64Array;
  queryConst: number[];
}

function compileRoles(roles: FeatureRole[], noiseScale: number): CompiledRoles {
  const nF = roles.length;
  const loadStart = new Int32Array(nF + 1);
  const channels: number[] = [];
  const weights: number[] = [];
  const out = {
    kind: new Uint8Array(nF),
    a: new Float64Array(nF),
    b: new Float64Array(nF),
    c: new Float64Array(nF),
    noise: new Float64Array(nF),
    invNorm: new Float64Array(nF),
    queryConst: [] as number[],
  };
  roles.forEach((r, f) => {
    out.kind[f] = r.kind;
    out.a[f] = r.a;
    out.b[f] = r.b;
    out.c[f] = r.c;
    out.noise[f] = r.noise * noiseScale;
    let ss = out.noise[f] * out.noise[f];
    for (const [ch, w] of r.loadings) {
      channels.push(ch);
      weights.push(w);
      ss += w * w;
    }
    out.invNorm[f] = 1 / Math.sqrt(ss);
    loadStart[f + 1] = channels.length;
    if (r.kind === Kind.QueryConst) out.queryConst.push(f);
  });
  return { ...out, loadStart, loadChannel: Int32Array.from(channels), loadWeight: Float64Array.from(weights) };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => (x > 30 ? x : Math.log1p(Math.exp(x)));

/** Writes queries q0..q1−1 (whole) into `out` starting at row 0; histograms are accumulated. */
function fillQueries(
  plan: SyntheticPlan,
  cr: CompiledRoles,
  rng: Rng,
  q0: number,
  q1: number,
  out: { features: Float32Array; labels: Float32Array[] },
  histograms: number[][],
): void {
  const nF = plan.roles.length;
  const nAux = plan.latentCorrelations.length;
  const rho = plan.latentCorrelations;
  const rhoRest = rho.map((r) => Math.sqrt(1 - r * r));
  const latent = new Float64Array(nAux + 1);
  const queryValue = new Float64Array(nF);
  const restQ = Math.sqrt(1 - QUERY_EFFECT * QUERY_EFFECT);
  const knots = noiseKnots();
  const knotScale = (NOISE_KNOTS - 1) / 4294967296;
  let row = 0;
  for (let q = q0; q < q1; q++) {
    const u = rng.normal();
    const terms = 1 + rng.int(5);
    for (const f of cr.queryConst) queryValue[f] = transform(Kind.QueryConst, cr.a[f] + cr.b[f] * rng.normal(), cr.c[f], terms);
    for (let i = 0; i < plan.lengths[q]; i++, row++) {
      const r = QUERY_EFFECT * u + restQ * rng.normal();
      latent[0] = r;
      for (let k = 1; k <= nAux; k++) latent[k] = rho[k - 1] * r + rhoRest[k - 1] * rng.normal();
      for (let j = 0; j <= nAux; j++) {
        const t = plan.thresholds[j];
        let g = 0;
        while (g < t.length && t[g] < latent[j]) g++;
        out.labels[j][row] = g;
        histograms[j][g]++;
      }
      const base = row * nF;
      for (let f = 0; f < nF; f++) {
        const kind = cr.kind[f] as Kind;
        if (kind === Kind.QueryConst) {
          out.features[base + f] = queryValue[f];
          continue;
        }
        const pos = rng.nextUint32() * knotScale;
        const i0 = pos | 0;
        let s = cr.noise[f] * (knots[i0] + (pos - i0) * (knots[i0 + 1] - knots[i0]));
        for (let l = cr.loadStart[f]; l < cr.loadStart[f + 1]; l++) s += cr.loadWeight[l] * latent[cr.loadChannel[l]];
        const x = cr.a[f] + cr.b[f] * s * cr.invNorm[f];
        out.features[base + f] = transform(kind, x, cr.c[f], terms);
      }
    }
  }
}

/** T_f of the layout (see `Kind`); x = a + b·s already applied. */
function transform(kind: Kind, x: number, c: number, terms: number): number {
  switch (kind) {
    case Kind.Count:
      return Math.floor(c * Math.exp(x));
    case Kind.Ratio:
      return sigmoid(x);
    case Kind.Terms:
      return Math.round(terms * sigmoid(x));
    case Kind.TermRatio:
      return Math.round(terms * sigmoid(x)) / terms;
    case Kind.Positive:
      return c * softplus(x);
    case Kind.Negative:
      return -c * softplus(-x);
    case Kind.Binary:
      return x > 0 ? 1 : 0;
    case Kind.Byte:
      return Math.min(255, Math.max(0, Math.round(x)));
    case Kind.Clicks:
      return x > 0 ? Math.floor(Math.expm1(x)) : 0;
    case Kind.Dwell:
      return x > 0 ? c * Math.expm1(x) : 0;
    case Kind.QueryConst:
      return c * Math.exp(x);
    case Kind.SmallInt:
      return Math.max(1, Math.round(x));
  }
}

function emptyHistograms(plan: SyntheticPlan): number[][] {
  return plan.thresholds.map((t) => new Array<number>(t.length + 1).fill(0));
}

function chunkDataset(plan: SyntheticPlan, q0: number, q1: number, features: Float32Array, labels: Float32Array[]): RankingDataset {
  const queryOffsets = new Int32Array(q1 - q0 + 1);
  for (let q = q0; q < q1; q++) queryOffsets[q - q0 + 1] = queryOffsets[q - q0] + plan.lengths[q];
  return {
    features,
    nFeatures: plan.roles.length,
    featureNames: defaultFeatureNames(plan.roles.length),
    queryOffsets,
    queryIds: Array.from({ length: q1 - q0 }, (_, i) => String(q0 + i + 1)),
    labelNames: plan.labelNames,
    labels,
    metadata: plan.metadata,
  };
}

/**
 * Generates the whole dataset in memory. Labels: `relevance` then the auxiliary objectives (default
 * `freshness`, `clicks`, `quality`), integer grades 0..G stored as float32; query ids "1".."Q".
 * Same options → identical arrays (also identical to what `generateToArrow` writes).
 */
export function generateSynthetic(options: GeneratorOptions): RankingDataset {
  const plan = planSynthetic(options);
  const nF = plan.roles.length;
  const features = new Float32Array(plan.totalDocs * nF);
  const labels = plan.labelNames.map(() => new Float32Array(plan.totalDocs));
  fillQueries(plan, compileRoles(plan.roles, plan.options.noise), new Rng(plan.docSeed), 0, plan.options.queries, { features, labels }, emptyHistograms(plan));
  return chunkDataset(plan, 0, plan.options.queries, features, labels);
}

export interface GenerateSummary {
  queries: number;
  documents: number;
  labelNames: string[];
  /** Per label, document counts at grade 0..G. */
  histograms: number[][];
  listLength: { min: number; mean: number; max: number };
}

/** Default documents per record batch (whole queries; a batch exceeds it only when one query is longer). */
export const STREAM_BATCH_DOCUMENTS = 1 << 16;

/**
 * Generates straight to an Arrow IPC file in the canonical layout (see `src/data/arrow.ts`), one
 * record batch per `batchDocuments` (default 65,536) documents of whole queries, so memory stays bounded
 * for any size. The rows equal `generateSynthetic(options)` whatever the batch size. Written to
 * a temporary sibling then renamed (`writeAtomic`). Progress: stage `generate`, done/total in documents.
 */
export async function generateToArrow(
  options: GeneratorOptions,
  path: string,
  onProgress: ProgressCallback = noProgress,
  batchDocuments = STREAM_BATCH_DOCUMENTS,
): Promise<GenerateSummary> {
  const plan = planSynthetic(options);
  const cr = compileRoles(plan.roles, plan.options.noise);
  const rng = new Rng(plan.docSeed);
  const nF = plan.roles.length;
  const histograms = emptyHistograms(plan);
  await writeAtomic(path, async (tmp) => {
    const file = fs.createWriteStream(tmp);
    const writer = new RecordBatchFileWriter();
    const done = pipeline(writer.toNodeStream(), file);
    let written = 0;
    try {
      for (let q0 = 0; q0 < plan.options.queries; ) {
        let q1 = q0;
        let n = 0;
        while (q1 < plan.options.queries && (n === 0 || n + plan.lengths[q1] <= batchDocuments)) n += plan.lengths[q1++];
        const features = new Float32Array(n * nF);
        const labels = plan.labelNames.map(() => new Float32Array(n));
        fillQueries(plan, cr, rng, q0, q1, { features, labels }, histograms);
        // batch by batch: writing a Table would finish the writer
        for (const batch of datasetToTable(chunkDataset(plan, q0, q1, features, labels)).batches) writer.write(batch);
        written += n;
        onProgress({ stage: 'generate', done: written, total: plan.totalDocs, info: { queries: q1 } });
        q0 = q1;
        // let the file stream drain: the writer queues bytes until the stream pulls them
        if (file.writableLength > 1 << 26) await new Promise<void>((r) => file.once('drain', () => r()));
        else await new Promise<void>((r) => setImmediate(r));
      }
      writer.finish();
      await done;
    } catch (err) {
      writer.abort();
      await done.catch(() => undefined);
      throw err;
    }
  });
  return {
    queries: plan.options.queries,
    documents: plan.totalDocs,
    labelNames: plan.labelNames,
    histograms,
    listLength: { min: plan.lengths.reduce((m, n) => Math.min(m, n)), mean: plan.totalDocs / plan.options.queries, max: plan.lengths.reduce((m, n) => Math.max(m, n)) },
  };
}
