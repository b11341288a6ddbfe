/**
 * `npm run bench -- serve [--requests N] [--concurrent-requests N] [--clients C] [--candidates D] [--threads T]`:
 * the HTTP service re-ranking D = 1,000 candidates with 136 raw features (MSLR-shaped generated data,
 * the `mslr` objectives: 5 auxiliary objectives, features 132–136 dropped → 131 model inputs; s0 an MLP
 * 131→64→32→1, the W-COS net an MLP 136→64→64→1, augmentation).
 *
 * The server is the real CLI (`bin/cosrank.js serve --port 0`) in a child process; this process is the
 * client (node:http, keep-alive), on loopback only, with a bounded number of requests:
 *   1. single-request latency: N sequential POST /rerank after a warm-up, p50/p99/mean of the full
 *      round trip (send the JSON body, read the whole response);
 *   2. throughput: C concurrent clients sharing M requests; requests/s, documents/s, latency under load.
 * Beside it, in this process: where a request's time goes (JSON.parse of the body, feature validation,
 * engine scoring), and PyTorch scoring the same ranker on the same batch (benchmarks/peers/torch_serve.py,
 * skipped with a message when torch is missing), with the max |score difference| as a sameness check.
 * Target: p99 under 10 ms for 1,000 candidates on 2 cores.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { generateSynthetic } from '../src/data/generate';
import type { ResolvedObjective } from '../src/data/objectives';
import { objectiveInputMapping } from '../src/data/objectives';
import { presetObjectives } from '../src/data/presets';
import { saveModel, type SavedModel } from '../src/model/modelFile';
import { fitInputNormalisation, initParameters, type Parameters, type RankerSpec, type ScorerSpec } from '../src/model/spec';
import { Ranker, type CandidateDocument } from '../src/serve/ranker';
import { Rng } from '../src/util/rng';

const RAW = 136;

/** The served model: `mslr` objectives, seeded MLPs, input normalisation fitted on the generated features. */
function benchModel(raw: Float32Array, seed: number): SavedModel {
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

/** Starts `cosrank serve` in a child process; resolves with its URL once it listens. */
async function startServer(dir: string, threads: number): Promise<{ child: ChildProcess; url: string; engine: string }> {
  const bin = path.resolve(__dirname, '..', 'bin', 'cosrank.js');
  const child = spawn(process.execPath, [bin, 'serve', dir, '--port', '0', '--host', '127.0.0.1', '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OMP_NUM_THREADS: String(threads) },
  });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start in 60 s: ${err}`)), 60_000);
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        clearTimeout(timer);
        const started = JSON.parse(line) as { url: string; engine: string };
        resolve({ child, url: started.url, engine: started.engine });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${err}`));
    });
  });
}

/** One POST; resolves with the round-trip time in ms once the whole response is read. */
function post(agent: http.Agent, url: URL, body: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(
      { agent, host: url.hostname, port: url.port, path: '/rerank', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 200)}`));
          else resolve(performance.now() - t0);
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function quantiles(ms: number[]): { p50: number; p99: number; mean: number } {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { p50: q(0.5), p99: q(0.99), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

const fmt = (v: number) => v.toFixed(2).padStart(7);
const line = (label: string, l: { p50: number; p99: number; mean: number }, extra = '') =>
  console.log(`  ${label.padEnd(40)} p50 ${fmt(l.p50)} ms  p99 ${fmt(l.p99)} ms  mean ${fmt(l.mean)} ms${extra}`);

interface TorchResult {
  latency_ms: { p50: number; p99: number; mean: number };
  batches_per_s: number;
  scores: number[];
  torch: string;
}

/** PyTorch scoring the same ranker on the same raw batch; null (with a message) when unavailable. */
function runTorch(model: SavedModel, raw: Float32Array, weights: number[], threads: number, repeats: number): TorchResult | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-bench-serve-'));
  const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
  const enc = (p: Parameters) => Object.fromEntries(Object.entries(p).map(([k, t]) => [k, { shape: t.shape, data: b64(t.data) }]));
  const file = path.join(dir, 'manifest.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      spec: model.spec,
      params: { base: enc(model.params.base), cos: enc(model.params.cos as Parameters) },
      rawFeatureCount: RAW,
      inputFeatures: model.inputFeatures,
      features: b64(raw),
      weights,
      c: 1,
      repeats,
      threads,
    }),
  );
  try {
    // Debian's python3-torch lives in the system interpreter, which a pyenv shim may hide
    const python = process.env.COSRANK_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
    const out = execFileSync(python, [path.join(__dirname, 'peers', 'torch_serve.py'), file], {
      env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads) },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 26,
    });
    const parsed = JSON.parse(out.trim().split('\n').pop() as string) as TorchResult & { error?: string };
    if (parsed.error !== undefined) {
      console.log(`  pytorch skipped: ${parsed.error}`);
      return null;
    }
    return parsed;
  } catch (err) {
    console.log(`  pytorch skipped: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    return null;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      requests: { type: 'string', default: '300' },
      'concurrent-requests': { type: 'string', default: '960' },
      clients: { type: 'string', default: '16' },
      candidates: { type: 'string', default: '1000' },
      threads: { type: 'string', default: '2' },
    },
  });
  const nRequests = Number(values.requests);
  const nConcurrent = Number(values['concurrent-requests']);
  const clients = Number(values.clients);
  const nDocs = Number(values.candidates);
  const threads = Number(values.threads);

  // Candidates: the first nDocs documents of generated MSLR-shaped data, with values as a client would
  // send them (6 significant digits rather than float32's 17-digit decimal expansion).
  const ds = generateSynthetic({ queries: Math.ceil(nDocs / 60) + 10, seed: 5, nFeatures: RAW });
  if (ds.features.length < nDocs * RAW) throw new Error('generated too few documents');
  const raw = Float32Array.from(ds.features.subarray(0, nDocs * RAW), (v) => Number(v.toPrecision(6)));
  const model = benchModel(raw, 11);
  const m = model.objectives.length - 1;
  const rng = new Rng(3);
  const tradeOffs = Array.from({ length: 8 }, () => Array.from(rng.dirichlet(new Array<number>(m).fill(1)), (v) => Number(v.toFixed(4))));
  const dense = Array.from({ length: nDocs }, (_, d) => ({ id: `doc${d}`, features: Array.from(raw.subarray(d * RAW, (d + 1) * RAW)) }));
  const b64 = dense.map(({ id, features }) => ({ id, features: Buffer.from(Float32Array.from(features).buffer).toString('base64') }));
  const encodings = [
    { name: 'JSON numbers', bodies: tradeOffs.map((w) => Buffer.from(JSON.stringify({ documents: dense, weights: w, topK: 100 }))) },
    { name: 'base64 float32', bodies: tradeOffs.map((w) => Buffer.from(JSON.stringify({ documents: b64, weights: w, topK: 100 }))) },
  ];

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-bench-serve-'));
  const modelDir = path.join(dir, 'model');
  await saveModel(modelDir, model);
  console.log(`-- re-rank ${nDocs} candidates × ${RAW} raw features (${model.spec.base.inputSize} model inputs, ${m} objectives), topK 100`);
  console.log(`   machine: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), load average ${os.loadavg()[0].toFixed(1)}, node ${process.version}`);

  const ranker = await Ranker.load(modelDir);
  const server = await startServer(modelDir, threads);
  const url = new URL(server.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  try {
    console.log(`   server: cosrank serve (child process), engine ${server.engine}; client: node:http keep-alive, loopback`);
    for (const { name, bodies } of encodings) {
      console.log(`   features as ${name}: body ${(bodies[0].length / 1e6).toFixed(2)} MB`);
      for (let i = 0; i < 30; i++) await post(agent, url, bodies[i % bodies.length]);
      const single: number[] = [];
      for (let i = 0; i < nRequests; i++) single.push(await post(agent, url, bodies[i % bodies.length]));
      const loaded: number[] = [];
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: clients }, async () => {
          while (next < nConcurrent) {
            const i = next++;
            loaded.push(await post(agent, url, bodies[i % bodies.length]));
          }
        }),
      );
      const seconds = (performance.now() - t0) / 1000;
      const s = quantiles(single);
      line(`HTTP POST /rerank, 1 client (${nRequests} req)`, s, `   target p99 < 10 ms: ${s.p99 < 10 ? 'met' : 'NOT met'}`);
      line(`HTTP POST /rerank, ${clients} clients (${nConcurrent} req)`, quantiles(loaded), `   ${(nConcurrent / seconds).toFixed(0)} req/s = ${Math.round((nConcurrent * nDocs) / seconds).toLocaleString('en-US')} docs/s`);

      // Where a request's time goes, in process (same engine as the server picks).
      const parseMs: number[] = [];
      const scoreMs: number[] = [];
      for (let i = 0; i < 120; i++) {
        const t0 = performance.now();
        const body = JSON.parse(bodies[i % bodies.length].toString()) as { documents: CandidateDocument[]; weights: number[] };
        const t1 = performance.now();
        await ranker.scoreDocuments(body.documents, { weights: body.weights });
        const t2 = performance.now();
        if (i >= 20) {
          parseMs.push(t1 - t0);
          scoreMs.push(t2 - t1);
        }
      }
      line('  in process: JSON.parse of the body', quantiles(parseMs));
      line(`  in process: validate + score (${ranker.engineName})`, quantiles(scoreMs));
    }

    const torch = runTorch(model, raw, tradeOffs[0], threads, 300);
    if (torch) {
      const ours = await ranker.score(raw, { weights: tradeOffs[0] });
      let diff = 0;
      for (let d = 0; d < nDocs; d++) diff = Math.max(diff, Math.abs(ours[d] - torch.scores[d]));
      line(`pytorch ${torch.torch} scoring the same batch (${threads} thr)`, torch.latency_ms, `   max |score diff| vs cosrank ${diff.toExponential(1)}`);
      const own: number[] = [];
      for (let i = 0; i < 320; i++) {
        const t0 = performance.now();
        await ranker.score(raw, { weights: tradeOffs[0] });
        if (i >= 20) own.push(performance.now() - t0);
      }
      line(`cosrank ranker.score, same batch (${ranker.engineName})`, quantiles(own), `   ${(torch.latency_ms.p50 / quantiles(own).p50).toFixed(2)}× pytorch's speed at p50`);
    }
  } finally {
    agent.destroy();
    const exited = new Promise((r) => server.child.once('exit', r));
    server.child.kill('SIGTERM');
    await exited;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
