/**
 * A small real model for the serving tests, made directly from the spec (no training run): documents
 * have 12 raw features; `freshness` is graded from feature 11 and `clicks` from feature 12, both dropped
 * from the input, so the ranker reads raw features 1..10. s0 and the W-COS network get seeded
 * Glorot-uniform weights (non-zero output layers) and a non-trivial input normalisation.
 */
import type { ResolvedObjective } from '../../src/data/objectives';
import { initParameters, type RankerSpec, type ScorerSpec } from '../../src/model/spec';
import type { SavedModel } from '../../src/model/modelFile';
import { Rng } from '../../src/util/rng';

export const RAW_FEATURES = 12;
export const INPUT_FEATURES = 10;

export const OBJECTIVES: ResolvedObjective[] = [
  { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 2 }, dropFromInput: false, target: 'sparse', invert: false, droppedFeatures: [] },
  { name: 'freshness', source: { feature: 11 }, grading: { kind: 'quantile', buckets: 3 }, dropFromInput: true, target: 'sparse', invert: false, cutPoints: [0.2, 0.6], droppedFeatures: [11] },
  { name: 'clicks', source: { feature: 12 }, grading: { kind: 'quantile', buckets: 3 }, dropFromInput: true, target: 'sparse', invert: false, cutPoints: [1, 5], droppedFeatures: [12] },
];

export interface FixtureOptions {
  /** Kind of the conditioned network (default mlp). */
  net?: 'mlp' | 'transformer';
  /** T-COS: β is an input (default false, W-COS). */
  temperature?: boolean;
  defaultWeights?: number[];
  /** Raw features per document (default 12): the ones past 12 are inputs too, after raw features 1..10. */
  rawFeatures?: number;
}

/** A COS ranker over the fixture's objectives with parameters drawn from `seed`. */
export function fixtureModel(seed: number, options: FixtureOptions = {}): SavedModel {
  const rng = new Rng(seed);
  const temperature = options.temperature ?? false;
  const raw = options.rawFeatures ?? RAW_FEATURES;
  const inputs = [...Array.from({ length: INPUT_FEATURES }, (_, i) => i), ...Array.from({ length: raw - RAW_FEATURES }, (_, i) => RAW_FEATURES + i)];
  const inputSize = inputs.length;
  const base: ScorerSpec = { kind: 'mlp', inputSize, conditioning: { weights: 0, beta: false }, hidden: [8], activation: 'tanh', dropout: 0 };
  const conditioning = { weights: 2, beta: temperature };
  const net: ScorerSpec =
    options.net === 'transformer'
      ? { kind: 'transformer', inputSize, conditioning, dModel: 8, nLayers: 1, nHeads: 2, ffHidden: 8, activation: 'gelu', dropout: 0 }
      : { kind: 'mlp', inputSize, conditioning, hidden: [8, 6], activation: 'relu', dropout: 0 };
  const spec: RankerSpec = { base, cos: { net, parametrisation: 'augment', temperature } };
  const params = { base: initParameters(base, rng), cos: initParameters(net, rng) };
  for (const p of [params.base, params.cos]) {
    for (let f = 0; f < inputSize; f++) {
      p['input.mean'].data[f] = rng.uniformIn(-0.5, 0.5);
      p['input.scale'].data[f] = rng.uniformIn(0.5, 2);
    }
  }
  return {
    spec,
    params,
    objectives: OBJECTIVES,
    rawFeatureCount: raw,
    inputFeatures: inputs,
    inputFeatureNames: inputs.map((i) => `f${i + 1}`),
    defaultWeights: options.defaultWeights ?? [0.25, 0.75],
    metrics: {},
    info: { fixture: seed },
  };
}

/** `n` documents of raw features, uniform in [−1, 2), row-major `[n × 12]`. */
export function randomDocuments(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n * RAW_FEATURES }, () => rng.uniformIn(-1, 2));
}

/** The documents as request bodies: ids `d0..`, dense feature arrays. */
export function denseDocs(features: Float32Array): { id: string; features: number[] }[] {
  const n = features.length / RAW_FEATURES;
  return Array.from({ length: n }, (_, d) => ({ id: `d${d}`, features: Array.from(features.subarray(d * RAW_FEATURES, (d + 1) * RAW_FEATURES)) }));
}

/** An HTTP answer: status and the JSON body. */
export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

/** The Arrow IPC stream media type, as a request header. */
export const ARROW = { 'content-type': 'application/vnd.apache.arrow.stream' };

/** One POST to the server at `url` with any body and headers (JSON by default): status and the JSON answer. */
export async function sendTo(url: string, route: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(url + route, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The 4xx in the usual shape: exact status, field and message. */
export function refusal(status: number, field: string, detail: string): Reply {
  return { status, body: { error: status === 400 ? 'Bad Request' : 'Unsupported Media Type', field, message: `${field}: ${detail}` } };
}
