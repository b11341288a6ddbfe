/**
 * The serve benchmark's load through wrk (Debian's `wrk`, a maintained C load generator): no garbage
 * collector of its own to pause the answers it times, and a fraction of the CPU of a node:http client,
 * which on a 2-core machine leaves the server the cores it is meant to use. The request bodies are
 * written once to files that a generated Lua script reads at start; each connection then cycles
 * through them, pre-formatted, as the node client does.
 */
import { execFile, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../src/util/atomicWrite';
import type { Body, LoadSummary } from './serveLoad';

const run = promisify(execFile);

/** Whether `wrk` can be run here (`apt-get install wrk`). */
export function wrkAvailable(): boolean {
  const probe = spawnSync('wrk', ['-v'], { encoding: 'utf8' }); // prints its version and exits 1
  return probe.error === undefined && /\bwrk\b/.test(`${probe.stdout}${probe.stderr}`);
}

/** A Lua string literal of any text (bytes escaped as decimal, so no quoting can break it). */
function luaString(text: string): string {
  return `"${Array.from(Buffer.from(text), (b) => (b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${b}`)).join('')}"`;
}

/** Writes the bodies under `dir` and the script that sends them in turn; returns the script's path. */
export async function writeWrkScript(dir: string, bodies: Body[]): Promise<string> {
  const lines = ['local requests = {}', 'init = function(args)'];
  for (const [i, body] of bodies.entries()) {
    const file = path.join(dir, `body-${i}`);
    await writeFileAtomic(file, body.data);
    const headers = Object.entries(body.headers).map(([k, v]) => `[${luaString(k)}] = ${luaString(v)}`);
    lines.push(`  local f = assert(io.open(${luaString(file)}, "rb"))`, '  local data = f:read("*a")', '  f:close()');
    lines.push(`  requests[${i + 1}] = wrk.format("POST", "/rerank", {${headers.join(', ')}}, data)`);
  }
  lines.push(
    'end',
    'local sent = 0',
    'request = function()',
    '  sent = sent + 1',
    '  return requests[(sent - 1) % #requests + 1]',
    'end',
    'done = function(summary, latency, requests)',
    '  local e = summary.errors',
    '  io.write(string.format("COSRANK {\\"requests\\": %d, \\"us\\": %d, \\"p50\\": %d, \\"p90\\": %d, \\"p99\\": %d, \\"errors\\": %d, \\"status\\": %d}\\n",',
    '    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),',
    '    e.connect + e.read + e.write + e.timeout, e.status))',
    'end',
  );
  const script = path.join(dir, 'bodies.lua');
  await writeFileAtomic(script, lines.join('\n') + '\n');
  return script;
}

/** What the script's `done` prints: requests, duration and latency percentiles in µs, socket errors, answers ≥ 400. */
interface WrkRun {
  requests: number;
  us: number;
  p50: number;
  p90: number;
  p99: number;
  errors: number;
  status: number;
}

/** One wrk run of `seconds` over `clients` connections (one wrk thread). */
async function wrkOnce(url: URL, script: string, clients: number, seconds: number): Promise<WrkRun> {
  const { stdout } = await run('wrk', ['-t1', `-c${clients}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, url.origin], { maxBuffer: 1 << 20 });
  const line = stdout.split('\n').find((l) => l.startsWith('COSRANK '));
  if (line === undefined) throw new Error(`wrk printed no summary: ${stdout.slice(0, 400)}`);
  return JSON.parse(line.slice('COSRANK '.length)) as WrkRun;
}

/**
 * `clients` connections sending the script's bodies for `seconds` after `warmup` seconds not counted
 * (a separate wrk run, so its slow first requests stay out of the percentiles).
 */
export async function runWrk(url: URL, script: string, clients: number, seconds: number, warmup = 1): Promise<LoadSummary> {
  const warm = warmup > 0 ? await wrkOnce(url, script, clients, warmup) : { requests: 0, errors: 0, status: 0 };
  const r = await wrkOnce(url, script, clients, seconds);
  const errors = r.errors + r.status + warm.errors + warm.status;
  return {
    latency: { p50: r.p50 / 1000, p90: r.p90 / 1000, p99: r.p99 / 1000 },
    measured: r.requests,
    completed: r.requests + warm.requests,
    seconds: r.us / 1e6,
    errors,
    firstError: errors > 0 ? `${r.status + warm.status} answers with status ≥ 400, ${r.errors + warm.errors} socket errors or timeouts (wrk)` : undefined,
    clientNote: 'wrk',
  };
}
