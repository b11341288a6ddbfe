/**
 * Turning a caller's trade-off into the model's inputs: weights by name or position, validated,
 * normalised to the simplex; temperatures β and factor c checked. Shared by the runtime API and HTTP.
 */
import { quoted } from '../util/errors';

/** A request-level error naming the offending field (HTTP maps it to 400). */
export class RequestError extends Error {
  constructor(
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${field}: ${detail}`);
    this.name = 'RequestError';
  }
}

/** Longest quotation of a client's value in a message. */
const SHOWN_CHARS = 80;

/** A client's value as a message quotes it (`quoted`, cut to 80 characters). */
export function shown(v: unknown): string {
  return quoted(v, SHOWN_CHARS);
}

/** Weights as an array in the model's auxiliary-objective order, or by objective name. */
export type WeightsInput = number[] | Record<string, number>;

/** The trade-off of one call: weights w, temperatures β, factor c (each optional). */
export interface TradeOff {
  weights?: WeightsInput;
  beta?: WeightsInput;
  c?: number;
  /** A stored operating point by name, instead of weights/beta/c (src/serve/operatingPoints.ts). */
  operatingPoint?: string;
  /** Request attributes the model's routes choose an operating point by, e.g. `{vertical: 'news'}`. */
  context?: Record<string, string | number | boolean>;
}

/**
 * The request fields that choose the trade-off, as HTTP bodies (and the Arrow options header) name them.
 * A new trade-off field is added here and to `TradeOff`; request parsing and validation follow this list.
 */
export const TRADE_OFF_FIELDS: readonly (keyof TradeOff)[] = ['weights', 'beta', 'c', 'operatingPoint', 'context'];

/** What a re-ranking call takes besides the documents. */
export interface RerankOptions extends TradeOff {
  /** Return only the best k documents (default: all). */
  topK?: number;
}

/**
 * The options of a request body (every field but `documents`), checked for unknown names; `topK` only
 * where the route takes it. Values are checked where they are used (resolveWeights…, checkTopK).
 */
export function readOptions(body: Record<string, unknown>, withTopK: boolean): RerankOptions {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(body)) {
    if (key === 'documents') continue;
    if (!((TRADE_OFF_FIELDS as readonly string[]).includes(key) || (withTopK && key === 'topK'))) throw new RequestError(key, 'unknown field');
    out[key] = body[key];
  }
  if (withTopK) checkTopK(out.topK);
  return out as RerankOptions;
}

/** topK: absent, or a positive integer. */
export function checkTopK(topK: unknown): void {
  if (topK !== undefined && !(typeof topK === 'number' && Number.isInteger(topK) && topK > 0)) {
    throw new RequestError('topK', `expected a positive integer, got ${shown(topK)}`);
  }
}

/**
 * The weight vector on the simplex for `objectives` (auxiliary names, model order).
 * Given values v (by position, or by name with names not given counting 0), `w_j = v_j / Σ_k v_k`.
 * Unknown names, negative or non-finite values, a wrong length and an all-zero vector are errors.
 * `undefined` gives `defaults` (the model's stored default). A model without auxiliary objectives
 * (`objectives` empty) takes no weights and gets an empty vector.
 *
 *     resolveWeights({ clicks: 3 }, ['freshness', 'clicks'], [0.5, 0.5])  // → [0, 1]
 */
export function resolveWeights(input: WeightsInput | undefined, objectives: string[], defaults: ArrayLike<number>, field = 'weights'): Float32Array {
  if (objectives.length === 0) {
    // An unconditioned ranker: there is no trade-off to choose.
    const given = input === undefined ? 0 : Array.isArray(input) ? input.length : isRecord(input) ? Object.keys(input).length : 1;
    if (given > 0) throw new RequestError(field, 'this model has no auxiliary objectives, so it takes no weights');
    return new Float32Array(0);
  }
  const w = new Float64Array(objectives.length);
  if (input === undefined) {
    for (let j = 0; j < w.length; j++) w[j] = defaults[j];
  } else if (Array.isArray(input)) {
    if (input.length !== objectives.length) {
      throw new RequestError(field, `expected ${objectives.length} weights (${objectives.join(', ')}), got ${input.length}`);
    }
    input.forEach((v, j) => (w[j] = checkWeight(v, `${field}[${j}]`)));
  } else if (isRecord(input)) {
    for (const [name, v] of Object.entries(input)) {
      const j = objectives.indexOf(name);
      if (j < 0) throw new RequestError(`${field}.${name}`, `unknown objective; the model's objectives are ${objectives.join(', ')}`);
      w[j] = checkWeight(v, `${field}.${name}`);
    }
  } else {
    throw new RequestError(field, 'expected an array of numbers or an object {objective: weight}');
  }
  // scaled by the largest first, so that huge weights (Σ overflowing to ∞) still normalise
  const max = w.reduce((a, b) => Math.max(a, b), 0);
  if (!(max > 0)) throw new RequestError(field, 'weights must not all be zero');
  let sum = 0;
  for (let j = 0; j < w.length; j++) sum += w[j] / max;
  return Float32Array.from(w, (v) => v / max / sum);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkWeight(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RequestError(field, `expected a finite number, got ${shown(v)}`);
  if (v < 0) throw new RequestError(field, `weights must be non-negative, got ${v}`);
  return v;
}

/**
 * Per-objective temperatures β (each finite and > 0 in float32), by position or name; default all ones.
 * A model trained without temperatures (W-COS, `takesBeta` false) refuses any β rather than ignoring it.
 */
export function resolveBeta(input: WeightsInput | undefined, objectives: string[], field = 'beta', takesBeta = true): Float32Array {
  const beta = new Float32Array(objectives.length).fill(1);
  if (input === undefined) return beta;
  if (!takesBeta) throw new RequestError(field, 'this model was trained without temperatures (W-COS), so it takes no beta; send weights (and c) only');
  const set = (j: number, v: unknown, f: string) => {
    if (!isPositiveFloat32(v)) throw new RequestError(f, `expected a finite number > 0 (in float32 range), got ${shown(v)}`);
    beta[j] = v;
  };
  if (Array.isArray(input)) {
    if (input.length !== objectives.length) throw new RequestError(field, `expected ${objectives.length} values, got ${input.length}`);
    input.forEach((v, j) => set(j, v, `${field}[${j}]`));
  } else if (isRecord(input)) {
    for (const [name, v] of Object.entries(input)) {
      const j = objectives.indexOf(name);
      if (j < 0) throw new RequestError(`${field}.${name}`, `unknown objective; the model's objectives are ${objectives.join(', ')}`);
      set(j, v, `${field}.${name}`);
    }
  } else {
    throw new RequestError(field, 'expected an array of numbers or an object {objective: temperature}');
  }
  return beta;
}

/** The post-training temperature factor c: finite and > 0 in float32, default 1. */
export function resolveFactor(c: unknown, field = 'c'): number {
  if (c === undefined) return 1;
  if (!isPositiveFloat32(c)) throw new RequestError(field, `expected a finite number > 0 (in float32 range), got ${shown(c)}`);
  return c;
}

/**
 * A number that stays finite and > 0 in float32, as the engines see it: 1e-50 would become 0 and 1e39
 * would become ∞ (a 500 from the ONNX engine's own check, or NaN scores).
 */
function isPositiveFloat32(v: unknown): v is number {
  if (typeof v !== 'number') return false;
  const f = Math.fround(v);
  return Number.isFinite(f) && f > 0;
}
