/**
 * The HTTP service (fastify): re-rank with the trade-off chosen per request.
 *
 *   POST /rerank   {documents: [{id, features}], weights?, beta?, c?, topK?} → {results: [{id, score, rank}], engine}
 *   POST /score    {documents, weights?, beta?, c?} → {scores: number[]} in the given order
 *   GET  /healthz  → {status: "ok"}
 *   GET  /model    → objectives, feature count, defaults, version
 *   POST /reload   → reloads the model from its directory and swaps it atomically
 *
 * Every bad request gets a 400 whose `message` names the field; the service never answers 500 to bad input.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { Ranker, type CandidateDocument, type RerankOptions } from './ranker';
import { RequestError } from './tradeoff';

export interface ServerOptions {
  /** Longest candidate list accepted (default 10,000). */
  maxDocuments?: number;
  /** Largest request body in bytes (default 64 MiB). */
  bodyLimit?: number;
  /** Reloads the model (for POST /reload and SIGHUP); absent = reload unsupported. */
  loadRanker?: () => Promise<Ranker>;
}

const numberMap = { type: 'object', additionalProperties: { type: 'number' } } as const;
const weightsSchema = { anyOf: [{ type: 'array', items: { type: 'number' } }, numberMap] } as const;

function requestSchema(maxDocuments: number, withTopK: boolean) {
  return {
    type: 'object',
    required: ['documents'],
    additionalProperties: false,
    properties: {
      documents: {
        type: 'array',
        minItems: 1,
        maxItems: maxDocuments,
        items: {
          type: 'object',
          required: ['id', 'features'],
          additionalProperties: false,
          properties: {
            id: { anyOf: [{ type: 'string' }, { type: 'number' }] },
            features: { anyOf: [{ type: 'array', items: { type: 'number' } }, numberMap] },
          },
        },
      },
      weights: weightsSchema,
      beta: weightsSchema,
      c: { type: 'number', exclusiveMinimum: 0 },
      ...(withTopK ? { topK: { type: 'integer', minimum: 1 } } : {}),
    },
  };
}

interface RankBody extends RerankOptions {
  documents: CandidateDocument[];
}

/** A fastify app serving `initial`; `reload()` swaps the model without dropping requests. */
export function createServer(initial: Ranker, options: ServerOptions = {}): { app: FastifyInstance; reload(): Promise<void>; ranker(): Ranker } {
  const maxDocuments = options.maxDocuments ?? 10_000;
  let current = initial;
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 64 * 1024 * 1024,
    // Keep numbers as numbers: no coercion of "1" into 1, so a wrong type is reported, not guessed.
    ajv: { customOptions: { coerceTypes: false, allErrors: false } },
  });

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err instanceof RequestError) return reply.code(400).send({ error: 'Bad Request', field: err.field, message: err.message });
    if (err.validation) {
      const v = err.validation[0];
      const field = `body${v.instancePath.replace(/\//g, '.')}`;
      return reply.code(400).send({ error: 'Bad Request', field, message: `${field} ${v.message ?? 'is invalid'}` });
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(400).send({ error: 'Bad Request', field: 'body', message: `body: larger than the limit of ${app.initialConfig.bodyLimit} bytes` });
    }
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(400).send({ error: 'Bad Request', field: 'body', message: `body: ${err.message}` });
    }
    app.log.error(err);
    return reply.code(500).send({ error: 'Internal Server Error', message: err.message });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/model', async () => {
    const m = current.model;
    return {
      mainObjective: m.mainObjective,
      objectives: m.objectives,
      featureCount: m.rawFeatureCount,
      inputFeatures: Array.from(m.inputFeatures, (i) => i + 1),
      defaultWeights: Array.from(m.defaultWeights),
      conditioned: Boolean(m.spec.cos),
      temperature: Boolean(m.spec.cos?.temperature),
      engine: current.engineName,
      maxDocuments,
      ...m.info,
    };
  });

  app.post<{ Body: RankBody }>('/rerank', { schema: { body: requestSchema(maxDocuments, true) } }, async (req) => {
    const ranker = current; // one model for the whole request, even if a reload lands meanwhile
    const { documents, ...tradeOff } = req.body;
    return { results: await ranker.rerank(documents, tradeOff), engine: ranker.engineName };
  });

  app.post<{ Body: RankBody }>('/score', { schema: { body: requestSchema(maxDocuments, false) } }, async (req) => {
    const ranker = current;
    const { documents, ...tradeOff } = req.body;
    return { scores: Array.from(await ranker.score(ranker.denseFeatures(documents), tradeOff)) };
  });

  const reload = async () => {
    if (!options.loadRanker) throw new Error('this server was started without a model directory to reload from');
    current = await options.loadRanker();
  };

  app.post('/reload', async (_req, reply) => {
    if (!options.loadRanker) return reply.code(400).send({ error: 'Bad Request', message: 'reload is not available: no model directory' });
    await reload();
    return { status: 'reloaded' };
  });

  return { app, reload, ranker: () => current };
}
