/**
 * `npm run bench -- infer [--seconds S] [--rounds R] [--threads T] [--sizes 1000,100000]`: small and large
 * scoring calls, `Engine.score` of D documents × 136 features through an MLP 136→256→256→1 (the path
 * `Ranker.score` takes after mapping its request), beside PyTorch (`peers/torch_bench.py`, one long-lived
 * process per size; skipped with a message when torch is missing) on the same weights and features.
 * Engines: `onnx` (T intra-op threads) and `onnx-1` (one thread: no per-op hand-off between threads). R rounds
 * (default 5) of S seconds (default 1) per engine and size, the order alternating; printed per size: median
 * calls/s, ms per call, docs/s, the median per-round ratio to PyTorch with its range, the load average.
 */
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import type { Engine } from '../src/engine/engine';
import { createOnnxEngine } from '../src/engine/onnx/engine';
import { initParameters, type Parameters, type RankerSpec, type ScorerSpec } from '../src/model/spec';
import { Rng } from '../src/util/rng';
import { loadAverage, median, timed, TorchPeer, type Sample } from './train';

const F = 136;
const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '5' },
      threads: { type: 'string', default: '2' },
      sizes: { type: 'string', default: '1000,100000' },
    },
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const threads = Number(values.threads);
  const sizes = values.sizes.split(',').map(Number);
  const base: ScorerSpec = { kind: 'mlp', inputSize: F, conditioning: { weights: 0, beta: false }, hidden: [256, 256], activation: 'relu', dropout: 0 };
  const spec: RankerSpec = { base };
  const rng = new Rng(7);
  const params: Parameters = initParameters(base, rng);
  const ranker = { base: params };
  const engines: [string, Engine][] = [
    ['onnx', await createOnnxEngine({ threads })],
    ['onnx-1', await createOnnxEngine({ threads: 1 })],
  ];
  console.log(`  ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${threads} threads; ${rounds} interleaved rounds × ${seconds} s; load average ${loadAverage()}`);
  const encoded = Object.fromEntries(Object.entries(params).map(([k, t]) => [k, { shape: t.shape, data: b64(t.data) }]));
  for (const rows of sizes) {
    const features = Float32Array.from({ length: rows * F }, () => rng.normal());
    const input = { features, queryOffsets: Int32Array.of(0, rows) };
    const peer = await TorchPeer.start({ workloads: [], infer: { spec: base, params: encoded, rows, features: b64(features) } }, threads);
    if (typeof peer === 'string') console.log(`  pytorch skipped: ${peer}`);
    type Timer = [string, () => Promise<Sample>];
    const timers: Timer[] = engines.map(([name, e]) => [
      name,
      async () => {
        const first = Array.from((await e.score(spec, ranker, input)).subarray(0, 3));
        const t = await timed(() => e.score(spec, ranker, input), seconds, 3);
        return { rate: t.calls / t.wall, cpuMs: t.cpuMs, first };
      },
    ]);
    if (typeof peer !== 'string') timers.push(['pytorch', async () => {
      const s = await peer.time({ op: 'infer', seconds });
      return { ...s, rate: s.rate / rows }; // the peer reports docs/s
    }]);
    const samples = new Map<string, Sample[]>();
    for (let r = 0; r < rounds; r++) {
      for (const [name, timer] of r % 2 === 0 ? timers : [...timers].reverse()) samples.set(name, [...(samples.get(name) ?? []), await timer()]);
    }
    if (typeof peer !== 'string') peer.close();
    console.log(`-- score ${rows.toLocaleString('en-US')} documents × ${F} features, MLP ${F}→256→256→1`);
    const ref = samples.get('pytorch') ?? [];
    for (const [name, s] of samples) {
      const rate = median(s.map((x) => x.rate));
      const ratios = name === 'pytorch' ? [] : s.filter((_, i) => i < ref.length).map((x, i) => x.rate / ref[i].rate);
      const vs = name === 'pytorch' ? '' : ratios.length ? `  ${median(ratios).toFixed(2)}× pytorch (rounds ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})` : '  (no pytorch)';
      const first = s[0].first ? `  first scores ${s[0].first.slice(0, 3).map((v) => v.toFixed(5)).join(', ')}` : '';
      console.log(`  ${name.padEnd(11)} ${rate.toFixed(1).padStart(8)} calls/s ${(1000 / rate).toFixed(3).padStart(8)} ms/call ${Math.round(rate * rows).toLocaleString('en-US').padStart(11)} docs/s${vs}${first}`);
    }
  }
  console.log(`  load average after: ${loadAverage()}`);
}
