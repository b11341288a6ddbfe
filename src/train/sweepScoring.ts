/**
 * The one sweep-scoring function: a ranker scored on a dataset at many weight points, NDCG@k of every
 * objective at each point (`sweepRanker`). The trainer's COS validation (`evaluateCos`) and the
 * pipeline's sweep stage both use it, so validation and the reported sweep cannot drift apart.
 */
import type { RankingDataset } from '../data/dataset';
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

/** Scores `ds` with the ranker at every point of `points` (weights over the auxiliary objectives). */
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
  return sweep((features, queryOffsets, weights) => engine.score(spec, params, { features, queryOffsets, weights, beta, c }), ds, points, sweepOptions);
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
