/**
 * Training from a script: `trainRanker` runs the whole pipeline (the stages of `cosrank run`) from a
 * config object and returns what a script needs — the trained models, the front of the sweep and the
 * paths of the report, plots, tables and model folder.
 *
 *   import { trainRanker } from 'cosrank';
 *   const { front, models, files } = await trainRanker(
 *     { data: { generate: { queries: 200 } }, objectives: 'mslr' },
 *     { out: 'runs/script' },
 *   );
 *   console.log(front.hypervolume, front.points.length, files.report, models.cos.defaultWeights);
 *
 * The config is the JSON of a run config (runConfig.ts): checked the same way, every problem reported
 * at once in one ConfigError; unspecified fields take their defaults. Relative paths inside it are
 * resolved against `baseDir` (default: the working directory).
 */
import type { ResolvedObjective } from '../data/objectives';
import type { FrontSummary } from '../eval/hypervolume';
import type { ObjectiveMetric } from '../eval/metrics';
import type { SweepTable } from '../eval/sweep';
import type { SavedModel } from '../model/modelFile';
import type { ProgressCallback } from '../util/progress';
import type { RunFiles } from './outputs';
import { runPipeline, type RunOutcome } from './run';
import { parseRunConfig, resolveConfigPaths, type RunConfig } from './runConfig';

/** Any part of `T`, nested (what a config object may leave out). */
export type DeepPartial<T> = T extends (infer U)[] ? DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** A run config as a script writes it: every field optional, `objectives` a preset name or definitions. */
export type RunConfigInput = DeepPartial<Omit<RunConfig, 'objectives'>> & { objectives?: RunConfig['objectives'] };

export interface TrainRankerOptions {
  /** Output folder (model, tables, plots, report, cache); overrides the config's `out`. One of them is required. */
  out?: string;
  /** Folder that relative paths inside the config are resolved against (default: the working directory). */
  baseDir?: string;
  /** Progress events (stages, training steps, sweep points). */
  onProgress?: ProgressCallback;
}

/** One point of the front: its weights over the auxiliary objectives and NDCG@k of every objective (main first). */
export interface FrontPoint {
  weights: number[];
  ndcg: number[];
}

export interface TrainRankerResult {
  /** The trained models: s0 alone, and the COS model (s0 inside), as saved under `files.model`. */
  models: { base: SavedModel; cos: SavedModel };
  objectives: ResolvedObjective[];
  /** The Pareto front of the test sweep: its points, hypervolume, reference point and main NDCG over all points. */
  front: { points: FrontPoint[]; hypervolume: number; reference: number[]; mainNdcg: { mean: number; std: number }; summary: FrontSummary };
  /** Every weight point of the sweep on the test split. */
  sweep: SweepTable;
  /** s0 on the test split. */
  baseTest: ObjectiveMetric[];
  /** Where the report, plots, tables, model and manifest were written. */
  files: RunFiles;
  /** Everything `cosrank run` reports (stages reused or trained, timings, engine). */
  outcome: RunOutcome;
}

/** Validates a config object as a run config (every problem at once), with paths resolved against `baseDir`. */
export function runConfigOf(config: RunConfigInput, baseDir = process.cwd()): RunConfig {
  return resolveConfigPaths(parseRunConfig(config, 'config'), baseDir);
}

/** Runs the pipeline from a config object (see the module comment). */
export async function trainRanker(config: RunConfigInput, options: TrainRankerOptions = {}): Promise<TrainRankerResult> {
  const parsed = runConfigOf(config, options.baseDir);
  const { outcome } = await runPipeline(parsed, { out: options.out, onProgress: options.onProgress });
  if (!outcome) throw new Error('the pipeline returned no outcome'); // only a dry run does
  const t = outcome.sweep;
  const f = outcome.front;
  return {
    models: outcome.models,
    objectives: outcome.objectives,
    front: {
      points: f.front.map((i) => ({ weights: t.rows[i].weights, ndcg: t.rows[i].ndcg })),
      hypervolume: f.hypervolume,
      reference: outcome.reference,
      mainNdcg: { mean: f.mainMean, std: f.mainStd },
      summary: f,
    },
    sweep: t,
    baseTest: outcome.baseTest,
    files: outcome.files,
    outcome,
  };
}
