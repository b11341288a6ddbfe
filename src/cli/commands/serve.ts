/**
 * `cosrank serve <modelDir>`: the HTTP re-ranking service (src/serve/service.ts) on one model directory.
 * SIGTERM/SIGINT close it gracefully (requests already received finish); SIGHUP reloads the model
 * directory and swaps the model atomically in every worker. `run` resolves when the server has closed.
 */
import { intFlag, parseCommandArgs } from '../args';
import type { EngineRequest } from '../../engine/select';
import type { ServerOptions } from '../../serve/http';
import { defaultWorkers, startService, type Service } from '../../serve/service';
import { UsageError, type CliCommand, type CliIO } from '../io';

const HELP = `Usage: cosrank serve <modelDir> [options]

Serves a trained model over HTTP:
  POST /rerank   {documents: [{id, features}], weights?, beta?, c?, operatingPoint?, context?, topK?}
                 → {results: [{id, score, rank}], engine}   best first; rank 1 = best
  POST /score    {documents, weights?, beta?, c?} → {scores}   in the given order
  GET  /healthz  → {status: "ok"}
  GET  /model    → objectives, feature count, input features, default weights, format version
  POST /reload   → reloads <modelDir> and swaps the model atomically in every worker (as SIGHUP does);
                   needs Content-Type: application/json (and Authorization: Bearer TOKEN with --reload-token)

Documents carry the raw features: a dense array of all of them, a sparse map {"index": value}
with LETOR numbering (canonical integers 1..N, each once; missing = 0), or a base64 string of all of
them as little-endian float32 (compact: cheaper to send and parse for long lists). Features that
objectives drop are dropped here, so clients send the raw vectors. Document ids must be unique.
Instead of JSON, a body may be an Arrow IPC stream (Content-Type: application/vnd.apache.arrow.stream)
with an id column and either a features column (fixed-size list of N float32) or columns "1".."N";
its options (weights, beta, c, topK) go as a JSON object in the x-cosrank-options header.
weights: an array in the order of the auxiliary objectives, or by name ({"clicks": 0.7}; missing
names 0); non-negative, normalised to sum 1; default: the model's stored default. beta: per-objective
temperatures > 0 (T-COS models only; a W-COS model refuses it). c: post-training temperature factor > 0
(larger = closer to the base ranker). operatingPoint: a trade-off stored by 'cosrank pick', by name,
instead of weights/beta/c (both: 400); context: request attributes {"vertical": "news"} that the routes
map to an operating point when the request gives no trade-off. GET /model lists points and routes.
Every bad request is answered 4xx with {field, message}.

The server has no authentication: keep it on loopback or a private network behind a firewall or an
authenticating proxy (it warns at start-up when the address is not loopback).

Options:
  --port P               TCP port (0 = any free port)                       (default 8080)
  --host H               address to listen on                               (default 127.0.0.1)
  --workers N            scoring worker threads, each with its own engine;
                         0 = score in the HTTP thread                       (default: core count, ${defaultWorkers()} here)
  --processes N          instead of worker threads: N server processes sharing the port, each
                         scoring in its HTTP thread (more requests/s with many concurrent clients of
                         short lists; a single request is not split between cores)  (default: off)
  --threads T            intra-op threads of each worker's (or process's) ONNX engine
                                                                            (default 1; 2 with --workers 0)
  --max-documents N      longest candidate list accepted                    (default 10000)
  --max-values N         documents × raw features accepted per request      (default 16777216)
  --body-limit BYTES     largest request body accepted                      (default 67108864)
  --request-timeout MS   a request not fully received by then is answered 408 (default 30000)
  --reload-token T       POST /reload needs "Authorization: Bearer T"       (default: no token)
  --engine E             auto | onnx | tfjs  (auto: ONNX on CPU, else tfjs) (default auto)
  --log-level L          access and error log on stderr (fastify, JSON lines):
                         silent | fatal | error | warn | info | debug | trace  (default info)
  --routes FILE          route requests by their "context" to operating points, instead of the routes
                         stored in the model: [{"when": {"vertical": "news"}, "use": "fresh"}, {"use": "default"}]
                         (first match wins; checked at start-up: unknown point, unreachable rule)
  --json                 print the start-up line as JSON

Signals: SIGTERM or SIGINT shut down gracefully (stop accepting; requests already received finish);
SIGHUP reloads the model. COSRANK_DEBUG=1 prints stack traces of unexpected errors.`;

const ENGINES: readonly EngineRequest[] = ['auto', 'onnx', 'tfjs'];
const LOG_LEVELS = ['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

function parseServeArgs(argv: string[]) {
  const { values, positionals } = parseCommandArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      workers: { type: 'string' },
      processes: { type: 'string' },
      threads: { type: 'string' },
      'max-documents': { type: 'string', default: '10000' },
      'max-values': { type: 'string', default: String(1 << 24) },
      'body-limit': { type: 'string', default: String(64 * 1024 * 1024) },
      'request-timeout': { type: 'string', default: '30000' },
      'reload-token': { type: 'string' },
      engine: { type: 'string', default: 'auto' },
      'log-level': { type: 'string', default: 'info' },
      routes: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`expected one model directory, got ${positionals.length} arguments`);
  if (!(ENGINES as readonly string[]).includes(values.engine)) throw new UsageError(`--engine must be one of ${ENGINES.join(', ')}, got '${values.engine}'`);
  const level = values['log-level'];
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${level}'`);
  if (values['reload-token'] === '') throw new UsageError('--reload-token must not be empty');
  const processes = values.processes === undefined ? undefined : intFlag('processes', values.processes, 1, 256);
  if (processes !== undefined && values.workers !== undefined) throw new UsageError('--workers and --processes do not combine: each server process scores in its HTTP thread');
  return {
    dir: positionals[0],
    port: intFlag('port', values.port, 0, 65535),
    host: values.host,
    workers: intFlag('workers', values.workers ?? String(processes === undefined ? defaultWorkers() : 0), 0, 256),
    ...(processes !== undefined ? { processes } : {}),
    threads: values.threads === undefined ? undefined : intFlag('threads', values.threads, 1, 256),
    maxDocuments: intFlag('max-documents', values['max-documents'], 1),
    maxValues: intFlag('max-values', values['max-values'], 1),
    bodyLimit: intFlag('body-limit', values['body-limit'], 1),
    requestTimeout: intFlag('request-timeout', values['request-timeout'], 1),
    reloadToken: values['reload-token'],
    engine: values.engine as EngineRequest,
    logLevel: (level === 'silent' ? false : level) as ServerOptions['logLevel'],
    ...(values.routes !== undefined ? { routesFile: values.routes } : {}),
    json: values.json,
  };
}

/** Listen errors by code: the flag whose value caused them (Node's message names neither flag). */
const LISTEN_FLAGS: Record<string, 'host' | 'port'> = { ENOTFOUND: 'host', EAI_AGAIN: 'host', EAI_FAIL: 'host', EADDRNOTAVAIL: 'host', EADDRINUSE: 'port', EACCES: 'port' };

/**
 * A listen error (resolving --host, binding --host:--port) restated naming the flag and its value; any
 * other error (the model, a routes file) is returned as it is.
 */
export function listenError(err: unknown, host: string, port: number): unknown {
  const { code, syscall } = (err ?? {}) as NodeJS.ErrnoException;
  const flag = code === undefined ? undefined : LISTEN_FLAGS[code];
  if (flag === undefined || (syscall !== 'getaddrinfo' && syscall !== 'listen')) return err;
  const value = flag === 'host' ? host : String(port);
  const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' : 'no such address on this machine';
  return new Error(`--${flag} ${value}: cannot listen on ${host}:${port}: ${why} (${(err as Error).message})`);
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const args = parseServeArgs(argv);
  const service = await startService(args).catch((err: unknown) => {
    throw listenError(err, args.host, args.port);
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    io.stderr(`cosrank serve: ${signal}: closing (no new connections; requests already received finish)\n`);
    service.close().catch((err: unknown) => io.stderr(`cosrank serve: close failed: ${err instanceof Error ? err.message : String(err)}\n`));
  };
  const onTerm = () => stop('SIGTERM');
  const onInt = () => stop('SIGINT');
  const onHup = () => {
    service.reload().then(
      () => io.stderr(`cosrank serve: SIGHUP: reloaded ${args.dir}\n`),
      (err: unknown) => io.stderr(`cosrank serve: SIGHUP: reload failed, still serving the previous model: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  };
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  process.on('SIGHUP', onHup);
  try {
    for (const w of service.warnings) io.stderr(`cosrank serve: warning: ${w}\n`);
    const m = service.model();
    if (args.json) {
      const json = { url: service.url, model: args.dir, engine: service.engine, workers: service.workers, processes: service.processes, objectives: m.objectives, featureCount: m.rawFeatureCount };
      io.stdout(JSON.stringify(json) + '\n');
    } else {
      io.stdout(`cosrank serve: listening on ${service.url}\n`);
      io.stdout(`  model ${args.dir}: objectives ${m.objectives.join(', ') || '(none)'}, ${m.rawFeatureCount} raw features\n`);
      io.stdout(`  engine ${service.engine}, ${scoringWhere(service)}\n`);
    }
    await service.closed;
    await service.close();
    return 0;
  } finally {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    process.off('SIGHUP', onHup);
  }
}

function scoringWhere(service: Service): string {
  if (service.processes > 0) return `${service.processes} server processes, each scoring in its HTTP thread`;
  return service.workers === 0 ? 'scoring in the HTTP thread' : `${service.workers} scoring worker threads`;
}

export const command: CliCommand = { name: 'serve', summary: 'serve a model over HTTP: re-rank with the trade-off chosen per request', help: HELP, run };
