/**
 * The serving runtime: a trained ranker that re-ranks candidate documents for the trade-off chosen
 * per call, without a model per trade-off.
 *
 *     const r = await Ranker.load('runs/demo/model');
 *     const ranked = await r.rerank(docs, { weights: { freshness: 0.3, clicks: 0.7 } });
 */
import type { Engine } from '../engine/engine';
import { createEngine, type EngineRequest } from '../engine/select';
import { loadServingModel, type ServingModel } from './loadServingModel';
import { applyOperatingPoint, type RoutesOverride } from './operatingPoints';
export type { ServingModel } from './loadServingModel';
import { identityLayout, inputLayout, readDocuments, type CandidateDocument, type FeatureLayout } from './documents';
import { checkTopK, RequestError, resolveBeta, resolveFactor, resolveWeights, type RerankOptions, type TradeOff } from './tradeoff';

export type { CandidateDocument } from './documents';
export type { RerankOptions, TradeOff } from './tradeoff';

export interface RankerLoadOptions {
  /** Engine to create (default `auto`: ONNX on CPU when it loads, else tfjs). */
  engine?: EngineRequest;
  /** Use this engine instead of creating one (tests, or several models sharing one engine). */
  engineInstance?: Engine;
  /** Routes to use instead of the model's own (`serve --routes FILE`); checked against its operating points at load. */
  routes?: RoutesOverride;
}

export interface RankedDocument {
  id: string | number;
  score: number;
  /** 1 = best. */
  rank: number;
}

export class Ranker {
  /** Where a raw feature goes in the model input (dropped features nowhere). */
  readonly layout: FeatureLayout;

  constructor(
    readonly model: ServingModel,
    private readonly engine: Engine,
  ) {
    this.layout = inputLayout(model.rawFeatureCount, model.inputFeatures);
  }

  /**
   * Loads a model directory written by the trainer (checksum and format version verified) and picks
   * the fastest inference engine available (`auto`: ONNX on CPU, else tfjs).
   */
  static async load(dir: string, options: RankerLoadOptions = {}): Promise<Ranker> {
    const [model, engine] = await Promise.all([loadServingModel(dir, options.routes), options.engineInstance ?? createEngine(options.engine ?? 'auto')]);
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
    const { input } = readDocuments(docs, this.layout);
    return this.scoreInput(input, docs.length, tradeOff);
  }

  /** Re-ranks candidates best first (ties keep the given order), optionally cut to `topK`. */
  async rerank(docs: CandidateDocument[], options: RerankOptions = {}): Promise<RankedDocument[]> {
    checkTopK(options.topK);
    const scores = await this.scoreDocuments(docs, options);
    const order = rankOrder(scores, options.topK);
    return Array.from(order, (i, r) => ({ id: docs[i].id, score: scores[i], rank: r + 1 }));
  }

  /** Raw feature matrix `[docs × rawFeatureCount]` of the candidates, every value validated. */
  denseFeatures(docs: CandidateDocument[], field = 'documents'): Float32Array {
    return readDocuments(docs, identityLayout(this.model.rawFeatureCount), Infinity, field).input;
  }

  /** Where the trade-off of `request` comes from (operatingPoints.ts): `request`, `point=…`, `route=…` or `default`, and an unused context. */
  tradeOffSource(request: TradeOff): string {
    return applyOperatingPoint(request, this.model.points).source;
  }

  /**
   * Scores a model-input matrix `[n × layout.width]` (dropped features left out) through the engine.
   * Finite inputs far outside the training range can still overflow inside the network: such a document
   * is a request error (JSON has no NaN, so it would otherwise come back as a silent null score).
   */
  async scoreInput(input: Float32Array, n: number, request: TradeOff): Promise<Float32Array> {
    return (await this.scoreTraced(input, n, request)).scores;
  }

  /** `scoreInput`, and where the trade-off came from (`tradeOffSource`), resolved once. */
  async scoreTraced(input: Float32Array, n: number, request: TradeOff): Promise<{ scores: Float32Array; source: string }> {
    const m = this.model;
    const { tradeOff, source } = applyOperatingPoint(request, m.points); // a named point or the routes, else as given
    const weights = resolveWeights(tradeOff.weights, m.objectives, m.defaultWeights);
    const beta = resolveBeta(tradeOff.beta, m.objectives, 'beta', m.spec.cos?.net.conditioning.beta === true);
    const c = resolveFactor(tradeOff.c);
    const scores = await this.engine.score(m.spec, m.params, { features: input, queryOffsets: Int32Array.of(0, n), weights, beta, c });
    const bad = scores.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new RequestError(`documents[${bad}].features`, `the model's score overflows (${scores[bad]}): feature values (or c) far outside the range it was trained on`);
    }
    return { scores, source };
  }
}

/**
 * Indices of the best `k` scores (default all), best first; ties keep the given order. A small k (the
 * usual top-100 of 1,000 candidates) keeps the best k in a heap instead of sorting every candidate.
 */
export function rankOrder(scores: Float32Array, k = scores.length): Int32Array {
  const n = scores.length;
  const top = Math.min(k, n);
  const byRank = (a: number, b: number) => scores[b] - scores[a] || a - b;
  if (top * 4 >= n) return sortedByKeys(scores, top) ?? Int32Array.from(scores.keys()).sort(byRank).subarray(0, top);
  // heap of the best `top` so far, the worst of them at the root
  const better = (a: number, b: number) => scores[a] > scores[b] || (scores[a] === scores[b] && a < b);
  const heap = new Int32Array(top);
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      if (l >= top) return;
      const worse = l + 1 < top && better(heap[l], heap[l + 1]) ? l + 1 : l;
      if (!better(heap[i], heap[worse])) return;
      [heap[i], heap[worse]] = [heap[worse], heap[i]];
      i = worse;
    }
  };
  for (let i = 0; i < top; i++) heap[i] = i;
  for (let i = (top >> 1) - 1; i >= 0; i--) down(i);
  for (let i = top; i < n; i++) {
    if (better(i, heap[0])) {
      heap[0] = i;
      down(0);
    }
  }
  return heap.sort(byRank);
}

/** Float32 bits of one value (`sortedByKeys`). */
const F32 = new Float32Array(1);
const F32_BITS = new Uint32Array(F32.buffer);
/** Indices below 2^21 beside a 32-bit key stay exact in a double (53 bits). */
const INDEX_SPAN = 2 ** 21;

/**
 * The stable descending order of `scores`, cut to `top`, by one native sort of numbers: each score's
 * float32 bits mapped to an integer that grows as the score falls, times 2^21, plus the index (so ties
 * keep the given order; −0 is read as +0, as the comparator ties them). About twice as fast as a
 * comparator sort at 100 candidates. Null when an index would not fit (over 2^21 scores) or a score is NaN.
 */
function sortedByKeys(scores: Float32Array, top: number): Int32Array | null {
  const n = scores.length;
  if (n > INDEX_SPAN) return null;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = scores[i];
    if (v !== v) return null;
    F32[0] = v + 0;
    const u = F32_BITS[0];
    // ascending order of float32 values as unsigned integers: negatives bit-flipped, positives sign-set
    const ascending = u >= 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
    keys[i] = (0xffffffff - ascending) * INDEX_SPAN + i;
  }
  keys.sort();
  const order = new Int32Array(top);
  for (let r = 0; r < top; r++) order[r] = keys[r] % INDEX_SPAN;
  return order;
}
