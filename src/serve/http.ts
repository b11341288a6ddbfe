/**
 * The HTTP service (fastify): re-rank with the trade-off chosen per request.
 *
 *   POST /rerank   {documents: [{id, features}], weights?, beta?, c?, topK?} → {results: [{id, score, rank}], engine}
 *                  features: dense array, sparse {"index": value} (LETOR numbering) or base64 float32 LE;
 *                  or an Arrow IPC stream body (arrowBody.ts) with the options in the x-cosrank-options header
 *   POST /score    {documents, weights?, beta?, c?} → {scores: number[]} in the given order
 *                  (both answers name where their trade-off came from in `x-cosrank-trade-off`)
 *   GET  /healthz  → {status: "ok"}
 *   GET  /model    → objectives, feature count, defaults, version
 *   POST /reload   → reloads the model from its directory and swaps it atomically (application/json only;
 *                    with a reload token, `Authorization: Bearer TOKEN`)
 *
 * Every bad request gets a 4xx whose body is `{error, field, message}` with `message` naming the field;
 * the service never answers 500 to bad input. Bodies are read as bytes (bodyReader.ts) and handed to the scoring backend
 * (backend.ts: this thread, or worker threads), which parses, scores and serialises them.
 */
import { timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { LocalBackend, type ScoringBackend } from './backend';
import { readBody } from './bodyReader';
import { answerClientError } from './clientErrors';
import { drainOnClose, type Drain } from './drain';
import { ARROW_STREAM, errorBody, OPTIONS_HEADER, type ScoringRoute } from './handler';
import type { Ranker } from './ranker';
import { shown } from './tradeoff';

export interface ServerOptions {
  /** Longest candidate list accepted (default 10,000). */
  maxDocuments?: number;
  /** Bound on documents × raw features of one request, checked before any matrix is allocated (default 2^24). */
  maxValues?: number;
  /** Largest request body in bytes (default 64 MiB). */
  bodyLimit?: number;
  /** Reloads the model (for POST /reload and SIGHUP) when serving a `Ranker`; absent = reload unsupported. */
  loadRanker?: () => Promise<Ranker>;
  /** When set, POST /reload needs `Authorization: Bearer <token>`. */
  reloadToken?: string;
  /** A request whose body has not fully arrived after this many ms is answered 408 and closed (default 30,000). */
  requestTimeout?: number;
  /** Longest wait for requests in flight when closing, in ms (default 30,000). */
  drainTimeout?: number;
  /** fastify logger: false (default) or a level (`info` writes one access-log line per request, as JSON). */
  logLevel?: false | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Where log lines go (default stdout, fastify's default). */
  logStream?: NodeJS.WritableStream;
}

export const DEFAULT_MAX_DOCUMENTS = 10_000;

/** The app, a reload that reaches all of the backend, and (for a `Ranker`) the ranker now served. */
export interface Server {
  app: FastifyInstance;
  reload(): Promise<void>;
  ranker(): Ranker;
  backend: ScoringBackend;
  /** Stop accepting, let every request already received finish, close; then release the backend. */
  close(): Promise<void>;
  /** Resolves once the HTTP server has closed (by `close()` or `app.close()`). */
  closed: Promise<void>;
}

/** A fastify app serving `initial` (in this thread) or a scoring backend (e.g. a `WorkerPool`). */
export function createServer(initial: Ranker | ScoringBackend, options: ServerOptions = {}): Server {
  const maxDocuments = options.maxDocuments ?? DEFAULT_MAX_DOCUMENTS;
  const backend = 'handle' in initial ? initial : new LocalBackend(initial, { maxDocuments, maxValues: options.maxValues }, options.loadRanker);
  const requestTimeout = options.requestTimeout ?? 30_000;
  const app = Fastify({
    bodyLimit: options.bodyLimit ?? 64 * 1024 * 1024,
    // Node's own server with the deadlines set at creation: checked every ≤ 1 s (Node's default interval,
    // 30 s, and its 60 s header deadline would let a stalled upload hold a connection that long)
    serverFactory: (handler) => {
      const server = http.createServer(
        { requestTimeout, headersTimeout: Math.min(60_000, requestTimeout), connectionsCheckingInterval: Math.max(50, Math.min(1000, requestTimeout >> 2)) },
        handler,
      );
      server.keepAliveTimeout = 72_000;
      return server;
    },
    // requests that arrive while draining are served, not refused (see drain.ts)
    return503OnClosing: false,
    forceCloseConnections: false,
    // requests the HTTP parser refuses get the usual {error, field, message} (clientErrors.ts)
    clientErrorHandler: answerClientError(requestTimeout),
    logger: options.logLevel ? { level: options.logLevel, ...(options.logStream ? { stream: options.logStream } : {}) } : false,
  });
  const drain = drainOnClose(app, options.drainTimeout ?? 30_000);
  const closed = new Promise<void>((resolve) => app.addHook('onClose', async () => resolve()));
  setErrors(app);
  app.removeAllContentTypeParsers();
  const bodyLimit = app.initialConfig.bodyLimit ?? 64 * 1024 * 1024;
  // kept in the chunks they arrived in, not joined here in one stall (bodyReader.ts)
  app.addContentTypeParser(['application/json', ARROW_STREAM], (req, payload, done) => readBody(payload, req.headers['content-length'], bodyLimit, done));

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/model', async () => modelInfo(backend, maxDocuments));
  for (const route of ['rerank', 'score'] as const) {
    const onRequest = async (req: FastifyRequest, reply: FastifyReply) => {
      const repeated = repeatedContentType(req.raw);
      if (repeated !== null) return sendBad(reply, 'content-type', repeated);
      const problem = encodingProblem(req.headers);
      if (problem !== null) return sendBad(reply, problem.field, problem.detail, 415);
    };
    app.post(`/${route}`, { onRequest }, async (req, reply) => {
      const out = await backend.handle(wireRequest(route, req));
      const body = typeof out.body === 'string' ? out.body : Buffer.from(out.body.buffer, out.body.byteOffset, out.body.byteLength);
      if (out.headers) reply.headers(out.headers);
      return reply.code(out.status).type(out.contentType).send(body);
    });
  }
  app.post('/reload', { onRequest: reloadMediaType }, async (req, reply) => reloadRoute(req, reply, backend, options.reloadToken));
  setNotFound(app);
  const local = backend instanceof LocalBackend ? backend : null;
  return {
    app,
    backend,
    reload: () => backend.reload(),
    ranker: () => {
      if (local === null) throw new Error('this server scores in worker threads; it has no ranker in this thread');
      return local.ranker();
    },
    close: () => closeServer(drain, backend),
    closed,
  };
}

async function closeServer(drain: Drain, backend: ScoringBackend): Promise<void> {
  await drain.close();
  await backend.close();
}

function wireRequest(route: ScoringRoute, req: FastifyRequest) {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const header = req.headers[OPTIONS_HEADER];
  const body = Array.isArray(req.body) ? (req.body as Uint8Array[]) : [];
  return { route, contentType: type, options: Array.isArray(header) ? header.join(',') : header, accept: req.headers.accept, body };
}

/** Why the content-type header cannot be trusted (null: it can): given more than once, Node keeps the first silently. */
function repeatedContentType(req: http.IncomingMessage): string | null {
  const types: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i].toLowerCase() === 'content-type') types.push(req.rawHeaders[i + 1]);
  return types.length < 2 ? null : `given ${types.length} times (${types.map((t) => shown(t)).join(', ')}); expected one`;
}

/**
 * Why the body of a scoring request cannot be read as sent, before it is read (null: it can): it is
 * read as it arrives, not decompressed (a `content-encoding` other than identity), and JSON is read as
 * UTF-8 (a `charset` other than utf-8) — either would otherwise be misread as plain UTF-8.
 */
export function encodingProblem(headers: http.IncomingHttpHeaders): { field: string; detail: string } | null {
  const encoding = (headers['content-encoding'] ?? '').trim();
  if (encoding !== '' && encoding.toLowerCase() !== 'identity') {
    return { field: 'content-encoding', detail: `${JSON.stringify(encoding)} is not supported; send the body uncompressed (identity)` };
  }
  const [type, ...params] = (headers['content-type'] ?? '').split(';');
  if (type.trim().toLowerCase() !== 'application/json') return null;
  for (const param of params) {
    const [name, value = ''] = param.split('=');
    const charset = value.trim().replace(/^"(.*)"$/, '$1');
    if (name.trim().toLowerCase() === 'charset' && charset.toLowerCase() !== 'utf-8') {
      return { field: 'content-type', detail: `charset ${JSON.stringify(charset)} is not supported; JSON bodies are read as utf-8` };
    }
  }
  return null;
}

function modelInfo(backend: ScoringBackend, maxDocuments: number) {
  const m = backend.model();
  return {
    mainObjective: m.mainObjective,
    objectives: m.objectives,
    featureCount: m.rawFeatureCount,
    inputFeatures: Array.from(m.inputFeatures, (i) => i + 1),
    defaultWeights: Array.from(m.defaultWeights),
    conditioned: Boolean(m.spec.cos),
    temperature: Boolean(m.spec.cos?.temperature),
    engine: backend.engineName(),
    maxDocuments,
    ...m.info,
  };
}

const sendBad = (reply: FastifyReply, field: string, detail: string, status = 400) => reply.code(status).send(errorBody(status, field, detail));

function setErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return sendBad(reply, 'body', `larger than the limit of ${app.initialConfig.bodyLimit} bytes`);
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      return sendBad(reply, 'content-type', `expected application/json or ${ARROW_STREAM}, got ${JSON.stringify(req.headers['content-type'] ?? '')}`, 415);
    }
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) return sendBad(reply, 'body', err.message);
    req.log.error(err);
    return reply.code(500).send({ error: 'Internal Server Error', message: 'the server failed on this request (see its log)' });
  });
}

/** A known path with the wrong method is 405 (with `Allow`); an unknown path 404; both in the usual shape. */
function setNotFound(app: FastifyInstance): void {
  const methods: Record<string, string> = { '/rerank': 'POST', '/score': 'POST', '/reload': 'POST', '/healthz': 'GET, HEAD', '/model': 'GET, HEAD' };
  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0];
    const allow = methods[path];
    if (allow !== undefined) return sendBad(reply.header('allow', allow), 'method', `${path} takes ${allow}, got ${req.method}`, 405);
    return sendBad(reply, 'url', `no route ${req.method} ${path}; routes: POST /rerank, POST /score, GET /healthz, GET /model, POST /reload`, 404);
  });
}

/**
 * POST /reload takes only `application/json` (a browser's cross-site "simple" POST cannot send it),
 * checked before any body is read, so that every other type gets this one answer.
 */
async function reloadMediaType(req: FastifyRequest, reply: FastifyReply) {
  const repeated = repeatedContentType(req.raw);
  if (repeated !== null) return sendBad(reply, 'content-type', repeated);
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') return sendBad(reply, 'content-type', `POST /reload takes application/json, got ${type === '' ? 'none' : shown(type)}`, 415);
}

/**
 * POST /reload (media type checked by `reloadMediaType`): the reload token when one is set. A failed
 * reload keeps the old model and tells the client why without the server's absolute paths (the full
 * message goes to the log).
 */
async function reloadRoute(req: FastifyRequest, reply: FastifyReply, backend: ScoringBackend, token: string | undefined) {
  if (token !== undefined && !tokenMatches(req.headers.authorization, token)) return sendBad(reply, 'authorization', 'expected "Bearer <reload token>"', 401);
  if (!backend.canReload) return sendBad(reply, 'reload', 'not available: the server was started without a model directory');
  try {
    await backend.reload();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    req.log.error({ err }, `reload failed: ${message}`);
    return reply.code(500).send({ error: 'Reload Failed', message: `still serving the previous model: ${redactPaths(message)}` });
  }
  const m = backend.model();
  return { status: 'reloaded', objectives: m.objectives, featureCount: m.rawFeatureCount, engine: backend.engineName() };
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `/srv/models/a/model.json: …` → `…/model.json: …`: the client learns which file, not where it lives. */
export function redactPaths(message: string): string {
  return message.replace(/(?<=^|[\s'"(=])(?:[A-Za-z]:)?(?:[\\/][^\s\\/:'"`,;()]+)+[\\/]?/g, (p) => {
    const parts = p.split(/[\\/]/).filter((s) => s.length > 0);
    return `…/${parts[parts.length - 1] ?? ''}`;
  });
}
