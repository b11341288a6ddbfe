/**
 * `cosrank score` as a library function: a dataset scored by a saved model, written as a scores file
 * (src/eval/scoresFile.ts) that `cosrank eval` reads — one column for one trade-off, or one column per
 * weight point of the sweep lattice `cosrank run` evaluates (the same points and the same engine call as
 * `sweepRanker`), so `cosrank eval` on the run's test split reproduces the run's sweep table exactly.
 *
 * The data may be prepared already (a split `cosrank run` caches, e.g. `<out>/cache/data-<key>/test.arrow`,
 * whose metadata carries the model's objectives) or raw (the model's raw features): raw data get the
 * model's objectives applied with their frozen cut points, as the model was trained.
 */
import type { RankingDataset } from '../data/dataset';
import { applyObjectives, type ResolvedObjective } from '../data/objectives';
import { readDataset } from '../data/read';
import { createEngine, type EngineRequest } from '../engine/select';
import { formatScores } from '../eval/scoresFile';
import { weightPoints, type WeightPoints } from '../eval/sweep';
import { loadModel, type SavedModel } from '../model/modelFile';
import { resolveBeta, resolveFactor, resolveWeights, type WeightsInput } from '../serve/tradeoff';
import { writeFileAtomic } from '../util/atomicWrite';
import { ConfigError, DataError } from '../util/errors';
import { noProgress, type ProgressCallback } from '../util/progress';
import { latticeDivisions, sweepDivisions } from './plan';

export interface ScoreRequest {
  /** Model folder. */
  model: string;
  /** Dataset file (prepared split or raw data, see the module comment). */
  data: string;
  /** Scores file to write (CSV). */
  out: string;
  /** One trade-off: weights over the auxiliary objectives (array, or by name); normalised to sum 1. Default: the model's default weights. */
  weights?: number[] | Record<string, number> | null;
  /**
   * Score every point of a sweep instead: `points` as the run config's `sweep.points` (default the
   * lattice; divisions: null = as `cosrank run` chooses for m).
   */
  sweep?: { divisions: number | null; points?: WeightPoints } | null;
  /** T-COS temperatures per auxiliary objective (default all ones); post-training factor c (default 1). */
  beta?: number[] | null;
  c?: number;
  engine?: EngineRequest;
  onProgress?: ProgressCallback;
}

export interface ScoreOutcome {
  out: string;
  /** The weight points scored (one for a single trade-off). */
  points: number[][];
  kind: 'single' | 'sweep';
  documents: number;
  queries: number;
  engine: string;
  /** Whether the model's objectives were applied to raw data (false: the data were prepared already). */
  appliedObjectives: boolean;
}

function sameObjectives(a: unknown, b: ResolvedObjective[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((o, i) => (o as { name?: unknown }).name === b[i].name);
}

/** The data as the model takes them: prepared splits as they are, raw data with the model's objectives applied. */
export function modelInput(ds: RankingDataset, model: SavedModel, file: string): { dataset: RankingDataset; applied: boolean } {
  if (sameObjectives(ds.metadata?.objectives, model.objectives)) {
    if (ds.nFeatures !== model.inputFeatures.length) throw new DataError(file, null, `has ${ds.nFeatures} features, the model takes ${model.inputFeatures.length}`);
    return { dataset: ds, applied: false };
  }
  if (ds.nFeatures !== model.rawFeatureCount) {
    throw new DataError(file, null, `has ${ds.nFeatures} features; the model reads ${model.rawFeatureCount} raw features (or a split prepared with its objectives)`);
  }
  return { dataset: applyObjectives(ds, model.objectives, { resolved: model.objectives }).dataset, applied: true };
}

/**
 * One trade-off over the auxiliary objectives, by the server's rule (`resolveWeights`: by position or
 * name, non-negative, not all 0, normalised to sum 1; default the model's), so that `cosrank score` and
 * the server score a trade-off alike.
 */
export function tradeOff(model: SavedModel, weights: WeightsInput | null | undefined): number[] {
  const aux = model.objectives.slice(1).map((o) => o.name);
  return Array.from(resolveWeights(weights ?? undefined, aux, model.defaultWeights, '--weights'));
}

/** Scores a dataset with a model and writes the scores file (see the module comment). */
export async function scoreDataset(request: ScoreRequest): Promise<ScoreOutcome> {
  const onProgress = request.onProgress ?? noProgress;
  const model = await loadModel(request.model);
  if (!model.spec.cos) throw new ConfigError([{ path: 'model', value: request.model, expected: 'a COS model (a base-only model has no trade-off to score)' }], 'score');
  const m = model.objectives.length - 1;
  const sweep = request.sweep;
  const spec = sweep?.points ?? 'lattice';
  const points = sweep ? weightPoints(m, spec, latticeDivisions(m, spec, sweepDivisions(m, sweep.divisions), '--divisions'), '--points').map((p) => Array.from(p)) : [tradeOff(model, request.weights)];
  // the server's rule: a W-COS model takes no β, and β and c must stay finite and > 0 in float32
  const aux = model.objectives.slice(1).map((o) => o.name);
  const beta = request.beta ? resolveBeta(request.beta, aux, '--beta', model.spec.cos.net.conditioning.beta) : undefined;
  const c = resolveFactor(request.c, '--c');
  // the trade-off is checked before the data are read: a bad --weights costs no read of a large file
  const { dataset, applied } = modelInput(await readDataset(request.data, { onProgress }), model, request.data);
  const engine = await createEngine(request.engine ?? 'auto');
  const runs: { weights: number[] | null; scores: Float32Array }[] = [];
  for (const [i, w] of points.entries()) {
    const scores = await engine.score(model.spec, model.params, { features: dataset.features, queryOffsets: dataset.queryOffsets, weights: Float32Array.from(w), beta, c });
    runs.push({ weights: request.sweep ? w : null, scores });
    onProgress({ stage: 'score', done: i + 1, total: points.length });
  }
  await writeFileAtomic(request.out, formatScores(runs, dataset));
  const n = dataset.queryOffsets.length - 1;
  return { out: request.out, points, kind: request.sweep ? 'sweep' : 'single', documents: dataset.queryOffsets[n], queries: n, engine: engine.name, appliedObjectives: applied };
}
