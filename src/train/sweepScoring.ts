/**
 * The one sweep-scoring function: a ranker scored on a dataset at many weight points, NDCG@k of every
 * objective at each point (`sweepRanker`). The trainer's COS validation (`evaluateCos`) and the
 * pipeline's sweep stage both use it, so validation and the reported sweep cannot drift apart.
 */
import type { RankingDataset } from '../data/dataset';
import { tradeOffLength } from '../engine/checks';
import type { Engine } from '../engine/engine';
import { hypervolume } from '../eval/hypervolume';
import type { MetricOptions } from '../eval/metrics';
import { sweep, type SweepTable } from '../eval/sweep';
import type { RankerParameters } from '../model/rankerParameters';
import type { RankerSpec } from '../model/spec';
import type { ProgressCallback } from '../util/progress';

export interface RankerSweepOptions extends MetricOptions {
  /** Per-objective temperatures β (T-COS rankers; default all ones). */
  beta?: ArrayLike<number>;
  /** Post-training temperature factor c (default 1 = as trained). */
  c?: number;
  /** Reports `{stage: 'sweep', done, total}` after each point. */
  onProgress?: ProgressCallback;
}

/**
 * Documents per batched scoring pass: the validation set repeated once per weight point while the copies
 * stay within this; a larger set is scored point by point. Measured on the ONNX engine (MQ2008 S4, 2,707
 * documents, 11 points, MLP 64-64, fresh parameters per validation): the first pass of a process cost
 * ~0.4 s more with all 11 points in one 30k-document pass than point by point, while passes of up to
 * 8,192 documents were as fast as point by point (ORT's per-run overhead is small; tfjs gains more).
 */
export const MAX_TILED_DOCUMENTS = 8192;

/** A dataset's features and offsets repeated `copies` times (cached: validation scores the same set often). */
const tiledCache = new WeakMap<RankingDataset, { copies: number; features: Float32Array; queryOffsets: Int32Array }>();

function tiled(ds: RankingDataset, copies: number): { features: Float32Array; queryOffsets: Int32Array } {
  const hit = tiledCache.get(ds);
  if (hit && hit.copies === copies) return hit;
  const nQ = ds.queryOffsets.length - 1;
  const nDocs = ds.queryOffsets[nQ];
  const features = new Float32Array(copies * ds.features.length);
  const queryOffsets = new Int32Array(copies * nQ + 1);
  for (let p = 0; p < copies; p++) {
    features.set(ds.features, p * ds.features.length);
    for (let q = 0; q < nQ; q++) queryOffsets[p * nQ + q + 1] = p * nDocs + ds.queryOffsets[q + 1];
  }
  const entry = { copies, features, queryOffsets };
  tiledCache.set(ds, entry);
  return entry;
}

/**
 * Scores of every document of `ds` at each point (`[nDocs]` per point), from as few scoring passes as
 * the bound allows: the documents repeated once per point, each copy's queries given that point's w
 * (`ScoreInput.weights` per query), at most `maxDocuments` (default MAX_TILED_DOCUMENTS) per pass. A ranker
 * without a w input scores the same at every point: one pass.
 */
export async function scoreAtPoints(
  engine: Engine,
  spec: RankerSpec,
  params: RankerParameters,
  ds: RankingDataset,
  points: ArrayLike<number>[],
  options: { beta?: Float32Array; c?: number; maxDocuments?: number } = {},
): Promise<Float32Array[]> {
  const { beta, c, maxDocuments = MAX_TILED_DOCUMENTS } = options;
  const nQ = ds.queryOffsets.length - 1;
  const nDocs = ds.queryOffsets[nQ];
  const m = tradeOffLength(spec);
  if (points.length === 0) return [];
  if (m === 0) {
    const scores = await engine.score(spec, params, { features: ds.features, queryOffsets: ds.queryOffsets, weights: Float32Array.from(points[0]), beta, c });
    return points.map(() => scores);
  }
  const group = Math.max(1, Math.min(points.length, Math.floor(maxDocuments / Math.max(1, nDocs))));
  const out: Float32Array[] = [];
  for (let p0 = 0; p0 < points.length; p0 += group) {
    const copies = Math.min(group, points.length - p0);
    if (copies === 1) {
      out.push(await engine.score(spec, params, { features: ds.features, queryOffsets: ds.queryOffsets, weights: Float32Array.from(points[p0]), beta, c }));
      continue;
    }
    const t = tiled(ds, copies);
    const weights = new Float32Array(copies * nQ * m);
    for (let p = 0; p < copies; p++) for (let q = 0; q < nQ; q++) for (let j = 0; j < m; j++) weights[(p * nQ + q) * m + j] = points[p0 + p][j];
    const scores = await engine.score(spec, params, { features: t.features, queryOffsets: t.queryOffsets, weights, beta, c });
    for (let p = 0; p < copies; p++) out.push(scores.subarray(p * nDocs, (p + 1) * nDocs));
  }
  return out;
}

/**
 * Scores `ds` with the ranker at every point of `points` (weights over the auxiliary objectives): every
 * point's scores in one batched pass (`scoreAtPoints`), then NDCG@k per point.
 */
export async function sweepRanker(
  engine: Engine,
  spec: RankerSpec,
  params: RankerParameters,
  ds: RankingDataset,
  points: ArrayLike<number>[],
  options: RankerSweepOptions = {},
): Promise<SweepTable> {
  const { beta: givenBeta, c, ...sweepOptions } = options;
  const beta = givenBeta ? Float32Array.from(givenBeta) : undefined;
  // `sweep` checks the points, then asks for them in order: the first request scores them all
  let all: Float32Array[] | null = null;
  let next = 0;
  return sweep(
    async () => {
      all ??= await scoreAtPoints(engine, spec, params, ds, points, { beta, c });
      return all[next++];
    },
    ds,
    points,
    sweepOptions,
  );
}

/**
 * Evaluates a ranker over weight points on a dataset: NDCG@k of every label column (main first) at each
 * point, the auxiliary hypervolume (reference point 0) and the mean main NDCG.
 */
export async function evaluateCos(
  engine: Engine,
  spec: RankerSpec,
  params: RankerParameters,
  ds: RankingDataset,
  points: Float64Array[],
  options: { k: number; beta?: ArrayLike<number>; c?: number },
): Promise<{ table: SweepTable; hypervolume: number; meanMain: number }> {
  const table = await sweepRanker(engine, spec, params, ds, points, options);
  const hv = hypervolume(table.rows.map((r) => r.ndcg.slice(1)));
  const meanMain = table.rows.reduce((a, r) => a + r.ndcg[0], 0) / table.rows.length;
  return { table, hypervolume: hv, meanMain };
}
