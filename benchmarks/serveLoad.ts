/**
 * The serve benchmark's own load generator and probes (loopback only): a `cosrank serve` child process,
 * a keep-alive node:http client running C concurrent request loops for a fixed time, latency
 * percentiles, and CPU / RSS read from /proc (per core for the machine, total for the server process).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import { PerformanceObserver } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { workerScript } from '../src/util/workerScript';

export interface Started {
  child: ChildProcess;
  url: URL;
  engine: string;
}

/** Starts `node <bin> serve <dir> --port 0 --host 127.0.0.1 --json <args>`; resolves once it listens. */
export async function startServer(bin: string, dir: string, args: string[]): Promise<Started> {
  const child = spawn(process.execPath, [bin, 'serve', dir, '--port', '0', '--host', '127.0.0.1', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in 180 s: ${err}`)), 180_000);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      if (!out.includes('\n')) return;
      clearTimeout(timer);
      const started = JSON.parse(out.split('\n')[0]) as { url: string; engine: string };
      resolve({ child, url: new URL(started.url), engine: started.engine });
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${err}`));
    });
  });
}

export async function stopServer(s: Started): Promise<void> {
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

export interface Body {
  data: Buffer;
  headers: Record<string, string>;
}

/** One POST /rerank; resolves with the round-trip ms once the whole response is read (non-200 rejects). */
export function post(agent: http.Agent, url: URL, body: Body): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ agent, host: url.hostname, port: url.port, path: '/rerank', method: 'POST', headers: { ...body.headers, 'content-length': body.data.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 200)}`));
        else resolve(performance.now() - t0);
      });
    });
    req.on('error', reject);
    req.end(body.data);
  });
}

export interface LoadResult {
  latencies: number[];
  /** Requests answered over the whole run, warm-up included (for CPU per request). */
  completed: number;
  seconds: number;
  errors: number;
  firstError?: string;
  /** The client's own garbage-collection pauses during the run (ms): they delay the answers it times. */
  clientGc: { total: number; max: number };
}

/** What a cell reports, from either load generator (this module's node client or wrk, wrkLoad.ts). */
export interface LoadSummary {
  /** Round-trip latency percentiles (ms) of the measured requests. */
  latency: { p50: number; p90: number; p99: number };
  /** Requests answered in the measured `seconds`, and over the whole run with the warm-up (for CPU per request). */
  measured: number;
  completed: number;
  seconds: number;
  errors: number;
  firstError?: string;
  /** Who measured, and what may have delayed it (the node client's longest GC pause). */
  clientNote: string;
}

/** The node client's result as a cell reports it. */
export function summariseLoad(r: LoadResult): LoadSummary {
  const { latencies, completed, seconds, errors, firstError, clientGc } = r;
  return { latency: quantiles(latencies), measured: latencies.length, completed, seconds, errors, firstError, clientNote: `node client, GC max ${clientGc.max.toFixed(1)} ms` };
}

/**
 * `clients` request loops over `bodies` for `seconds` (after `warmup` seconds not counted), run in a
 * worker thread: the client then has its own small heap, so the collections of the bench's large one
 * (generated data, every body) do not pause it — a major collection in the middle of a one-client run
 * delayed answers by 5–18 ms when the client ran in the bench's thread. The client's own GC pauses are
 * reported with the result.
 */
export async function runLoad(url: URL, bodies: Body[], clients: number, seconds: number, warmup = 1): Promise<LoadResult> {
  const setup: ClientSetup = { url: url.href, bodies: bodies.map((b) => ({ data: b.data, headers: b.headers })), clients, seconds, warmup };
  const worker = new Worker(workerScript(__filename), { eval: true, workerData: { serveLoadClient: setup } });
  try {
    return await new Promise<LoadResult>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`load client exited (code ${code})`)));
    });
  } finally {
    await worker.terminate();
  }
}

interface ClientSetup {
  url: string;
  bodies: { data: Uint8Array; headers: Record<string, string> }[];
  clients: number;
  seconds: number;
  warmup: number;
}

/** The client loops (in the worker thread of runLoad). */
async function clientLoop(setup: ClientSetup): Promise<LoadResult> {
  const { clients, seconds, warmup } = setup;
  const url = new URL(setup.url);
  const bodies = setup.bodies.map((b) => ({ data: Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength), headers: b.headers }));
  const pauses: number[] = [];
  const gcWatch = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push(e.duration);
  });
  gcWatch.observe({ entryTypes: ['gc'] });
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const latencies: number[] = [];
  let errors = 0;
  let completed = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const measureFrom = t0 + warmup * 1000;
  const end = measureFrom + seconds * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        try {
          const ms = await post(agent, url, bodies[next++ % bodies.length]);
          completed++;
          if (started >= measureFrom) latencies.push(ms);
        } catch (err) {
          errors++;
          firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
    }),
  );
  agent.destroy();
  gcWatch.disconnect();
  const clientGc = { total: pauses.reduce((a, b) => a + b, 0), max: Math.max(0, ...pauses) };
  return { latencies, completed, seconds: (performance.now() - measureFrom) / 1000, errors, firstError, clientGc };
}

if (!isMainThread && (workerData as { serveLoadClient?: ClientSetup } | null)?.serveLoadClient) {
  void clientLoop((workerData as { serveLoadClient: ClientSetup }).serveLoadClient).then((r) => parentPort?.postMessage(r));
}

export function quantiles(ms: number[]): { p50: number; p90: number; p99: number } {
  const s = Float64Array.from(ms).sort();
  const q = (p: number) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor(p * s.length))]);
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99) };
}

/** Busy and total jiffies per core, from /proc/stat (empty off Linux). */
export function cpuTimes(): { busy: number; total: number }[] {
  try {
    return fs
      .readFileSync('/proc/stat', 'utf8')
      .split('\n')
      .filter((l) => /^cpu\d+ /.test(l))
      .map((l) => {
        const v = l.trim().split(/\s+/).slice(1).map(Number);
        const idle = v[3] + (v[4] ?? 0);
        const total = v.reduce((a, b) => a + b, 0);
        return { busy: total - idle, total };
      });
  } catch {
    return [];
  }
}

/** Per-core busy % between two `cpuTimes()` samples. */
export function corePercents(a: { busy: number; total: number }[], b: { busy: number; total: number }[]): number[] {
  return b.map((x, i) => (100 * (x.busy - a[i].busy)) / Math.max(1, x.total - a[i].total));
}

/** `pid` and its descendants (server processes of `serve --processes`), from /proc/<pid>/task/<tid>/children. */
function processTree(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) {
    try {
      for (const task of fs.readdirSync(`/proc/${all[i]}/task`)) {
        const children = fs.readFileSync(`/proc/${all[i]}/task/${task}/children`, 'utf8').trim();
        if (children !== '') all.push(...children.split(' ').map(Number));
      }
    } catch {
      // the process ended meanwhile
    }
  }
  return all;
}

/** CPU seconds (user + system) used so far by a process and its descendants, from /proc; NaN when unavailable. */
export function processCpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const fields = fs.readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
    } catch {
      if (p === pid) return NaN;
    }
  }
  return total;
}

/** Resident set size of a process and its descendants in MB, from /proc/<pid>/status; NaN when unavailable. */
export function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  let total = 0;
  for (const p of processTree(pid)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) total += Number(m[1]) / 1024;
      else if (p === pid) return NaN;
    } catch {
      if (p === pid) return NaN;
    }
  }
  return total;
}
