/**
 * The serving process as one call: load the model (in worker threads, or in this thread with
 * `workers: 0`), build the HTTP app, listen — or, with `processes`, start that many server processes
 * sharing the port (cluster.ts). `cosrank serve` parses its flags, calls `startService`, prints, and
 * maps signals to `close()` / `reload()`.
 */
import { availableParallelism } from 'node:os';
import type { Writable } from 'node:stream';
import type { EngineRequest } from '../engine/select';
import { createEngine } from '../engine/select';
import type { ScoringBackend } from './backend';
import { startCluster } from './cluster';
import { createServer, DEFAULT_MAX_DOCUMENTS, type Server, type ServerOptions } from './http';
import { WorkerPool } from './pool';
import type { ServingModel } from './loadServingModel';
import { readRoutesFile, type RoutesOverride } from './operatingPoints';
import { Ranker } from './ranker';

export interface ServiceOptions {
  dir: string;
  /** A routes file used instead of the model's own routes (checked against its operating points at every load). */
  routesFile?: string;
  host: string;
  /** TCP port, 0 = any free one. */
  port: number;
  /** Scoring worker threads; 0 scores in the HTTP thread (default: the core count; 0 with `processes`). */
  workers?: number;
  /**
   * Server processes sharing the port (node:cluster), each with its own HTTP thread, engine and model;
   * this process supervises them (reload, close, replacing one that dies). Absent or 0: this process serves.
   */
  processes?: number;
  /** Intra-op threads of each worker's engine (default 1 with workers or processes, 2 with neither). */
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
  /** This process's HTTP server (absent with `processes`: each server process has its own). */
  server?: Server;
  /** Scoring worker threads per server process (0 = its HTTP thread). */
  workers: number;
  /** Server processes (0 = this process serves). */
  processes: number;
  engine: string;
  /** Things the operator should know (e.g. a non-loopback address without authentication). */
  warnings: string[];
  /** The model now served. */
  model(): ServingModel;
  /** Resolves once the service has stopped (closed, or every HTTP server gone). */
  closed: Promise<void>;
  /** Graceful close: requests already received finish, then the threads and processes stop. */
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
  if (o.processes !== undefined && o.processes > 0) {
    if (o.workers !== undefined && o.workers > 0) throw new Error('workers and processes do not combine: each server process scores in its HTTP thread');
    return startCluster({ ...o, processes: o.processes });
  }
  const workers = o.workers ?? defaultWorkers();
  const routes = o.routesFile ? await readRoutesFile(o.routesFile) : undefined;
  return listenService(await startBackend(o, workers, routes), o, workers);
}

/** The model loaded where it will score: in `workers` worker threads, or in this thread. */
async function startBackend(o: ServiceOptions, workers: number, routes: RoutesOverride | undefined): Promise<{ backend: ScoringBackend | Ranker; loadRanker?: () => Promise<Ranker> }> {
  const maxDocuments = o.maxDocuments ?? DEFAULT_MAX_DOCUMENTS;
  if (workers > 0) {
    return { backend: await WorkerPool.start({ dir: o.dir, routes, workers, threads: o.threads ?? 1, engine: o.engine, limits: { maxDocuments, maxValues: o.maxValues } }) };
  }
  const engine = await createEngine(o.engine ?? 'auto', { onnx: { threads: o.threads ?? 2 } });
  const loadRanker = () => Ranker.load(o.dir, { engineInstance: engine, routes });
  return { backend: await loadRanker(), loadRanker };
}

/**
 * The HTTP app on `backend`, listening at `o.host:o.port` — or at the Unix socket `socketPath` (a
 * server process of a cluster, which gets its connections from the supervisor: clusterMember.ts).
 */
export async function listenService(
  scoring: { backend: ScoringBackend | Ranker; loadRanker?: () => Promise<Ranker> },
  o: ServiceOptions,
  workers: number,
  socketPath?: string,
): Promise<Service> {
  const server = createServer(scoring.backend, {
    maxDocuments: o.maxDocuments ?? DEFAULT_MAX_DOCUMENTS,
    maxValues: o.maxValues,
    bodyLimit: o.bodyLimit,
    loadRanker: scoring.loadRanker,
    reloadToken: o.reloadToken,
    requestTimeout: o.requestTimeout,
    drainTimeout: o.drainTimeout,
    logLevel: o.logLevel,
    logStream: o.logStream ?? process.stderr,
  });
  try {
    await server.app.listen(socketPath === undefined ? { port: o.port, host: o.host } : { path: socketPath });
  } catch (err) {
    await server.close();
    throw err;
  }
  const address = server.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : o.port;
  return {
    url: serviceUrl(o.host, port),
    server,
    workers,
    processes: 0,
    engine: server.backend.engineName(),
    warnings: hostWarnings(o.host),
    model: () => server.backend.model(),
    closed: server.closed,
    close: () => server.close(),
    reload: () => server.reload(),
  };
}

/** The service's URL (an IPv6 address in brackets). */
export function serviceUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** What the operator should be told about listening on `host`. */
export function hostWarnings(host: string): string[] {
  return isLoopback(host)
    ? []
    : [`listening on ${host}, reachable from other machines: the server has no authentication (only /reload can take a token); put it behind a firewall or an authenticating proxy, on a private network`];
}
