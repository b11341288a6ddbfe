/**
 * The HTTP service (fastify): re-rank with the trade-off chosen per request.
 *
 *   POST /rerank   {documents: [{id, features}], weights?, beta?, c?, topK?} → {results: [{id, score, rank}], engine}
 *                  features: dense array, sparse {"index": value} (LETOR numbering) or base64 float32 LE
 *   POST /score    {documents, weights?, beta?, c?} → {scores: number[]} in the given order
 *   GET  /healthz  → {status: "ok"}
 *   GET  /model    → objectives, feature count, defaults, version
 *   POST /reload   → reloads the model from its directory and swaps it atomically
 *
 * Every bad request gets a 400 whose `message` names the field; the service never answers 500 to bad input.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifySchemaValidationError } from 'fastify';
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
            features: { anyOf: [{ type: 'array', items: { type: 'number' } }, numberMap, { type: 'string' }] },
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
    // Keep numbers as numbers (no coercion of "1" into 1) and reject unknown fields instead of silently
    // dropping them, so a wrong type or a misspelt `wieghts` is reported, not guessed.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });

  const badRequest = (reply: FastifyReply, field: string, detail: string) =>
    reply.code(400).send({ error: 'Bad Request', field, message: `${field}: ${detail}` });

  app.setErrorHandler((err: FastifyError, _req, reply) => {
    if (err instanceof RequestError) return badRequest(reply, err.field, err.detail);
    if (err.validation && err.validation.length > 0) {
      const { field, detail } = describeValidation(err.validation[0]);
      return badRequest(reply, field, detail);
    }
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return badRequest(reply, 'body', `larger than the limit of ${app.initialConfig.bodyLimit} bytes`);
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return badRequest(reply, 'body', err.message);
    app.log.error(err);
    return reply.code(500).send({ error: 'Internal Server Error', message: err.message });
  });

  // Graceful close: `app.close()` stops accepting connections, closes idle keep-alive ones and waits for
  // requests in flight. Their connections would then idle until the keep-alive timeout (~72 s) before
  // close completes, so a response sent while closing tells the client to close its connection.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_req, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
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
    return { scores: Array.from(await ranker.scoreDocuments(documents, tradeOff)) };
  });

  // The new model is loaded (and warmed up) completely before one assignment swaps it in; a request
  // holds the ranker it started with, so requests in flight finish on the old model. A failed load
  // leaves the old model serving. Of overlapping reloads the last started wins: an earlier one finishing
  // later (it may have read the directory before it changed) does not swap its older model back in.
  let started = 0;
  let swapped = 0;
  const reload = async () => {
    if (!options.loadRanker) throw new Error('this server was started without a model directory to reload from');
    const id = ++started;
    const loaded = await options.loadRanker();
    if (id > swapped) {
      swapped = id;
      current = loaded;
    }
  };

  app.post('/reload', async (_req, reply) => {
    if (!options.loadRanker) return badRequest(reply, 'reload', 'not available: the server was started without a model directory');
    try {
      await reload();
    } catch (err) {
      return reply.code(500).send({ error: 'Reload Failed', message: `still serving the previous model: ${err instanceof Error ? err.message : String(err)}` });
    }
    const m = current.model;
    return { status: 'reloaded', objectives: m.objectives, featureCount: m.rawFeatureCount, engine: current.engineName };
  });

  return { app, reload, ranker: () => current };
}

/**
 * A schema violation as `{field, detail}`, the field in the request's own terms: JSON pointer
 * `/documents/0/features/5` → `documents[0].features[5]`; a missing or unknown property is named itself.
 */
function describeValidation(v: FastifySchemaValidationError): { field: string; detail: string } {
  const parts = v.instancePath.split('/').slice(1);
  const base = parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
  const join = (name: string) => (base ? `${base}.${name}` : name);
  const params = v.params as Record<string, unknown>;
  if (v.keyword === 'required' && typeof params.missingProperty === 'string') return { field: join(params.missingProperty), detail: 'is required' };
  if (v.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return { field: join(params.additionalProperty), detail: 'unknown field' };
  }
  return { field: base || 'body', detail: v.message ?? 'is invalid' };
}
