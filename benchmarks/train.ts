/**
 * `npm run bench -- train [--seconds S] [--threads T]`: one training step per iteration on every engine
 * that loads (onnx; tfjs via `createTfjsEngine`) and on PyTorch (`benchmarks/peers/torch_bench.py`, skipped
 * with a message when torch is missing), from the same initial weights and the same batch.
 *
 * Workloads (32 lists × 128 documents):
 * - `mlp141`: COS net MLP 141→256→256→1 (scratch) against a frozen reference of the same shape, ListNet on s − s0;
 * - `cos-mlp`: the project's default W-COS MLP (net [64, 64], augmentation over an s0 MLP [64, 32]), 131 features,
 *   m = 5, LiPO sparse targets;
 * - `cos-transformer`: a 2-layer transformer net (d 64, 4 heads, ff 128) augmenting a frozen 2-layer transformer s0
 *   (d 128, ff 256), 131 features, m = 5, LiPO sparse targets.
 * Printed per engine: steps/s, ≈GFLOP/s (forward of s0 + 3 × forward of the net), ratio to PyTorch, first losses.
 * PyTorch runs with OPENBLAS_CORETYPE=SkylakeX (Haswell on CPUs without AVX-512) OMP_WAIT_POLICY=PASSIVE and the same thread count (setup:
 * `apt-get install -y python3-torch libopenblas0`; the interpreter is `$COSRANK_PYTHON`, else /usr/bin/python3).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { initParameters, type Parameters, type RankerSpec, type ScorerSpec } from '../src/model/spec';
import { DEFAULT_OPTIMIZER, type Engine, type ListBatch, type LossSpec, type RankerParameters } from '../src/engine/engine';
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

/** Engines that load here: onnx, and tfjs when its engine module is present. */
export async function loadEngines(threads: number): Promise<{ engines: Engine[]; notes: string[] }> {
  const engines: Engine[] = [await createOnnxEngine({ threads })];
  const notes: string[] = [];
  try {
    const mod = (await import('../src/engine/tfjs/engine')) as { createTfjsEngine(o?: object): Promise<Engine> };
    engines.push(await mod.createTfjsEngine());
  } catch (err) {
    notes.push(`tfjs engine skipped: ${err instanceof Error ? err.message : String(err)}`);
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

/** Runs the PyTorch peer on a manifest; null (with the reason printed) when torch is missing. */
export function runTorch(task: 'train' | 'infer', manifest: object, threads: number): Record<string, { rate: number; losses?: number[] }> | null {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-bench-'));
  const file = path.join(dir, 'manifest.json');
  fs.writeFileSync(file, JSON.stringify({ task, threads, ...manifest }));
  try {
    // Debian's python3-torch lives in the system interpreter, which a pyenv shim may hide
    const python = process.env.COSRANK_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
    const out = execFileSync(python, [path.join(__dirname, 'peers', 'torch_bench.py'), file], {
      env: { ...process.env, OPENBLAS_CORETYPE: openblasCore(), OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads) },
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

async function timeEngine(engine: Engine, w: Workload, seconds: number): Promise<{ rate: number; losses: number[] }> {
  const session = await engine.createTrainSession({ spec: w.spec, params: w.params, target: 'cos', loss: w.loss, optimizer: DEFAULT_OPTIMIZER, seed: 1 });
  const losses: number[] = [];
  for (let i = 0; i < 3; i++) losses.push(await session.step(w.batch));
  let steps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000 || steps < 3) {
    await session.step(w.batch);
    steps++;
  }
  const rate = steps / ((performance.now() - t0) / 1000);
  session.dispose();
  return { rate, losses };
}

const fmt = (x: number, d = 1) => x.toFixed(d);

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { seconds: { type: 'string', default: '5' }, threads: { type: 'string', default: '2' } } });
  const seconds = Number(values.seconds);
  const threads = Number(values.threads);
  const ws = workloads();
  const { engines, notes } = await loadEngines(threads);
  for (const n of notes) console.log(`  ${n}`);
  const torch = runTorch('train', { workloads: ws.map(workloadManifest), seconds }, threads);
  for (const w of ws) {
    console.log(`-- ${w.name}: ${B} lists × ${N} docs, ${w.loss.kind}, ≈${fmt(w.flops / 1e9, 2)} GFLOP/step`);
    const peer = torch?.[w.name];
    const line = (label: string, rate: number, losses: number[] | undefined) =>
      console.log(
        `  ${label.padEnd(16)} ${fmt(rate).padStart(7)} steps/s  ${fmt((rate * w.flops) / 1e9).padStart(6)} GFLOP/s` +
          `  ${peer ? `${fmt(rate / peer.rate, 2)}× pytorch` : '   (no pytorch)'}  first losses ${losses ? losses.map((l) => l.toFixed(6)).join(', ') : '-'}`,
      );
    for (const e of engines) {
      try {
        const r = await timeEngine(e, w, seconds);
        line(e.name, r.rate, r.losses);
      } catch (err) {
        console.log(`  ${e.name}: failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (peer) line('pytorch', peer.rate, peer.losses);
  }
}
