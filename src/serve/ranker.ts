/**
 * The serving runtime: a trained ranker that re-ranks candidate documents for the trade-off chosen
 * per call, without a model per trade-off.
 *
 *     const r = await Ranker.load('runs/demo/model');
 *     const ranked = await r.rerank(docs, { weights: { freshness: 0.3, clicks: 0.7 } });
 */
import type { Engine } from '../engine/engine';
import type { RankerParameters } from '../model/rankerParameters';
import { createEngine, type EngineRequest } from '../engine/select';
import type { RankerSpec } from '../model/spec';
import { loadServingModel } from './loadServingModel';
import { RequestError, resolveBeta, resolveFactor, resolveWeights, type WeightsInput } from './tradeoff';

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
}

/**
 * A candidate document: an id and its raw features, given as
 * - a dense array of all `rawFeatureCount` values,
 * - a sparse map `{"134": 5}` (LETOR numbering, 1-based; missing = 0), or
 * - a base64 string of the dense values as little-endian float32 (`rawFeatureCount × 4` bytes): the
 *   compact form for large candidate lists (2.5× smaller than JSON numbers and much cheaper to parse).
 */
export interface CandidateDocument {
  id: string | number;
  features: number[] | Record<string, number> | string;
}

export interface TradeOff {
  weights?: WeightsInput;
  beta?: WeightsInput;
  c?: number;
}

export interface RerankOptions extends TradeOff {
  /** Return only the best k documents (default: all). */
  topK?: number;
}

export interface RankerLoadOptions {
  /** Engine to create (default `auto`: ONNX on CPU when it loads, else tfjs). */
  engine?: EngineRequest;
  /** Use this engine instead of creating one (tests, or several models sharing one engine). */
  engineInstance?: Engine;
}

export interface RankedDocument {
  id: string | number;
  score: number;
  /** 1 = best. */
  rank: number;
}

export class Ranker {
  /** Raw feature i → model-input column, −1 for a feature an objective drops. */
  private readonly inputColumn: Int32Array;

  constructor(
    readonly model: ServingModel,
    private readonly engine: Engine,
  ) {
    this.inputColumn = new Int32Array(model.rawFeatureCount).fill(-1);
    model.inputFeatures.forEach((raw, col) => (this.inputColumn[raw] = col));
  }

  /**
   * Loads a model directory written by the trainer (checksum and format version verified) and picks
   * the fastest inference engine available (`auto`: ONNX on CPU, else tfjs).
   */
  static async load(dir: string, options: RankerLoadOptions = {}): Promise<Ranker> {
    const [model, engine] = await Promise.all([loadServingModel(dir), options.engineInstance ?? createEngine(options.engine ?? 'auto')]);
    const ranker = new Ranker(model, engine);
    await ranker.warmUp();
    return ranker;
  }

  /**
   * Scores one all-zero document once, so that engine start-up work (the ONNX engine compiles its
   * inference session on first use) happens at load time, not in the first request — and a reload
   * swaps in a model that is ready.
   */
  async warmUp(): Promise<void> {
    await this.score(new Float32Array(this.model.rawFeatureCount));
  }

  /** Name of the engine scoring requests. */
  get engineName(): string {
    return this.engine.name;
  }

  /**
   * Scores documents given as raw features, row-major `[n × rawFeatureCount]`; returns `[n]` scores.
   * The documents are scored as one list (the transformer ranker sees them together).
   */
  async score(rawFeatures: Float32Array, tradeOff: TradeOff = {}): Promise<Float32Array> {
    const m = this.model;
    const nRaw = m.rawFeatureCount;
    if (rawFeatures.length === 0 || rawFeatures.length % nRaw !== 0) {
      throw new RequestError('features', `expected a positive multiple of ${nRaw} values (documents × raw features), got ${rawFeatures.length}`);
    }
    const n = rawFeatures.length / nRaw;
    const cols = m.inputFeatures;
    const input = new Float32Array(n * cols.length);
    for (let d = 0; d < n; d++) {
      const src = d * nRaw;
      const dst = d * cols.length;
      for (let f = 0; f < cols.length; f++) {
        const v = rawFeatures[src + cols[f]];
        if (!Number.isFinite(v)) throw new RequestError(`features[${d}][${cols[f]}]`, `expected a finite number, got ${v}`);
        input[dst + f] = v;
      }
    }
    return this.scoreInput(input, n, tradeOff);
  }

  /** Scores candidate documents (raw features in any accepted form) in the given order. */
  async scoreDocuments(docs: CandidateDocument[], tradeOff: TradeOff = {}): Promise<Float32Array> {
    if (!Array.isArray(docs) || docs.length === 0) throw new RequestError('documents', 'expected a non-empty array of documents');
    return this.scoreInput(this.readDocuments(docs, 'documents', this.inputColumn, this.model.inputFeatures.length), docs.length, tradeOff);
  }

  /** Re-ranks candidates best first (ties keep the given order), optionally cut to `topK`. */
  async rerank(docs: CandidateDocument[], options: RerankOptions = {}): Promise<RankedDocument[]> {
    if (options.topK !== undefined && !(Number.isInteger(options.topK) && options.topK > 0)) {
      throw new RequestError('topK', `expected a positive integer, got ${JSON.stringify(options.topK)}`);
    }
    const scores = await this.scoreDocuments(docs, options);
    const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a] || a - b);
    const k = Math.min(options.topK ?? order.length, order.length);
    const out: RankedDocument[] = [];
    for (let r = 0; r < k; r++) out.push({ id: docs[order[r]].id, score: scores[order[r]], rank: r + 1 });
    return out;
  }

  /** Raw feature matrix `[docs × rawFeatureCount]` of the candidates, every value validated. */
  denseFeatures(docs: CandidateDocument[], field = 'documents'): Float32Array {
    const nF = this.model.rawFeatureCount;
    return this.readDocuments(docs, field, Int32Array.from({ length: nF }, (_, i) => i), nF);
  }

  /**
   * Model-input matrix `[n × inputFeatures]` (dropped features left out) through the engine. Finite
   * inputs far outside the training range can still overflow inside the network: such a document is a
   * request error (JSON has no NaN, so it would otherwise come back as a silent null score).
   */
  private async scoreInput(input: Float32Array, n: number, tradeOff: TradeOff): Promise<Float32Array> {
    const m = this.model;
    const weights = resolveWeights(tradeOff.weights, m.objectives, m.defaultWeights);
    const beta = resolveBeta(tradeOff.beta, m.objectives);
    const c = resolveFactor(tradeOff.c);
    const scores = await this.engine.score(m.spec, m.params, { features: input, queryOffsets: Int32Array.of(0, n), weights, beta, c });
    const bad = scores.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new RequestError(`documents[${bad}].features`, `the model's score overflows (${scores[bad]}): feature values (or c) far outside the range it was trained on`);
    }
    return scores;
  }

  /**
   * Reads every document's raw features into row d of a `[docs × width]` matrix, raw feature i going to
   * column `column[i]` (−1 = not kept), validating every value of every form (field names point into
   * the request and are only built for an error: this is the hot path of a request).
   */
  private readDocuments(docs: CandidateDocument[], field: string, column: Int32Array, width: number): Float32Array {
    const nF = this.model.rawFeatureCount;
    const out = new Float32Array(docs.length * width);
    const scratch = new Float32Array(nF);
    const scratchBytes = Buffer.from(scratch.buffer);
    const b64Length = 4 * Math.ceil((nF * 4) / 3);
    for (let d = 0; d < docs.length; d++) {
      const f = docs[d].features;
      const where = () => `${field}[${d}].features`;
      const row = d * width;
      if (Array.isArray(f)) {
        if (f.length !== nF) throw new RequestError(where(), `expected ${nF} features, got ${f.length}`);
        for (let i = 0; i < nF; i++) {
          const v: unknown = f[i];
          if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) throw notFinite(`${where()}[${i}]`, v);
          const c = column[i];
          if (c >= 0) out[row + c] = v;
        }
      } else if (typeof f === 'string') {
        // Node's decoder skips characters outside the alphabet, so a short write also catches a malformed string.
        const written = f.length === b64Length ? (LITTLE_ENDIAN ? scratchBytes.write(f, 0, nF * 4, 'base64') : decodeSwapped(f, scratch)) : -1;
        if (written !== nF * 4) {
          throw new RequestError(where(), `expected ${nF} little-endian float32 values as base64 (${b64Length} characters), got ${f.length} characters`);
        }
        for (let i = 0; i < nF; i++) {
          const v = scratch[i];
          if (!Number.isFinite(v)) throw notFinite(`${where()}[${i}]`, v);
          const c = column[i];
          if (c >= 0) out[row + c] = v;
        }
      } else if (f !== null && typeof f === 'object') {
        for (const [key, v] of Object.entries(f)) {
          const index = Number(key);
          if (!Number.isInteger(index) || index < 1 || index > nF) {
            throw new RequestError(`${where()}.${key}`, `feature index must be an integer in 1..${nF} (LETOR numbering)`);
          }
          if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) throw notFinite(`${where()}.${key}`, v);
          const c = column[index - 1];
          if (c >= 0) out[row + c] = v;
        }
      } else {
        throw new RequestError(where(), 'expected an array of numbers, an object {index: value} or a base64 string of float32 values');
      }
    }
    return out;
  }
}

const LITTLE_ENDIAN = new Uint8Array(Float32Array.of(1).buffer)[3] === 0x3f;

/** Base64 little-endian float32 into `out` on a big-endian machine; returns the bytes decoded. */
function decodeSwapped(s: string, out: Float32Array): number {
  const buf = Buffer.from(s, 'base64');
  if (buf.length !== out.length * 4) return buf.length;
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(4 * i);
  return buf.length;
}

function notFinite(field: string, v: unknown): RequestError {
  // finite in float32, as the engines read it (1e39 would become ∞)
  return new RequestError(field, `expected a finite number (in float32 range), got ${typeof v === 'number' ? String(v) : JSON.stringify(v)}`);
}
