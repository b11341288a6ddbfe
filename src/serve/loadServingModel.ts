/**
 * Adapts a saved model directory (`loadModel`: format version, byte length and sha256 of the weights
 * verified) to what the serving runtime needs (`ServingModel`), checking that the parts agree:
 *
 * - `objectives`: the auxiliary objective names (saved objectives 1..m), i.e. the entries of w in order;
 *   for a COS ranker m must equal the conditioned network's weight length.
 * - `inputFeatures`: model-input column → 0-based raw feature, recomputed from the objectives'
 *   `droppedFeatures` with `objectiveInputMapping`; it must equal the stored mapping (when stored) and
 *   have `spec.base.inputSize` entries, else the model directory is inconsistent.
 * - `defaultWeights`: the stored default normalised to the simplex, or uniform (1/m each) when the model
 *   stores none.
 */
import * as path from 'node:path';
import { objectiveInputMapping } from '../data/objectives';
import { loadModel, ModelFileError, MODEL_FORMAT_VERSION, type SavedModel } from '../model/modelFile';
import type { RankerParameters } from '../model/rankerParameters';
import type { RankerSpec } from '../model/spec';
import { describeServingPoints, servingPointsOf, type RoutesOverride, type ServingPoints } from './operatingPoints';

/** What the runtime needs of a trained model. */
export interface ServingModel {
  spec: RankerSpec;
  params: RankerParameters;
  /** Main objective name (first) — informational. */
  mainObjective: string;
  /** Auxiliary objective names, in the order of the weight vector. */
  objectives: string[];
  /** Number of raw features a client sends (LETOR numbering 1..rawFeatureCount). */
  rawFeatureCount: number;
  /** For each model-input column, the 0-based raw feature it reads (objectives' dropFromInput applied). */
  inputFeatures: Int32Array;
  /** Trade-off used when a request gives none (on the simplex). */
  defaultWeights: Float32Array;
  /** Free-form description for `GET /model` (format version, training figures…). */
  info?: Record<string, unknown>;
  /** Named operating points and the routes in force (absent: none). */
  points?: ServingPoints;
}

/** Reads `dir` (written by `saveModel`) and returns the model in the runtime's shape. */
export async function loadServingModel(dir: string, routes?: RoutesOverride): Promise<ServingModel> {
  return servingModelOf(await loadModel(dir), path.join(dir, 'model.json'), routes);
}

/** The `ServingModel` of an already loaded model; `file` names the source in errors. */
export function servingModelOf(saved: SavedModel, file = 'model.json', routes?: RoutesOverride): ServingModel {
  const fail = (detail: string): never => {
    throw new ModelFileError(file, detail);
  };
  if (!Array.isArray(saved.objectives) || saved.objectives.length === 0) fail('the model lists no objectives (the main objective comes first)');
  const [main, ...aux] = saved.objectives;
  const objectives = aux.map((o) => o.name);
  const m = objectives.length;
  const conditioned = saved.spec.cos?.net.conditioning.weights ?? 0;
  if (saved.spec.cos && conditioned !== m) {
    fail(`the conditioned network takes ${conditioned} weights but the model has ${m} auxiliary objectives (${objectives.join(', ')})`);
  }
  const nRaw = saved.rawFeatureCount;
  if (!Number.isInteger(nRaw) || nRaw < 1) fail(`rawFeatureCount must be a positive integer, got ${JSON.stringify(nRaw)}`);

  const inputFeatures = objectiveInputMapping(saved.objectives, nRaw);
  if (inputFeatures.length !== saved.spec.base.inputSize) {
    fail(`the objectives keep ${inputFeatures.length} of ${nRaw} raw features, but the ranker takes ${saved.spec.base.inputSize} inputs`);
  }
  if (Array.isArray(saved.inputFeatures) && saved.inputFeatures.join(',') !== inputFeatures.join(',')) {
    fail(`inputFeatures [${saved.inputFeatures.join(', ')}] disagree with the objectives' dropped features (expected [${inputFeatures.join(', ')}])`);
  }

  // routes are checked here, at load (start-up and reload): an unknown point or an unreachable rule fails the load
  const points = servingPointsOf(saved, routes);
  return {
    spec: saved.spec,
    params: saved.params,
    mainObjective: main.name,
    objectives,
    rawFeatureCount: nRaw,
    inputFeatures,
    defaultWeights: defaultWeightsOf(saved.defaultWeights, m, fail),
    info: {
      formatVersion: MODEL_FORMAT_VERSION,
      inputFeatureNames: saved.inputFeatureNames,
      droppedFeatures: Object.fromEntries(aux.concat(main).filter((o) => o.droppedFeatures.length > 0).map((o) => [o.name, o.droppedFeatures])),
      metrics: saved.metrics,
      ...(saved.info ? { training: saved.info } : {}),
      ...describeServingPoints(points, objectives),
    },
    points,
  };
}

/** The stored default on the simplex (length m, non-negative, not all zero), or uniform when none is stored. */
function defaultWeightsOf(stored: number[] | undefined, m: number, fail: (detail: string) => never): Float32Array {
  if (m === 0) return new Float32Array(0);
  if (stored === undefined || stored.length === 0) return new Float32Array(m).fill(1 / m);
  if (stored.length !== m || stored.some((v) => !Number.isFinite(v) || v < 0)) {
    fail(`defaultWeights ${JSON.stringify(stored)} must be ${m} finite non-negative numbers`);
  }
  const sum = stored.reduce((a, b) => a + b, 0);
  if (!(sum > 0)) fail('defaultWeights must not all be zero');
  return Float32Array.from(stored, (v) => v / sum);
}
