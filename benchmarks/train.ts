/**
 * `npm run bench -- train [--seconds S] [--rounds R] [--threads T] [--engines onnx,onnx-1graph,tfjs] [--only a,b] [--docs D]`:
 * training steps/s of each engine (default: the onnx engine) beside PyTorch (`benchmarks/peers/torch_bench.py`,
 * skipped with a message when torch is missing), from the same initial weights and the same batch, plus
 * inference docs/s — all in one run, interleaved.
 *
 * The machine may be shared, so each workload is timed in R rounds (default 5) of S seconds (default 3) per
 * engine, the engines alternating inside every round (PyTorch first in even rounds, last in odd ones) against
 * ONE long-lived PyTorch process (`serve` mode: torch is imported and the workloads built once). Printed per
 * engine and workload: median steps/s (docs/s for inference), ≈GFLOP/s at that rate, median process CPU
 * milliseconds per step (user + system, all threads: the figure least distorted by other jobs), and the ratio
 * to PyTorch as the median of the per-round ratios with their range; the load average before and after.
 *
 * Workloads (32 lists × 128 documents):
 * - `mlp141`: COS net MLP 141→256→256→1 (scratch) against a frozen reference of the same shape, ListNet on s − s0;
 * - `cos-mlp`: the project's default W-COS MLP (net [64, 64], augmentation over an s0 MLP [64, 32]), 131 features,
 *   m = 5, LiPO sparse targets;
 * - `cos-transformer`: a 2-layer transformer net (d 64, 4 heads, ff 128) augmenting a frozen 2-layer transformer s0
 *   (d 128, ff 256), 131 features, m = 5, LiPO sparse targets;
 * - `infer`: scoring D = 100,000 documents with an MLP 141→256→256→1 (`Engine.score`).
 * GFLOP counts: training ≈ forward of s0 + 3 × forward of the net (multiply-adds × 2); inference = one forward.
 * PyTorch runs with OPENBLAS_CORETYPE=Haswell (SkylakeX on CPUs with AVX-512), OMP_WAIT_POLICY=PASSIVE and
 * T threads for both OpenMP and OpenBLAS (setup: `apt-get install -y python3-torch libopenblas0`; the
 * interpreter is `$COSRANK_PYTHON`, else /usr/bin/python3).
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { parseArgs } from 'node:util';
import { initParameters, type Parameters, type RankerSpec, type ScorerSpec } from '../src/model/spec';
import { DEFAULT_OPTIMIZER, type Engine, type ListBatch, type LossSpec } from '../src/engine/engine';
import type { RankerParameters } from '../src/model/rankerParameters';
import { createOnnxEngine } from '../src/engine/onnx/engine';
import { Rng } from '../src/util/rng';

export interface Workload {
  name: string;
  spec: RankerSpec;
  params: RankerParameters;
  loss: LossSpec;
  batch: ListBatch;
  /** Approximate floating-point operations of one training step. */
  flops: number;
}

const B = 32;
const N = 128;

const mlp = (inputSize: number, hidden: number[], weights = 0): ScorerSpec => ({
  kind: 'mlp',
  inputSize,
  conditioning: { weights, beta: false },
  hidden,
  activation: 'relu',
  dropout: 0,
});
const transformer = (inputSize: number, d: number, ff: number, weights = 0): ScorerSpec => ({
  kind: 'transformer',
  inputSize,
  conditioning: { weights, beta: false },
  dModel: d,
  nLayers: 2,
  nHeads: 4,
  ffHidden: ff,
  activation: 'relu',
  dropout: 0,
});

/** Forward multiply-add FLOPs of one scorer on B·N documents. */
export function forwardFlops(s: ScorerSpec, rows: number, listSize: number): number {
  const u = s.inputSize + s.conditioning.weights * (s.conditioning.beta ? 2 : 1);
  if (s.kind === 'mlp') {
    const sizes = [u, ...s.hidden, 1];
    let f = 0;
    for (let i = 0; i + 1 < sizes.length; i++) f += 2 * rows * sizes[i] * sizes[i + 1];
    return f;
  }
  const d = s.dModel;
  const block = 2 * rows * (4 * d * d + 2 * d * s.ffHidden) + 2 * 2 * rows * listSize * d;
  return 2 * rows * u * d + s.nLayers * block + 2 * rows * d;
}

/** A padded batch with lists of 64–128 documents, graded labels 0–4, Dirichlet trade-offs. */
function makeBatch(rng: Rng, f: number, m: number): ListBatch {
  const mask = new Uint8Array(B * N);
  const labels = Array.from({ length: Math.max(1, m) }, () => new Float32Array(B * N));
  for (let b = 0; b < B; b++) {
    const len = 64 + rng.int(N - 63);
    mask.fill(1, b * N, b * N + len);
    for (const l of labels) for (let i = 0; i < len; i++) l[b * N + i] = rng.int(5);
  }
  const features = new Float32Array(B * N * f);
  for (let i = 0; i < B * N; i++) if (mask[i]) for (let k = 0; k < f; k++) features[i * f + k] = rng.normal();
  const weights = new Float32Array(B * m);
  for (let b = 0; b < B && m > 0; b++) weights.set(rng.dirichlet(new Array(m).fill(1)), b * m);
  return { batchSize: B, listSize: N, inputSize: f, features, mask, labels, weights, beta: new Float32Array(B * m).fill(1) };
}

export function workloads(seed = 1): Workload[] {
  const rng = new Rng(seed);
  const make = (name: string, spec: RankerSpec, loss: LossSpec, m: number): Workload => {
    const cos = spec.cos as NonNullable<RankerSpec['cos']>;
    const params = { base: initParameters(spec.base, rng), cos: initParameters(cos.net, rng) };
    const flops = forwardFlops(spec.base, B * N, N) + 3 * forwardFlops(cos.net, B * N, N);
    return { name, spec, params, loss, batch: makeBatch(rng, spec.base.inputSize, m), flops };
  };
  const lipo: LossSpec = { kind: 'lipo', targets: ['sparse', 'sparse', 'sparse', 'sparse', 'sparse'], lambda: 0 };
  return [
    make('mlp141', { base: mlp(141, [256, 256]), cos: { net: mlp(141, [256, 256]), parametrisation: 'scratch', temperature: false } }, { kind: 'listnet' }, 0),
    make('cos-mlp', { base: mlp(131, [64, 32]), cos: { net: mlp(131, [64, 64], 5), parametrisation: 'augment', temperature: false } }, lipo, 5),
    make(
      'cos-transformer',
      { base: transformer(131, 128, 256), cos: { net: transformer(131, 64, 128, 5), parametrisation: 'augment', temperature: false } },
      lipo,
      5,
    ),
  ];
}

/** Engines that load here: onnx, and tfjs when its engine module is present (or only those named in `which`). */
export async function loadEngines(threads: number, which: string[] = ['onnx', 'tfjs']): Promise<{ engines: Engine[]; notes: string[] }> {
  const engines: Engine[] = [];
  const notes: string[] = [];
  if (which.includes('onnx')) engines.push(await createOnnxEngine({ threads }));
  // the one-graph step with intra-op threads instead of data-parallel parts, for comparison
  if (which.includes('onnx-1graph')) engines.push({ ...(await createOnnxEngine({ threads, dataParallel: false })), name: 'onnx-1graph' });
  if (which.includes('tfjs')) {
    try {
      const mod = (await import('../src/engine/tfjs/engine')) as { createTfjsEngine(o?: object): Promise<Engine> };
      engines.push(await mod.createTfjsEngine());
    } catch (err) {
      notes.push(`tfjs engine skipped: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { engines, notes };
}

const b64 = (a: Float32Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const encodeParams = (p: Parameters) => Object.fromEntries(Object.entries(p).map(([k, t]) => [k, { shape: t.shape, data: b64(t.data) }]));

/**
 * OpenBLAS kernel choice: SkylakeX (as requested for this benchmark) only where the CPU has AVX-512 —
 * elsewhere that kernel dies with SIGILL — else Haswell (AVX2); `$OPENBLAS_CORETYPE` wins when set.
 */
function openblasCore(): string {
  if (process.env.OPENBLAS_CORETYPE) return process.env.OPENBLAS_CORETYPE;
  const info = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  return info.includes('avx512f') ? 'SkylakeX' : 'Haswell';
}

const PEER = path.join(__dirname, 'peers', 'torch_bench.py');
/** Debian's python3-torch lives in the system interpreter, which a pyenv shim may hide. */
const pythonPath = () => process.env.COSRANK_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const peerEnv = (threads: number): NodeJS.ProcessEnv => ({
  ...process.env,
  OPENBLAS_CORETYPE: openblasCore(),
  OMP_WAIT_POLICY: 'PASSIVE',
  OMP_NUM_THREADS: String(threads),
  OPENBLAS_NUM_THREADS: String(threads),
});

/** Runs the PyTorch peer on a manifest; null (with the reason printed) when torch is missing. */
export function runTorch(task: 'train' | 'infer', manifest: object, threads: number): Record<string, { rate: number; losses?: number[] }> | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-bench-'));
  const file = path.join(dir, 'manifest.json');
  fs.writeFileSync(file, JSON.stringify({ task, threads, ...manifest }));
  try {
    const out = execFileSync(pythonPath(), [PEER, file], {
      env: peerEnv(threads),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 1 << 26,
    });
    const last = out.trim().split('\n').pop() as string;
    const parsed = JSON.parse(last) as { error?: string; results?: Record<string, { rate: number; losses?: number[] }> };
    if (parsed.error !== undefined) {
      console.log(`  pytorch skipped: ${parsed.error}`);
      return null;
    }
    return parsed.results ?? null;
  } catch (err) {
    console.log(`  pytorch failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
    return null;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function workloadManifest(w: Workload): object {
  const { spec, params, loss, batch } = w;
  return {
    name: w.name,
    spec,
    loss,
    optimizer: DEFAULT_OPTIMIZER,
    params: { base: encodeParams(params.base), cos: encodeParams(params.cos as Parameters) },
    batch: {
      B: batch.batchSize,
      N: batch.listSize,
      F: batch.inputSize,
      features: b64(batch.features),
      mask: b64(batch.mask),
      labels: batch.labels.map(b64),
      weights: b64(batch.weights as Float32Array),
      beta: b64(batch.beta as Float32Array),
    },
  };
}

/** One timed stretch: calls per second, process CPU milliseconds per call, and (first time) losses / scores. */
export interface Sample {
  rate: number;
  cpuMs: number;
  first?: number[];
}
interface PeerAnswer {
  rate: number;
  cpuPerCall: number;
  losses?: number[];
  first?: number[];
  error?: string;
  ready?: boolean;
}

/** A long-lived PyTorch peer (`torch_bench.py` in serve mode): one JSON request / answer per line. */
export class TorchPeer {
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';
  private closed = false;

  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly dir: string,
  ) {
    readline.createInterface({ input: child.stdout }).on('line', (line) => this.waiting.shift()?.(line));
    child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    child.on('exit', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(JSON.stringify({ error: `pytorch exited: ${this.stderr.trim().split('\n').pop() ?? ''}` }));
    });
  }

  /** Starts the peer; a string (the reason) when torch is unavailable. */
  static async start(manifest: object, threads: number): Promise<TorchPeer | string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-bench-'));
    const file = path.join(dir, 'manifest.json');
    fs.writeFileSync(file, JSON.stringify({ task: 'serve', threads, ...manifest }));
    const peer = new TorchPeer(spawn(pythonPath(), [PEER, file], { env: peerEnv(threads), stdio: ['pipe', 'pipe', 'pipe'] }), dir);
    const hello = await peer.next();
    if (hello.ready === true) return peer;
    peer.close();
    return hello.error ?? 'no answer';
  }

  private next(): Promise<PeerAnswer> {
    if (this.closed) return Promise.resolve({ rate: NaN, cpuPerCall: NaN, error: 'pytorch exited' });
    return new Promise((resolve) => this.waiting.push((line) => resolve(JSON.parse(line) as PeerAnswer)));
  }

  async time(req: { op: 'train'; name: string; seconds: number } | { op: 'infer'; seconds: number }): Promise<Sample> {
    const answer = this.next();
    this.child.stdin.write(`${JSON.stringify(req)}\n`);
    const a = await answer;
    if (a.error !== undefined) throw new Error(a.error);
    return { rate: a.rate, cpuMs: a.cpuPerCall * 1000, first: a.losses ?? a.first };
  }

  close(): void {
    if (!this.closed) this.child.stdin.end(`${JSON.stringify({ op: 'quit' })}\n`);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Calls `fn` for `seconds` (at least `least` times). */
export async function timed(fn: () => Promise<unknown>, seconds: number, least: number): Promise<{ calls: number; wall: number; cpuMs: number }> {
  let calls = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || calls < least) {
    await fn();
    calls++;
  }
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { calls, wall, cpuMs: (c.user + c.system) / 1000 / calls };
}

/** The inference workload: D rows through an MLP 141→256→256→1 (the model of `bench infer`). */
function inferenceWorkload(rows: number) {
  const f = 141;
  const base = mlp(f, [256, 256]);
  const rng = new Rng(7);
  const params = initParameters(base, rng);
  const features = Float32Array.from({ length: rows * f }, () => rng.normal());
  // queries of 100 documents (the MLP scores rows regardless)
  const queryOffsets = Int32Array.from({ length: Math.ceil(rows / 100) + 1 }, (_, q) => Math.min(rows, q * 100));
  const manifest = { spec: base, params: encodeParams(params), rows, features: b64(features) };
  return { spec: { base } as RankerSpec, ranker: { base: params }, input: { features, queryOffsets }, rows, flops: forwardFlops(base, rows, 100), manifest };
}

export const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 === 1 ? s[k] : (s[k - 1] + s[k]) / 2;
};
const fmt = (x: number, d = 1) => x.toFixed(d);
export const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

type Timer = (s: number) => Promise<Sample>;
interface Row {
  name: string;
  header: string;
  flops: number;
  unit: string;
  timers: [string, Timer][];
}

/** Runs every timer of every row for `seconds`, in `rounds` rounds, the order alternating. */
async function interleave(rows: Row[], rounds: number, seconds: number): Promise<{ samples: Map<string, Sample[]>; firsts: Map<string, number[]> }> {
  const samples = new Map<string, Sample[]>();
  const firsts = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    for (const row of rows) {
      // PyTorch first in even rounds, last in odd ones: neither side always follows the other
      const order = r % 2 === 0 ? [...row.timers].reverse() : row.timers;
      for (const [engine, timer] of order) {
        const key = `${row.name}/${engine}`;
        try {
          const s = await timer(seconds);
          if (s.first !== undefined) firsts.set(key, s.first);
          samples.set(key, [...(samples.get(key) ?? []), s]);
        } catch (err) {
          if (!samples.has(key)) console.log(`  ${key}: failed: ${err instanceof Error ? err.message : String(err)}`);
          samples.set(key, samples.get(key) ?? []);
        }
      }
    }
  }
  return { samples, firsts };
}

/** Prints each row: per engine the median rate, GFLOP/s, CPU per call and the ratio to PyTorch. */
function printRows(rows: Row[], samples: Map<string, Sample[]>, firsts: Map<string, number[]>): void {
  for (const row of rows) {
    console.log(`-- ${row.name}: ${row.header}`);
    const ref = samples.get(`${row.name}/pytorch`) ?? [];
    for (const [engine] of row.timers) {
      const mine = samples.get(`${row.name}/${engine}`) ?? [];
      if (mine.length === 0) continue;
      const rate = median(mine.map((s) => s.rate));
      const cpu = median(mine.map((s) => s.cpuMs));
      let vs = '';
      if (engine !== 'pytorch') {
        const ratios = mine.filter((_, i) => i < ref.length).map((s, i) => s.rate / ref[i].rate);
        const cpuRatio = ref.length > 0 ? median(ref.map((s) => s.cpuMs)) / cpu : NaN;
        vs =
          ratios.length > 0
            ? `  ${fmt(median(ratios), 2)}× pytorch (rounds ${fmt(Math.min(...ratios), 2)}–${fmt(Math.max(...ratios), 2)}; by CPU time ${fmt(cpuRatio, 2)}×)`
            : '  (no pytorch)';
      }
      const first = firsts.get(`${row.name}/${engine}`);
      const rateText = row.unit === 'docs/s' ? Math.round(rate).toLocaleString('en-US') : fmt(rate);
      console.log(
        `  ${engine.padEnd(11)} ${rateText.padStart(9)} ${row.unit}  ${fmt((rate * row.flops) / 1e9).padStart(5)} GFLOP/s  ${fmt(cpu).padStart(6)} ms CPU/${row.unit === 'docs/s' ? 'pass' : 'step'}${vs}` +
          (first ? `  first ${row.unit === 'docs/s' ? 'scores' : 'losses'} ${first.slice(0, 3).map((l) => l.toFixed(5)).join(', ')}` : ''),
      );
    }
  }
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '5' },
      threads: { type: 'string', default: '2' },
      engines: { type: 'string', default: 'onnx' },
      only: { type: 'string' },
      docs: { type: 'string', default: '100000' },
    },
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const threads = Number(values.threads);
  const only = values.only?.split(',');
  const ws = workloads().filter((w) => only === undefined || only.includes(w.name));
  const inf = only === undefined || only.includes('infer') ? inferenceWorkload(Number(values.docs)) : null;
  const { engines, notes } = await loadEngines(threads, values.engines.split(','));
  for (const n of notes) console.log(`  ${n}`);
  console.log(
    `  ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${threads} threads per engine; ${rounds} interleaved rounds × ${seconds} s per engine; load average ${loadAverage()}`,
  );
  const torch = await TorchPeer.start({ workloads: ws.map(workloadManifest), ...(inf ? { infer: inf.manifest } : {}) }, threads);
  if (typeof torch === 'string') console.log(`  pytorch skipped: ${torch}`);
  const peer = typeof torch === 'string' ? null : torch;

  // timers per (workload, engine): training sessions persist across rounds, like the PyTorch side
  const rows: Row[] = [];
  const sessions: { dispose(): void }[] = [];
  for (const w of ws) {
    const timers: [string, Timer][] = [];
    for (const e of engines) {
      try {
        const session = await e.createTrainSession({ spec: w.spec, params: w.params, target: 'cos', loss: w.loss, optimizer: DEFAULT_OPTIMIZER, seed: 1 });
        sessions.push(session);
        const losses: number[] = [];
        for (let i = 0; i < 3; i++) losses.push(await session.step(w.batch));
        let first: number[] | undefined = losses;
        timers.push([
          e.name,
          async (s) => {
            const t = await timed(() => session.step(w.batch), s, 3);
            const out = { rate: t.calls / t.wall, cpuMs: t.cpuMs, first };
            first = undefined;
            return out;
          },
        ]);
      } catch (err) {
        console.log(`  ${w.name} on ${e.name}: failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (peer) timers.push(['pytorch', (s) => peer.time({ op: 'train', name: w.name, seconds: s })]);
    rows.push({ name: w.name, header: `${B} lists × ${N} docs, ${w.loss.kind}, ≈${fmt(w.flops / 1e9, 2)} GFLOP/step`, flops: w.flops, unit: 'steps/s', timers });
  }
  if (inf) {
    const timers: [string, Timer][] = engines.map((e) => {
      let first: number[] | undefined;
      return [
        e.name,
        async (s) => {
          if (first === undefined) first = Array.from((await e.score(inf.spec, inf.ranker, inf.input)).subarray(0, 5));
          const t = await timed(() => e.score(inf.spec, inf.ranker, inf.input), s, 2);
          return { rate: (t.calls * inf.rows) / t.wall, cpuMs: t.cpuMs, first };
        },
      ];
    });
    if (peer) timers.push(['pytorch', (s) => peer.time({ op: 'infer', seconds: s })]);
    rows.push({ name: 'infer', header: `score ${inf.rows} documents, MLP 141→256→256→1, ≈${fmt(inf.flops / 1e9, 2)} GFLOP per pass`, flops: inf.flops / inf.rows, unit: 'docs/s', timers });
  }

  const { samples, firsts } = await interleave(rows, rounds, seconds);
  peer?.close();
  for (const s of sessions) s.dispose();
  printRows(rows, samples, firsts);
  console.log(`  load average after: ${loadAverage()}`);
}
