/**
 * The serving process as one call: load the model (in worker threads, or in this thread with
 * `workers: 0`), build the HTTP app, listen. `cosrank serve` parses its flags, calls `startService`,
 * prints, and maps signals to `close()` / `reload()`.
 */
import { availableParallelism } from 'node:os';
import type { Writable } from 'node:stream';
import type { EngineRequest } from '../engine/select';
import { createEngine } from '../engine/select';
import type { ScoringBackend } from './backend';
import { createServer, DEFAULT_MAX_DOCUMENTS, type Server, type ServerOptions } from './http';
import { WorkerPool } from './pool';
import { readRoutesFile } from './operatingPoints';
import { Ranker } from './ranker';

export interface ServiceOptions {
  dir: string;
  /** A routes file used instead of the model's own routes (checked against its operating points at every load). */
  routesFile?: string;
  host: string;
  /** TCP port, 0 = any free one. */
  port: number;
  /** Scoring worker threads; 0 scores in the HTTP thread (default: the core count). */
  workers?: number;
  /** Intra-op threads of each worker's engine (default 1 with workers, 2 without). */
  threads?: number;
  engine?: EngineRequest;
  maxDocuments?: number;
  /** Bound on documents × raw features of one request (default 2^24). */
  maxValues?: number;
  bodyLimit?: number;
  reloadToken?: string;
  requestTimeout?: number;
  drainTimeout?: number;
  logLevel?: ServerOptions['logLevel'];
  /** Where fastify's log lines go (default: stderr). */
  logStream?: Writable;
}

export interface Service {
  url: string;
  server: Server;
  /** Scoring threads (0 = the HTTP thread). */
  workers: number;
  engine: string;
  /** Things the operator should know (e.g. a non-loopback address without authentication). */
  warnings: string[];
  /** Graceful close: requests already received finish, then the threads stop. */
  close(): Promise<void>;
  reload(): Promise<void>;
}

/** Default worker count: one per core the process may use. */
export function defaultWorkers(): number {
  return availableParallelism();
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export async function startService(o: ServiceOptions): Promise<Service> {
  const workers = o.workers ?? defaultWorkers();
  const maxDocuments = o.maxDocuments ?? DEFAULT_MAX_DOCUMENTS;
  const routes = o.routesFile ? await readRoutesFile(o.routesFile) : undefined;
  let backend: ScoringBackend | Ranker;
  let loadRanker: (() => Promise<Ranker>) | undefined;
  if (workers > 0) {
    backend = await WorkerPool.start({ dir: o.dir, routes, workers, threads: o.threads ?? 1, engine: o.engine, limits: { maxDocuments, maxValues: o.maxValues } });
  } else {
    const engine = await createEngine(o.engine ?? 'auto', { onnx: { threads: o.threads ?? 2 } });
    loadRanker = () => Ranker.load(o.dir, { engineInstance: engine, routes });
    backend = await loadRanker();
  }
  const server = createServer(backend, {
    maxDocuments,
    maxValues: o.maxValues,
    bodyLimit: o.bodyLimit,
    loadRanker,
    reloadToken: o.reloadToken,
    requestTimeout: o.requestTimeout,
    drainTimeout: o.drainTimeout,
    logLevel: o.logLevel,
    logStream: o.logStream ?? process.stderr,
  });
  try {
    await server.app.listen({ port: o.port, host: o.host });
  } catch (err) {
    await server.close();
    throw err;
  }
  const address = server.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : o.port;
  const warnings = isLoopback(o.host)
    ? []
    : [`listening on ${o.host}, reachable from other machines: the server has no authentication (only /reload can take a token); put it behind a firewall or an authenticating proxy, on a private network`];
  return {
    url: `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`,
    server,
    workers,
    engine: server.backend.engineName(),
    warnings,
    close: () => server.close(),
    reload: () => server.reload(),
  };
}
