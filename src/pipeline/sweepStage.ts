/**
 * The sweep stage: the COS ranker scored at every weight point of the sweep on the test split (through
 * the one sweep-scoring function, `sweepRanker`, that the trainer's validation also uses), NDCG@k of every
 * objective per point, the Pareto front and hypervolume of the auxiliary objectives, and s0's figures.
 * `cosrank run` and `cosrank score --sweep [--points …]` take their points (`weightPoints`) and scoring
 * settings from the same functions, so a scores file evaluated by `cosrank eval` reproduces the run's table.
 */
import type { RankingDataset } from '../data/dataset';
import type { Engine } from '../engine/engine';
import { frontSummary, type FrontSummary } from '../eval/hypervolume';
import { evaluateObjectives, type MetricOptions, type ObjectiveMetric } from '../eval/metrics';
import { weightPoints, type SweepTable } from '../eval/sweep';
import type { SavedModel } from '../model/modelFile';
import type { CosConfig } from '../train/config';
import { sweepRanker } from '../train/sweepScoring';
import { ConfigError } from '../util/errors';
import type { ProgressCallback } from '../util/progress';
import { latticeDivisions, sweepDivisions } from './plan';
import type { SweepConfig } from './runConfig';

export interface SweepOutcome {
  /** NDCG@k of every objective at each weight point, main first. */
  table: SweepTable;
  front: FrontSummary;
  /** The hypervolume reference point (one value per auxiliary objective). */
  reference: number[];
  /** s0 on the same split: NDCG@k of every objective. */
  baseTest: ObjectiveMetric[];
}

/** The metric conventions of a sweep section. */
export function sweepMetricOptions(s: SweepConfig): MetricOptions {
  return { k: s.k, gain: s.gain, idcgZero: s.idcgZero, ties: s.ties };
}

/** The weight points of the sweep for m auxiliary objectives: `sweep.points` (the simplex lattice of `sweepDivisions` by default). */
export function sweepPoints(m: number, s: SweepConfig): Float64Array[] {
  return weightPoints(m, s.points, latticeDivisions(m, s.points, sweepDivisions(m, s.divisions), 'sweep.divisions'), 'sweep.points');
}

/** The hypervolume reference point: the configured one (checked against m), else the origin. */
export function sweepReference(m: number, s: SweepConfig): number[] {
  const reference = s.reference ?? new Array<number>(m).fill(0);
  if (reference.length !== m) throw new ConfigError([{ path: 'sweep.reference', value: s.reference, expected: `${m} numbers, one per auxiliary objective` }], 'run');
  return reference;
}

/** How the COS ranker is scored in the sweep: T-COS at the configured temperatures (all ones when none), as its validation did; c as configured. */
export function sweepScoring(s: SweepConfig, cos: Pick<CosConfig, 'mode' | 'beta'>): { beta?: number[]; c: number } {
  return { ...(cos.mode === 'tcos' && cos.beta ? { beta: cos.beta } : {}), c: s.c };
}

/** Runs the sweep stage on `test` (see the module comment). */
export async function sweepStage(
  engine: Engine,
  cos: SavedModel,
  base: SavedModel,
  test: RankingDataset,
  config: { sweep: SweepConfig; cos: Pick<CosConfig, 'mode' | 'beta'> },
  onProgress?: ProgressCallback,
): Promise<SweepOutcome> {
  const m = test.labels.length - 1;
  const metricOptions = sweepMetricOptions(config.sweep);
  const reference = sweepReference(m, config.sweep);
  const table = await sweepRanker(engine, cos.spec, cos.params, test, sweepPoints(m, config.sweep), { ...metricOptions, ...sweepScoring(config.sweep, config.cos), onProgress });
  const front = frontSummary(table, reference);
  const baseScores = await engine.score(base.spec, base.params, { features: test.features, queryOffsets: test.queryOffsets });
  return { table, front, reference, baseTest: evaluateObjectives(baseScores, test, metricOptions) };
}
