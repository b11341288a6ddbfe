/**
 * `npm run bench -- serve [--duration S] [--candidates 100,1000] [--clients 1,16] [--configs today,w0,w1t2,w2,p2]
 *                         [--today-bin PATH] [--soak S] [--load wrk|node]`
 *
 * The HTTP service under load: `cosrank serve` (the real CLI) in a child process, load on loopback
 * (127.0.0.1) only, every cell bounded in time (S seconds, default 4, after a 1 s warm-up). The load
 * generator (`--load`): wrk (Debian's `wrk`, wrkLoad.ts) where it is installed, the default then, else
 * the bench's own keep-alive node:http client (serveLoad.ts) — whose GC pauses delay the answers it
 * times and whose CPU competes with the server's on a small machine (on 2 cores it took most of one).
 * The model: MSLR-shaped generated data with 136 raw features and the `mslr` objectives (5 auxiliary
 * objectives, features 132–136 dropped → 131 model inputs; s0 an MLP 131→64→32→1, the W-COS net an MLP
 * 131→64→64→1, augmentation); requests re-rank D candidates with topK 100, cycling 8 trade-offs.
 *
 * Server configurations, measured in the same run:
 *   today  the server before issue 17 (`--today-bin`: bin/cosrank.js of a checkout of that code) — the peer
 *   w0     scoring in the HTTP thread, ONNX with 2 intra-op threads (`--workers 0 --threads 2`)
 *   w1t2   one scoring worker, ONNX with 2 intra-op threads (ORT's own threads use the second core)
 *   w2     two scoring workers with 1 intra-op thread each (the default on 2 cores)
 *   p2     two server processes behind the port, each scoring in its HTTP thread (`--processes 2`)
 * Body formats: JSON numbers, base64 float32 (in JSON), Arrow IPC stream (id + features fixed-size list).
 * Per cell (for the node client, its longest GC pause during the cell): latency p50/p90/p99 (full round
 * trip), requests/s, documents/s, busy % of each core, the server's CPU (its processes together). `--soak S`
 * (e.g. 300) then runs 16 clients over every format and size for S seconds on the last configuration and
 * prints RSS (of the server's processes together) after warm-up and at the end, and the error count.
 * Targets (issue 17): 1,000 candidates, 1 client: p99 < 10 ms (base64, Arrow), < 15 ms (JSON); 16 clients
 * ≥ 2× today's requests/s per format; soak RSS flat within 10 %, 0 errors.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Field, FixedSizeList, Float32, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { generateSynthetic } from '../src/data/generate';
import type { ResolvedObjective } from '../src/data/objectives';
import { objectiveInputMapping } from '../src/data/objectives';
import { presetObjectives } from '../src/data/presets';
import { saveModel, type SavedModel } from '../src/model/modelFile';
import { fitInputNormalisation, initParameters, type RankerSpec, type ScorerSpec } from '../src/model/spec';
import { Rng } from '../src/util/rng';
import { corePercents, cpuTimes, processCpuSeconds, rssMb, runLoad, startServer, stopServer, summariseLoad, type Body, type LoadSummary, type Started } from './serveLoad';
import { runWrk, wrkAvailable, writeWrkScript } from './wrkLoad';

const RAW = 136;

/** The served model: `mslr` objectives, seeded MLPs, input normalisation fitted on the generated features. */
export function benchModel(raw: Float32Array, seed: number): SavedModel {
  const objectives: ResolvedObjective[] = presetObjectives('mslr').map((o) => {
    const feature = 'feature' in o.source ? o.source.feature : null;
    return { ...o, dropFromInput: feature !== null, target: 'sparse', invert: false, cutPoints: [0, 1, 2, 3], droppedFeatures: feature === null ? [] : [feature] };
  });
  const cols = objectiveInputMapping(objectives, RAW);
  const f = cols.length;
  const m = objectives.length - 1;
  const base: ScorerSpec = { kind: 'mlp', inputSize: f, conditioning: { weights: 0, beta: false }, hidden: [64, 32], activation: 'relu', dropout: 0 };
  const net: ScorerSpec = { kind: 'mlp', inputSize: f, conditioning: { weights: m, beta: false }, hidden: [64, 64], activation: 'relu', dropout: 0 };
  const spec: RankerSpec = { base, cos: { net, parametrisation: 'augment', temperature: false } };
  const rng = new Rng(seed);
  const params = { base: initParameters(base, rng), cos: initParameters(net, rng) };
  const n = raw.length / RAW;
  const mapped = new Float32Array(n * f);
  for (let d = 0; d < n; d++) for (let j = 0; j < f; j++) mapped[d * f + j] = raw[d * RAW + cols[j]];
  fitInputNormalisation(params.base, mapped, f);
  params.cos['input.mean'] = { shape: [f], data: params.base['input.mean'].data.slice() };
  params.cos['input.scale'] = { shape: [f], data: params.base['input.scale'].data.slice() };
  return {
    spec,
    params,
    objectives,
    rawFeatureCount: RAW,
    inputFeatures: Array.from(cols),
    inputFeatureNames: Array.from(cols, (c) => `f${c + 1}`),
    defaultWeights: new Array<number>(m).fill(1 / m),
    metrics: {},
    info: { benchmark: 'serve' },
  };
}

type Format = 'json' | 'base64' | 'arrow';
const FORMAT_NAMES: Record<Format, string> = { json: 'JSON numbers', base64: 'base64 float32', arrow: 'Arrow IPC' };

/** An Arrow IPC stream of the candidates: id (Utf8) and features (fixed-size list of RAW float32). */
function arrowBody(raw: Float32Array, ids: string[]): Buffer {
  const item = new Field('item', new Float32(), false);
  const type = new FixedSizeList(RAW, item);
  const list = makeData({ type, length: ids.length, child: makeData({ type: item.type, length: raw.length, data: raw }) });
  const idVector = vectorFromArray(ids, new Utf8());
  const schema = new Schema([new Field('id', new Utf8(), false), new Field('features', type, false)]);
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: ids.length, children: [idVector.data[0], list] }));
  return Buffer.from(tableToIPC(new Table([batch]), 'stream'));
}

/** Request bodies of `n` candidates in `format`, one per trade-off. */
export function bodies(raw: Float32Array, n: number, format: Format, tradeOffs: number[][]): Body[] {
  const ids = Array.from({ length: n }, (_, d) => `doc${d}`);
  const rows = raw.subarray(0, n * RAW);
  const json = { 'content-type': 'application/json' };
  if (format === 'arrow') {
    const data = arrowBody(rows, ids);
    return tradeOffs.map((w) => ({ data, headers: { 'content-type': 'application/vnd.apache.arrow.stream', 'x-cosrank-options': JSON.stringify({ weights: w, topK: 100 }) } }));
  }
  const docs = ids.map((id, d) => {
    const f = rows.subarray(d * RAW, (d + 1) * RAW);
    return { id, features: format === 'json' ? Array.from(f) : Buffer.from(f.slice().buffer).toString('base64') };
  });
  return tradeOffs.map((w) => ({ data: Buffer.from(JSON.stringify({ documents: docs, weights: w, topK: 100 })), headers: json }));
}

interface Config {
  name: string;
  bin: string;
  args: string[];
  formats: Format[];
  what: string;
}

function configs(names: string[], todayBin: string | undefined): Config[] {
  const bin = path.resolve(__dirname, '..', 'bin', 'cosrank.js');
  const all: Record<string, Config | null> = {
    today: todayBin ? { name: 'today', bin: todayBin, args: [], formats: ['json', 'base64'], what: 'server before issue 17' } : null,
    w0: { name: 'w0', bin, args: ['--workers', '0', '--threads', '2', '--log-level', 'warn'], formats: ['json', 'base64', 'arrow'], what: 'HTTP thread scores, ORT 2 threads' },
    w1t2: { name: 'w1t2', bin, args: ['--workers', '1', '--threads', '2', '--log-level', 'warn'], formats: ['json', 'base64', 'arrow'], what: '1 worker, ORT 2 threads' },
    w2: { name: 'w2', bin, args: ['--workers', '2', '--threads', '1', '--log-level', 'warn'], formats: ['json', 'base64', 'arrow'], what: '2 workers, ORT 1 thread each' },
    p2: { name: 'p2', bin, args: ['--processes', '2', '--threads', '1', '--log-level', 'warn'], formats: ['json', 'base64', 'arrow'], what: '2 server processes, each scoring in its HTTP thread, ORT 1 thread' },
  };
  if (names.includes('today') && !todayBin) console.log('   today: skipped (pass --today-bin <checkout of the code before issue 17>/bin/cosrank.js)');
  return names.map((n) => {
    if (!(n in all)) throw new Error(`unknown config '${n}'; choose from ${Object.keys(all).join(', ')}`);
    return all[n];
  }).filter((c): c is Config => c !== null);
}

const fmt = (v: number, w = 7) => (Number.isFinite(v) ? v.toFixed(v < 100 ? 2 : 0) : '–').padStart(w);

/** Load on a server: `clients` loops over `bodies` for `seconds` after `warmup` seconds not counted. */
type Loader = (url: URL, bodies: Body[], clients: number, seconds: number, warmup?: number) => Promise<LoadSummary>;

/** The load generator `name`: wrk (bodies written once per body set under `dir`) or the node client. */
function loader(name: string, dir: string): Loader {
  if (name === 'node') return async (url, bodies, clients, seconds, warmup) => summariseLoad(await runLoad(url, bodies, clients, seconds, warmup));
  if (name !== 'wrk') throw new Error(`--load: expected wrk or node, got ${name}`);
  if (!wrkAvailable()) throw new Error('--load wrk: wrk is not installed (apt-get install wrk), or pass --load node');
  const scripts = new Map<Body[], Promise<string>>();
  return async (url, bodies, clients, seconds, warmup) => {
    let script = scripts.get(bodies);
    if (script === undefined) {
      script = writeWrkScript(fs.mkdtempSync(path.join(dir, 'wrk-')), bodies);
      scripts.set(bodies, script);
    }
    return runWrk(url, await script, clients, seconds, warmup);
  };
}

/**
 * One cell: load for `seconds`, then a line with latency, throughput and CPU. Returns requests/s and the
 * server's CPU ms per request — on a shared machine the figure that does not depend on what else runs.
 */
async function cell(load: Loader, server: Started, label: string, body: Body[], n: number, clients: number, seconds: number): Promise<{ rps: number; p99: number; cpuMs: number }> {
  const c0 = cpuTimes();
  const s0 = processCpuSeconds(server.child.pid);
  const r = await load(server.url, body, clients, seconds);
  const cores = corePercents(c0, cpuTimes());
  const cpu = processCpuSeconds(server.child.pid) - s0;
  const serverCpu = (100 * cpu) / (r.seconds + 1);
  const cpuMs = (1000 * cpu) / Math.max(1, r.completed);
  const q = r.latency;
  const rps = r.measured / r.seconds;
  console.log(
    `  ${label.padEnd(34)} ${String(clients).padStart(2)} cl  p50 ${fmt(q.p50)}  p90 ${fmt(q.p90)}  p99 ${fmt(q.p99)} ms  ${fmt(rps, 6)} req/s  ${fmt((rps * n) / 1000, 6)}k docs/s  cores ${cores.map((p) => `${p.toFixed(0)}%`).join('/')}  server ${serverCpu.toFixed(0)}% = ${cpuMs.toFixed(1)} CPU ms/req  ${r.clientNote}${r.errors ? `  ERRORS ${r.errors}: ${r.firstError}` : ''}`,
  );
  return { rps, p99: q.p99, cpuMs };
}

async function soak(load: Loader, server: Started, all: Body[][], seconds: number): Promise<void> {
  const mixed = all.flat();
  const warm = Math.min(30, Math.max(5, seconds / 10));
  console.log(`-- soak: 16 clients, every format and size, ${seconds} s after ${warm} s warm-up (RSS of the server's processes together)`);
  await load(server.url, mixed, 16, warm, 0);
  const before = rssMb(server.child.pid);
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, rssMb(server.child.pid))), 1000);
  const r = await load(server.url, mixed, 16, seconds, 0);
  clearInterval(timer);
  const after = rssMb(server.child.pid);
  const change = (100 * (after - before)) / before;
  console.log(`  RSS after warm-up ${before.toFixed(0)} MB, after soak ${after.toFixed(0)} MB (${change >= 0 ? '+' : ''}${change.toFixed(1)} %), peak ${peak.toFixed(0)} MB; ${r.measured} requests, ${r.errors} errors${r.firstError ? ` (${r.firstError})` : ''}; p99 ${r.latency.p99.toFixed(1)} ms`);
  console.log(`  target: RSS within 10 %: ${Math.abs(change) <= 10 ? 'met' : 'NOT met'}; 0 errors: ${r.errors === 0 ? 'met' : 'NOT met'}`);
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: 'string', default: '4' },
      candidates: { type: 'string', default: '100,1000' },
      clients: { type: 'string', default: '1,16' },
      configs: { type: 'string', default: 'today,w0,w1t2,w2,p2' },
      'today-bin': { type: 'string' },
      soak: { type: 'string', default: '0' },
      load: { type: 'string' },
    },
  });
  const seconds = Number(values.duration);
  const sizes = values.candidates.split(',').map(Number);
  const clientCounts = values.clients.split(',').map(Number);
  const ds = generateSynthetic({ queries: Math.ceil(Math.max(...sizes) / 60) + 10, seed: 5, nFeatures: RAW });
  // float32 features, as a feature store holds them (rounded to 6 digits, then stored as float32 again):
  // JSON bodies spell each as its double (up to 17 digits, as JSON.stringify or Python's json print a
  // float32 widened to a double), 1.9 MB at 1,000 × 136
  const raw = Float32Array.from(ds.features.subarray(0, Math.max(...sizes) * RAW), (v) => Number(v.toPrecision(6)));
  const model = benchModel(raw, 11);
  const m = model.objectives.length - 1;
  const rng = new Rng(3);
  const tradeOffs = Array.from({ length: 8 }, () => Array.from(rng.dirichlet(new Array<number>(m).fill(1)), (v) => Number(v.toFixed(4))));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-bench-serve-'));
  await saveModel(path.join(dir, 'model'), model);
  const loadName = values.load ?? (wrkAvailable() ? 'wrk' : 'node');
  const load = loader(loadName, dir);
  console.log(`-- re-rank ${sizes.join(' / ')} candidates × ${RAW} raw features (${model.spec.base.inputSize} model inputs, ${m} objectives), topK 100; ${seconds} s per cell after 1 s warm-up`);
  console.log(`   machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}, node ${process.version}; load: ${loadName === 'wrk' ? 'wrk, 1 thread' : 'node:http keep-alive client in a worker thread'}${values.load === undefined && loadName === 'node' ? ' (wrk is not installed: apt-get install wrk)' : ''}, on 127.0.0.1`);
  const results = new Map<string, number>();
  // the server runs the compiled package, as an installed cosrank does (bin/cosrank.js runs dist/ when
  // it is newer than the sources; through tsx the same code was up to 1.7× slower per request)
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(__dirname, '..', 'tsconfig.build.json')], { stdio: 'inherit' });
  console.log('   server: the compiled package (dist/, built now)');
  const cfgs = configs(values.configs.split(','), values['today-bin'] ? path.resolve(values['today-bin']) : undefined);
  let last: { server: Started; bodies: Body[][] } | null = null;
  try {
    for (const cfg of cfgs) {
      const server = await startServer(cfg.bin, path.join(dir, 'model'), cfg.args);
      console.log(`== ${cfg.name}: ${cfg.what} (engine ${server.engine}); load average ${os.loadavg()[0].toFixed(1)}`);
      const used: Body[][] = [];
      for (const format of cfg.formats) {
        for (const n of sizes) {
          const b = bodies(raw, n, format, tradeOffs);
          used.push(b);
          for (const c of clientCounts) {
            const r = await cell(load, server, `${FORMAT_NAMES[format]}, ${n} cand (${(b[0].data.length / 1e6).toFixed(2)} MB)`, b, n, c, seconds);
            results.set(`${cfg.name}|${format}|${n}|${c}`, r.rps);
            results.set(`${cfg.name}|${format}|${n}|${c}|cpu`, r.cpuMs);
            if (n === 1000 && c === 1) results.set(`${cfg.name}|${format}|p99`, r.p99);
          }
        }
      }
      if (last) await stopServer(last.server);
      last = { server, bodies: used };
    }
    summary(results, cfgs, clientCounts);
    const soakSeconds = Number(values.soak);
    if (last && soakSeconds > 0) await soak(load, last.server, last.bodies, soakSeconds);
  } finally {
    if (last) await stopServer(last.server);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The targets, judged for each configuration measured (but today's), and the sizing figures. */
function summary(results: Map<string, number>, cfgs: Config[], clientCounts: number[]): void {
  for (const c of cfgs) if (c.name !== 'today') summaryOf(results, c.name, clientCounts);
}

function summaryOf(results: Map<string, number>, best: string, clientCounts: number[]): void {
  console.log(`-- targets (${best})`);
  for (const format of ['json', 'base64', 'arrow'] as Format[]) {
    const p99 = results.get(`${best}|${format}|p99`);
    const limit = format === 'json' ? 15 : 10;
    if (p99 !== undefined) console.log(`  1,000 candidates, 1 client, ${FORMAT_NAMES[format]}: p99 ${p99.toFixed(2)} ms (target < ${limit}): ${p99 < limit ? 'met' : 'NOT met'}`);
    const many = Math.max(...clientCounts);
    for (const n of [100, 1000]) {
      const now = results.get(`${best}|${format}|${n}|${many}`);
      const today = results.get(`today|${format}|${n}|${many}`);
      if (now !== undefined && today !== undefined) {
        console.log(`  ${many} clients, ${n} candidates, ${FORMAT_NAMES[format]}: ${now.toFixed(0)} req/s vs today ${today.toFixed(0)} (${(now / today).toFixed(2)}×, target ≥ 2×): ${now >= 2 * today ? 'met' : 'NOT met'}`);
      }
    }
  }
  const many = Math.max(...clientCounts);
  for (const format of ['json', 'base64', 'arrow'] as Format[]) {
    for (const n of [100, 1000]) {
      const now = results.get(`${best}|${format}|${n}|${many}|cpu`);
      const today = results.get(`today|${format}|${n}|${many}|cpu`);
      if (now === undefined) continue;
      // CPU per request does not depend on the machine's other load: requests/s one core sustains
      const vs = today === undefined ? '' : `; today ${today.toFixed(1)} ms (${(today / now).toFixed(2)}× the requests per core)`;
      console.log(`  sizing: ${n} candidates, ${FORMAT_NAMES[format]}: ${now.toFixed(1)} server CPU ms/request → ${(1000 / now).toFixed(0)} req/s per core${vs}`);
    }
  }
}
