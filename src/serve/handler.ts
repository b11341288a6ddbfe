/**
 * One scoring request, from body bytes to response bytes: parse (JSON scanner, general JSON path, or
 * Arrow), validate, score, serialise. Runs wherever the ranker lives — in the HTTP thread, or in a
 * scoring worker (pool.ts) — so the HTTP layer only moves bytes.
 *
 *   POST /rerank  → {"results": [{"id", "score", "rank"}…], "engine"}   best first, cut to topK
 *   POST /score   → {"scores": […]}                                     in the given order
 * With `Accept: application/vnd.apache.arrow.stream` the answer is an Arrow IPC stream instead: columns
 * `id` (Float64 when every id is a number, else Utf8) and `score` (Float32), best first and cut to topK,
 * for /rerank; `score` alone, in the given order, for /score.
 */
import { STATUS_CODES } from 'node:http';
import { Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { readArrowDocuments } from './arrowBody';
import { joinBody } from './bodyChunks';
import { requestBuffers } from './bufferPool';
import { readDocuments } from './documents';
import { scanRequest } from './jsonScanner';
import { checkDuplicateKeys, decodeUtf8 } from './bodyText';
import { rankOrder, type Ranker } from './ranker';
import { tailHelp, type SplitRequest } from './splitScan';
import { readOptions, RequestError, type RerankOptions } from './tradeoff';

export type ScoringRoute = 'rerank' | 'score';

export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';
/** Header carrying the options (trade-off, topK) of an Arrow body, as a JSON object. */
export const OPTIONS_HEADER = 'x-cosrank-options';
/** Answer header saying where the trade-off used came from (operatingPoints.ts `source`). */
export const TRADE_OFF_HEADER = 'x-cosrank-trade-off';

/** A request as the HTTP layer hands it over (structured-clone friendly). */
export interface WireRequest {
  route: ScoringRoute;
  /** Media type without parameters, lower case. */
  contentType: string;
  /** The options header (taken only with an Arrow body). */
  options?: string;
  /** The Accept header (an Arrow answer when it names the Arrow stream type). */
  accept?: string;
  /** The body in the chunks it arrived in (joined where it is parsed: bodyChunks.ts). */
  body: Uint8Array[];
  /** Its second half, scanned at the same time by another worker (splitScan.ts). */
  split?: SplitRequest;
}

/** A response: status, media type, body (JSON text, or Arrow IPC bytes), and headers of its own. */
export interface WireReply {
  status: number;
  contentType: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
}

export interface HandlerLimits {
  maxDocuments: number;
  /** Bound on documents × raw features (default 2^24). */
  maxValues?: number;
}

/** Parsed candidates and options of a request. */
export interface ParsedRequest {
  n: number;
  input: Float32Array;
  ids: (string | number)[];
  options: RerankOptions;
}

/**
 * Parses a body of either media type (see the modules it calls for the rules). The model-input matrix
 * comes from this thread's `requestBuffers`: give it back (`requestBuffers.release`) once scored.
 */
export function parseRequest(req: WireRequest, ranker: Ranker, limits: HandlerLimits): ParsedRequest {
  const withTopK = req.route === 'rerank';
  const bytes = joinBody(req.body); // a reused buffer: nothing below keeps a view of it
  if (req.contentType === ARROW_STREAM) {
    const options = readOptions(optionsHeader(req.options), withTopK);
    return { ...readArrowDocuments(bytes, ranker.layout, limits.maxDocuments, limits.maxValues, requestBuffers), options };
  }
  if (req.options !== undefined) throw new RequestError(OPTIONS_HEADER, 'is for Arrow bodies only; a JSON body carries its options (weights, beta, c, operatingPoint, context, topK) as fields of the body');
  const tail = req.split ? tailHelp(req.split, ranker.layout) : undefined;
  const scanned = scanRequest(bytes, ranker.layout, limits.maxDocuments, limits.maxValues, requestBuffers, tail);
  if (scanned !== null) {
    try {
      return { n: scanned.n, input: scanned.input, ids: scanned.ids, options: readOptions(scanned.fields, withTopK) };
    } catch (err) {
      requestBuffers.release(scanned.input); // bad options: the request is not scored
      throw err;
    }
  }
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = decodeUtf8(buffer);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RequestError('body', `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  checkDuplicateKeys(buffer);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RequestError('body', 'expected a JSON object {documents, …}');
  const body = value as Record<string, unknown>;
  const options = readOptions(body, withTopK);
  if (body.documents === undefined) throw new RequestError('documents', 'is required');
  const { input, ids } = readDocuments(body.documents, ranker.layout, limits.maxDocuments, 'documents', limits.maxValues, requestBuffers);
  return { n: ids.length, input, ids, options };
}

function optionsHeader(text: string | undefined): Record<string, unknown> {
  if (text === undefined || text === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RequestError(OPTIONS_HEADER, `not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RequestError(OPTIONS_HEADER, 'expected a JSON object {weights?, beta?, c?, topK?}');
  if (Object.prototype.hasOwnProperty.call(value, 'documents')) throw new RequestError(`${OPTIONS_HEADER}.documents`, 'the documents are the Arrow body');
  return value as Record<string, unknown>;
}

/** Handles one request against `ranker`; bad requests become 400 replies naming the field. */
export async function handleScoring(ranker: Ranker, req: WireRequest, limits: HandlerLimits): Promise<WireReply> {
  try {
    const parsed = parseRequest(req, ranker, limits);
    let scored: { scores: Float32Array; source: string };
    try {
      scored = await ranker.scoreTraced(parsed.input, parsed.n, parsed.options);
    } finally {
      requestBuffers.release(parsed.input); // the scores are the engine's own array, not a view of the input
    }
    const { scores } = scored;
    const headers = { [TRADE_OFF_HEADER]: scored.source };
    if (req.accept?.includes(ARROW_STREAM)) return { status: 200, contentType: ARROW_STREAM, body: arrowAnswer(req.route, parsed.ids, scores, parsed.options.topK), headers };
    const body = req.route === 'rerank' ? rerankJson(parsed.ids, scores, parsed.options.topK, ranker.engineName) : scoresJson(scores);
    return { status: 200, contentType: 'application/json; charset=utf-8', body, headers };
  } catch (err) {
    if (err instanceof RequestError) return badRequest(err.field, err.detail);
    throw err;
  }
}

/** The usual 400 body: `{error, field, message}` with the message starting with the field. */
export function badRequest(field: string, detail: string): WireReply {
  return { status: 400, contentType: 'application/json; charset=utf-8', body: JSON.stringify(errorBody(400, field, detail)) };
}

/** The body of every refusal: `{error, field, message}`, `error` the status's text, `message` starting with the field. */
export function errorBody(status: number, field: string, detail: string): { error: string; field: string; message: string } {
  return { error: STATUS_CODES[status] ?? 'Error', field, message: `${field}: ${detail}` };
}

// Numbers print as JSON.stringify prints them (String of a finite number); ids are strings or finite numbers.
const idJson = (id: string | number) => (typeof id === 'string' ? JSON.stringify(id) : String(id));

function rerankJson(ids: (string | number)[], scores: Float32Array, topK: number | undefined, engine: string): string {
  const order = rankOrder(scores, topK);
  // one growing string (no array of parts, no template per result): a third less time at 100 results
  let text = '{"results":[';
  for (let r = 0; r < order.length; r++) {
    const i = order[r];
    text += (r === 0 ? '{"id":' : ',{"id":') + idJson(ids[i]) + ',"score":' + String(scores[i]) + ',"rank":' + String(r + 1) + '}';
  }
  return text + '],"engine":' + JSON.stringify(engine) + '}';
}

function arrowAnswer(route: ScoringRoute, ids: (string | number)[], scores: Float32Array, topK: number | undefined): Uint8Array {
  if (route === 'score') return tableToIPC(new Table({ score: vectorFromArray(scores) }), 'stream');
  const order = rankOrder(scores, topK);
  const top = Array.from(order, (i) => ids[i]);
  const id = top.every((x) => typeof x === 'number') ? vectorFromArray(Float64Array.from(top as number[])) : vectorFromArray(top.map(String), new Utf8());
  return tableToIPC(new Table({ id, score: vectorFromArray(Float32Array.from(order, (i) => scores[i])) }), 'stream');
}

function scoresJson(scores: Float32Array): string {
  return `{"scores":[${Array.prototype.join.call(scores, ',')}]}`;
}
