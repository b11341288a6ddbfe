/**
 * `cosrank/serve`: scoring with a trained model — the `Ranker` (load a model folder, score and rerank
 * candidates at any trade-off) and the HTTP service — without the training code. The engine and the
 * HTTP server (fastify) load on first use.
 */
import type * as Http from '../serve/http';
import type * as Service from '../serve/service';
import { lazy } from './lazy';

export {
  Ranker,
  type ServingModel,
  type CandidateDocument,
  type TradeOff,
  type RerankOptions,
  type RankedDocument,
  type RankerLoadOptions,
} from '../serve/ranker';
export { RequestError, resolveWeights, resolveBeta, resolveFactor, type WeightsInput } from '../serve/tradeoff';
export { loadServingModel, servingModelOf } from '../serve/loadServingModel';
export type { EngineRequest } from '../engine/select';
export type { Server, ServerOptions } from '../serve/http';
export type { ServiceOptions, Service } from '../serve/service';

const http = lazy(() => require('../serve/http') as typeof Http);
const service = lazy(() => require('../serve/service') as typeof Service);

/** An HTTP server (fastify) answering scoring requests with a `Ranker` (see `serve/http.ts`). */
export const createServer: typeof Http.createServer = (...args) => http().createServer(...args);
/** Loads a model and starts the HTTP service, with worker threads (see `serve/service.ts`). */
export const startService: typeof Service.startService = (...args) => service().startService(...args);
