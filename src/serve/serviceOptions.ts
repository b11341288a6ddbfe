/**
 * The service's options and handle, shared by the one-process service (service.ts) and the server
 * processes' supervisor (cluster.ts), with the address helpers both use.
 */
import { availableParallelism } from 'node:os';
import type { Writable } from 'node:stream';
import type { EngineRequest } from '../engine/select';
import type { Server, ServerOptions } from './http';
import type { ServingModel } from './loadServingModel';

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
   * Server processes behind the port (cluster.ts: this process accepts connections and hands them over),
   * each with its own HTTP thread, engine and model; this process supervises them (reload, close,
   * replacing one that dies). Absent or 0: this process serves.
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
