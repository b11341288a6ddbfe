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
 * With label noise λ > 0 the features see L' = (r', z'_1, …) instead: r' = √(1 − λ²)·r + λ·ν and
 * z'_k = ρ_k·r' + √(1 − ρ_k²)·ε_k, so a share of every grade is unpredictable from the features.
 *
 * Calibration (issue 16; the dataset card, data/README.md, has the figures): with λ = 0 relevance is almost
 * perfectly predictable (the default base MLP scores test NDCG@10 0.93–0.97), where rankers on the real
 * MSLR-WEB10K score about 0.45–0.52. The default λ, `MSLR_LIKE_LABEL_NOISE` = 0.85, was chosen with
 * `npm run bench -- generator`, which trains the default base MLP and XGBoost LambdaMART on the same
 * split: on MSLR-WEB10K-sized data (10,000 queries, 1,207,572 documents, split 60/20/20) they score
 * 0.510 and 0.509 test NDCG@10 (exponential gain), beside 0.497 for XGBoost and 0.527 for LightGBM
 * published on MSLR-WEB30K (LightGBM's docs/Experiments.rst); at a quarter of that size λ = 0.85 / 0.9
 * give the MLP 0.488 / 0.435 and XGBoost 0.502 / 0.450 (λ = 0.8 on 1,000 queries: 0.533 / 0.549). The auxiliary grade correlations stay at their declared values
 * under any λ (the auxiliary grades are drawn from r itself). Before the auxiliary latents the features
 * see were built on r', λ = 0.6 and 0.8 gave 0.728 and 0.625 (the auxiliaries leaked r). The library
 * default (and `cosrank generate`'s, and a run config's `data.generate`) is `MSLR_LIKE_LABEL_NOISE`;
 * pass `labelNoise: 0` (CLI `--label-noise 0`) for the almost perfectly predictable data, as the trainer
 * tests do. The demo (examples/demo.json) keeps λ = 0.8 explicitly.
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
import { checkValue, int as intCheck, seedCheck } from '../util/validate';
import { Rng } from '../util/rng';
import { writeAtomic } from '../util/atomicWrite';
import { noProgress, type ProgressCallback } from '../util/progress';
import { defaultFeatureNames, type RankingDataset } from './dataset';
import { DEFAULT_MAX_FEATURES } from './readLimits';
import { datasetToTable } from './arrow';
import { calibrateLatentCorrelation, gradeThresholds } from './gradeCorrelation';
import * as layout from './syntheticFeatures';
import type { CompiledRoles, FeatureRole } from './syntheticFeatures';

// Module-local copies: an imported binding compiled to CommonJS is a getter call at every use, which
// the per-feature loop of `fillQueries` would pay millions of times.
const { Kind, NOISE_KNOTS, WEB_BLOCK, compileRoles, featureRoles, noiseKnots, transform } = layout;

export { bivariateUpper, gradeCorrelation, gradeThresholds, normalCdf, normalQuantile } from './gradeCorrelation';

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
  /**
   * Label noise λ in [0, 1): the features see relevance only through r' = √(1 − λ²)·r + λ·ν (ν an
   * independent normal per document), and the auxiliary latents through ρ_k·r' + …, so a fraction of
   * each grade is unpredictable from any feature, as in real click- or judge-labelled data. Auxiliary
   * grades keep their declared correlation with the relevance grade (they are drawn from r itself).
   * Default `MSLR_LIKE_LABEL_NOISE`; 0 reproduces the earlier, almost perfectly predictable data.
   */
  labelNoise?: number;
}

export const DEFAULT_SHARES = [0.3, 0.25, 0.2, 0.15, 0.1];

/**
 * Upper bounds of the generator's sizes, so a typo costs an error naming the option rather than minutes
 * or an "Invalid typed array length": 30× MSLR-WEB30K's 31,531 queries, 80× its longest list, the readers'
 * feature limit, and about 13× its 3.8 M documents (queries × meanListLength, the expected count).
 */
export const GENERATOR_LIMITS = { queries: 1_000_000, maxListLength: 100_000, nFeatures: DEFAULT_MAX_FEATURES, documents: 50_000_000 };

/** The label noise that makes the default base ranker score like published MSLR-WEB10K rankers (see the module comment). */
export const MSLR_LIKE_LABEL_NOISE = 0.85;

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
  labelNoise: MSLR_LIKE_LABEL_NOISE,
};

/** Weight of the query effect u_q in latent relevance (so some queries have few or no relevant documents). */
const QUERY_EFFECT = 0.4;

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
  const int = (v: number, path: string, min: number, max: number) => checkValue(issues, path, v, intCheck(min, max));
  const queriesOk = int(o.queries, 'generator.queries', 1, GENERATOR_LIMITS.queries);
  checkValue(issues, 'generator.seed', o.seed, seedCheck);
  int(o.nFeatures, 'generator.nFeatures', WEB_BLOCK.length, GENERATOR_LIMITS.nFeatures);
  int(o.maxListLength, 'generator.maxListLength', 1, GENERATOR_LIMITS.maxListLength);
  if (queriesOk && o.queries * o.meanListLength > GENERATOR_LIMITS.documents) {
    issues.push({ path: 'generator.queries', value: o.queries, expected: `at most ${GENERATOR_LIMITS.documents} expected documents (queries × meanListLength ${o.meanListLength})` });
  }
  if (!(o.meanListLength >= 1 && o.meanListLength <= o.maxListLength)) {
    issues.push({ path: 'generator.meanListLength', value: o.meanListLength, expected: `a number in 1..maxListLength (${o.maxListLength})` });
  }
  if (!(o.listLengthSigma >= 0 && o.listLengthSigma <= 3)) issues.push({ path: 'generator.listLengthSigma', value: o.listLengthSigma, expected: 'a number in 0..3' });
  if (!(o.noise > 0 && Number.isFinite(o.noise))) issues.push({ path: 'generator.noise', value: o.noise, expected: 'a finite number > 0' });
  if (!(o.labelNoise >= 0 && o.labelNoise < 1)) issues.push({ path: 'generator.labelNoise', value: o.labelNoise, expected: 'a number in [0, 1)' });
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
    const fit = calibrateLatentCorrelation(obj.correlation, o.relevanceShares, obj.shares);
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
  const labelNoise = plan.options.labelNoise;
  const keepRelevance = Math.sqrt(1 - labelNoise * labelNoise);
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
      // Features see relevance only through r' = √(1 − λ²)·r + λ·ν: the part λ of the grade no feature
      // explains. The auxiliary latents they see are built on r' too (z'_k = ρ_k·r' + √(1 − ρ_k²)·ε_k), so
      // they do not leak the unexplained part; the auxiliary grades above keep their correlation with r.
      if (labelNoise > 0) {
        const seen = keepRelevance * r + labelNoise * rng.normal();
        for (let k = 1; k <= nAux; k++) latent[k] += rho[k - 1] * (seen - r);
        latent[0] = seen;
      }
      const base = row * nF;
      for (let f = 0; f < nF; f++) {
        const kind = cr.kind[f] as layout.Kind;
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
