/**
 * `npm run bench -- infer [--seconds S] [--threads T] [--docs D]`: scoring D = 100,000 documents with the
 * MLP 141→256→256→1 on every engine that loads and on PyTorch (same weights, same features; PyTorch is
 * skipped with a message when missing). Prints docs/s, ≈GFLOP/s, the ratio to PyTorch and the first scores.
 */
import { parseArgs } from 'node:util';
import { initParameters, type Parameters, type RankerSpec, type ScorerSpec } from '../src/model/spec';
import { Rng } from '../src/util/rng';
import { forwardFlops, loadEngines, runTorch } from './train';

const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { seconds: { type: 'string', default: '5' }, threads: { type: 'string', default: '2' }, docs: { type: 'string', default: '100000' } },
  });
  const seconds = Number(values.seconds);
  const threads = Number(values.threads);
  const rows = Number(values.docs);
  const f = 141;
  const base: ScorerSpec = { kind: 'mlp', inputSize: f, conditioning: { weights: 0, beta: false }, hidden: [256, 256], activation: 'relu', dropout: 0 };
  const spec: RankerSpec = { base };
  const rng = new Rng(7);
  const params: Parameters = initParameters(base, rng);
  const features = Float32Array.from({ length: rows * f }, () => rng.normal());
  // queries of 100 documents (the MLP scores rows regardless)
  const queryOffsets = Int32Array.from({ length: Math.ceil(rows / 100) + 1 }, (_, q) => Math.min(rows, q * 100));
  const flops = forwardFlops(base, rows, 100);
  const { engines, notes } = await loadEngines(threads);
  for (const n of notes) console.log(`  ${n}`);
  const torch = runTorch(
    'infer',
    { spec: base, params: Object.fromEntries(Object.entries(params).map(([k, t]) => [k, { shape: t.shape, data: b64(t.data) }])), rows, features: b64(features), seconds },
    threads,
  );
  const peer = torch?.infer;
  console.log(`-- score ${rows} documents, MLP ${f}→256→256→1, ≈${(flops / 1e9).toFixed(2)} GFLOP per pass`);
  const line = (label: string, rate: number, first: ArrayLike<number>) =>
    console.log(
      `  ${label.padEnd(16)} ${Math.round(rate).toLocaleString('en-US').padStart(10)} docs/s  ${((rate / rows) * flops / 1e9).toFixed(1).padStart(6)} GFLOP/s` +
        `  ${peer ? `${(rate / peer.rate).toFixed(2)}× pytorch` : '(no pytorch)'}  first scores ${Array.from(first).slice(0, 3).map((v) => v.toFixed(5)).join(', ')}`,
    );
  const ranker = { base: params };
  for (const e of engines) {
    try {
      const first = await e.score(spec, ranker, { features, queryOffsets });
      let n = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < seconds * 1000 || n < 2) {
        await e.score(spec, ranker, { features, queryOffsets });
        n++;
      }
      line(e.name, (n * rows) / ((performance.now() - t0) / 1000), first);
    } catch (err) {
      console.log(`  ${e.name}: failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  if (peer) line('pytorch', peer.rate, (peer as { first?: number[] }).first ?? []);
}
