/**
 * `serve --processes N`: N server processes behind one port, each with its own HTTP server, engine and
 * model, scoring in its HTTP thread (clusterMember.ts). A request then costs one process's work and no
 * hand-over between threads: with many concurrent clients of short lists that gives more requests per
 * second than worker threads (README, sizing). This process owns the listening socket: it accepts each
 * connection without reading from it and passes it to the server processes in turn (a connection then
 * stays with its process). It also supervises them:
 *
 * - reload, atomic across processes: every process loads the new model beside the old (`load`), then
 *   every one holds new requests (`pause`), and only then does each get `commit`; if any fails, all
 *   `abort` and keep the old model (memberBackend.ts). Reloads run one after another.
 * - close: the listening socket closes first (new connections are refused at once, as with threads),
 *   then every process drains (requests already received finish) and exits; one that has not exited
 *   `drainTimeout` + 10 s later is killed. (With node:cluster's own hand-over the port stays open until
 *   the last process stops listening, and connections accepted in between are reset.)
 * - a process that dies is replaced with one loading the model directory (after RESTART_DELAY_MS when
 *   the one before it died before serving, so a model that cannot load does not restart in a hot loop).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import * as net from 'node:net';
import { extname, join } from 'node:path';
import type { EngineRequest } from '../engine/select';
import { processExecArgv } from '../util/workerScript';
import { loadServingModel, type ServingModel } from './loadServingModel';
import { readRoutesFile, type RoutesOverride } from './operatingPoints';
import { hostWarnings, serviceUrl, type Service, type ServiceOptions } from './serviceOptions';

/** The environment variable carrying a member's options (JSON) from the supervisor. */
export const MEMBER_OPTIONS_ENV = 'COSRANK_SERVE_MEMBER';

/** A member's options: the service's (a member logs to its own stderr) and the routes, read once here. */
export type MemberOptions = Omit<ServiceOptions, 'logStream' | 'workers' | 'processes' | 'routesFile'> & { routes?: RoutesOverride; engine?: EngineRequest };

export type ToMember =
  | { kind: 'load'; seq: number }
  | { kind: 'pause'; seq: number }
  | { kind: 'commit' }
  | { kind: 'abort' }
  | { kind: 'reloaded'; seq: number; error?: string }
  | { kind: 'close' }
  /** Sent with a connection's socket, to serve. */
  | { kind: 'connection' };

export type FromMember =
  /** Serving; `socketDir` is its private directory, removed here when it exits (a killed process cannot). */
  | { kind: 'ready'; engine: string; socketDir: string }
  | { kind: 'failed'; message: string; code?: string; syscall?: string }
  | { kind: 'loaded'; seq: number; error?: string }
  | { kind: 'paused'; seq: number }
  | { kind: 'reload'; seq: number };

/** Wait before starting again a process whose predecessor died before it served. */
const RESTART_DELAY_MS = 1000;
/** How long past the drain timeout a closing process may take before it is killed. */
const CLOSE_GRACE_MS = 10_000;

interface Member {
  child: ChildProcess;
  ready: boolean;
  socketDir?: string;
  replies: Map<number, { resolve: (m: FromMember) => void; reject: (e: Error) => void }>;
}

/** Starts `o.processes` server processes on `o.host:o.port`; resolves once all of them listen. */
export async function startCluster(o: ServiceOptions & { processes: number }): Promise<Service> {
  if (!(Number.isInteger(o.processes) && o.processes >= 1)) throw new Error(`processes must be a positive integer, got ${o.processes}`);
  if (o.logStream !== undefined) throw new Error('logStream: with processes, each server process logs to its own stderr');
  const routes = o.routesFile ? await readRoutesFile(o.routesFile) : undefined;
  // the model is read here first, so that a bad directory fails before any process starts
  const model = await loadServingModel(o.dir, routes);
  const { logStream: _, workers: __, processes, routesFile: ___, ...shared } = o;
  const supervisor = new Supervisor({ ...shared, routes }, o.drainTimeout ?? 30_000, model);
  const { port, engine } = await supervisor.start(processes, o.host, o.port);
  return {
    url: serviceUrl(o.host, port),
    workers: 0,
    processes,
    engine,
    warnings: hostWarnings(o.host),
    model: () => supervisor.model,
    closed: supervisor.closed,
    close: () => supervisor.close(),
    reload: () => supervisor.reload(),
  };
}

class Supervisor {
  private members: Member[] = [];
  private readonly exec = join(__dirname, `clusterMember${extname(__filename)}`);
  /** The listening socket (this process accepts, the members serve). */
  private readonly listener = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.handOff(socket));
  private next = 0;
  private started = false;
  private reloads: Promise<void> = Promise.resolve();
  private closing: Promise<void> | null = null;
  private restartTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((r) => (this.resolveClosed = r));

  constructor(
    private readonly options: MemberOptions,
    private readonly drainTimeout: number,
    public model: ServingModel,
  ) {}

  /** Starts `n` processes, then listens; if any of it fails, stops the processes and rejects with the error. */
  async start(n: number, host: string, port: number): Promise<{ port: number; engine: string }> {
    try {
      const ready = await Promise.all(Array.from({ length: n }, () => this.fork()));
      await new Promise<void>((resolve, reject) => {
        this.listener.once('error', reject);
        this.listener.listen({ port, host }, () => {
          this.listener.off('error', reject);
          resolve();
        });
      });
      this.started = true;
      const address = this.listener.address();
      return { port: typeof address === 'object' && address !== null ? address.port : port, engine: ready[0].engine };
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** A new connection, unread, to the next member that serves (in turn); none serving: it is closed. */
  private handOff(socket: net.Socket): void {
    const serving = this.members.filter((m) => m.ready && m.child.connected);
    if (serving.length === 0 || this.closing !== null) return void socket.destroy();
    const member = serving[this.next++ % serving.length];
    member.child.send({ kind: 'connection' } satisfies ToMember, socket, (err: Error | null) => err && socket.destroy());
  }

  /** One more server process; resolves when it serves. */
  private fork(): Promise<{ engine: string }> {
    const child = fork(this.exec, [], {
      execArgv: processExecArgv(this.exec),
      env: { ...process.env, [MEMBER_OPTIONS_ENV]: JSON.stringify(this.options) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const member: Member = { child, ready: false, replies: new Map() };
    this.members.push(member);
    return new Promise((resolve, reject) => {
      child.on('message', (m: FromMember) => {
        if (m.kind === 'ready') {
          member.ready = true;
          member.socketDir = m.socketDir;
          resolve(m);
        } else if (m.kind === 'failed') {
          reject(Object.assign(new Error(m.message), { code: m.code, syscall: m.syscall }));
        } else if (m.kind === 'reload') {
          this.reload().then(
            () => this.post(member, { kind: 'reloaded', seq: m.seq }),
            (err: Error) => this.post(member, { kind: 'reloaded', seq: m.seq, error: err.message }),
          );
        } else {
          const waiting = member.replies.get(m.seq);
          member.replies.delete(m.seq);
          waiting?.resolve(m);
        }
      });
      child.on('exit', (code, signal) => {
        const err = new Error(`server process ${child.pid} exited (${signal ?? `code ${code}`})`);
        reject(err); // no effect once it was ready
        for (const w of member.replies.values()) w.reject(err);
        member.replies.clear();
        this.members = this.members.filter((x) => x !== member);
        if (member.socketDir !== undefined) rmSync(member.socketDir, { recursive: true, force: true });
        this.onExit(member, err);
      });
    });
  }

  private onExit(dead: Member, err: Error): void {
    if (this.closing !== null) {
      if (this.members.length === 0) this.resolveClosed();
      return;
    }
    if (!this.started) return; // start() fails and closes the rest
    process.emitWarning(`cosrank serve: ${err.message}; starting a replacement`);
    this.restartTimer = setTimeout(
      () => {
        if (this.closing === null) this.fork().catch((e: Error) => process.emitWarning(`cosrank serve: a replacement server process failed: ${e.message}`));
      },
      dead.ready ? 0 : RESTART_DELAY_MS,
    );
  }

  private post(member: Member, m: ToMember): void {
    if (member.child.connected) member.child.send(m, () => undefined);
  }

  /** Sends `kind` and resolves with the member's failure (null: done); an error too when it dies first. */
  private ask(member: Member, kind: 'load' | 'pause'): Promise<Error | null> {
    const seq = this.seq++;
    return new Promise<FromMember>((resolve, reject) => {
      member.replies.set(seq, { resolve, reject });
      member.child.send({ kind, seq } satisfies ToMember, (err: Error | null) => err && reject(err));
    }).then(
      (r) => (r.kind === 'loaded' && r.error !== undefined ? new Error(r.error) : null),
      (err: Error) => err,
    );
  }

  reload(): Promise<void> {
    const next = this.reloads.then(() => this.reloadNow());
    this.reloads = next.catch(() => undefined);
    return next;
  }

  private async reloadNow(): Promise<void> {
    if (this.closing !== null) throw new Error('the service is closing');
    const members = this.members.filter((m) => m.ready);
    const [model, ...loaded] = await Promise.all([
      loadServingModel(this.options.dir, this.options.routes).catch((err: unknown) => err as Error),
      ...members.map((m) => this.ask(m, 'load')),
    ]);
    let failure = model instanceof Error ? model : (loaded.find((e) => e !== null) ?? null);
    if (failure === null) failure = (await Promise.all(members.map((m) => this.ask(m, 'pause')))).find((e) => e !== null) ?? null;
    if (failure === null && members.some((m) => !this.members.includes(m))) failure = new Error('a server process was replaced during the reload');
    if (failure !== null) {
      for (const m of this.members) this.post(m, { kind: 'abort' });
      throw failure;
    }
    // every process holds new requests now: none can answer with the old model after another used the new
    for (const m of members) this.post(m, { kind: 'commit' });
    this.model = model as ServingModel;
  }

  close(): Promise<void> {
    return (this.closing ??= this.closeNow());
  }

  private async closeNow(): Promise<void> {
    clearTimeout(this.restartTimer);
    if (this.listener.listening) this.listener.close();
    if (this.members.length === 0) return this.resolveClosed();
    // a process still starting has no handlers yet: the signal ends it at once (it was not serving)
    for (const m of this.members) {
      if (m.ready) this.post(m, { kind: 'close' });
      else m.child.kill('SIGTERM');
    }
    const kill = setTimeout(() => {
      for (const m of this.members) m.child.kill('SIGKILL');
    }, this.drainTimeout + CLOSE_GRACE_MS);
    await this.closed;
    clearTimeout(kill);
  }
}
