/**
 * The serving process as one call: load the model (in worker threads, or in this thread with
 * `workers: 0`), build the HTTP app, listen — or, with `processes`, start that many server processes
 * sharing the port (cluster.ts). `cosrank serve` parses its flags, calls `startService`, prints, and
 * maps signals to `close()` / `reload()`.
 */
import { createEngine } from '../engine/select';
import type { ScoringBackend } from './backend';
import { startCluster } from './cluster';
import { createServer, DEFAULT_MAX_DOCUMENTS } from './http';
import { WorkerPool } from './pool';
import { readRoutesFile, type RoutesOverride } from './operatingPoints';
import { Ranker } from './ranker';
import { defaultWorkers, hostWarnings, serviceUrl, type Service, type ServiceOptions } from './serviceOptions';

export { defaultWorkers, hostWarnings, isLoopback, serviceUrl, type Service, type ServiceOptions } from './serviceOptions';

/** Loads the model and listens; resolves once requests are answered (see the module comment). */
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
