/**
 * Training throughput of the tfjs engine: steps/s of the MLP 141→256→256→1 (136 features + a 5-weight
 * trade-off), 32 lists × 128 documents per step, with the frozen reference forward (an MLP
 * 136→256→256→1), ListNet on Δ = s − s_ref, and Adam — on each requested backend.
 *
 * `npm run bench -- trainTfjs [--backends wasm,cpu] [--steps 10] [--warmup 2]` (or `run(args)`).
 */
import { parseArgs } from 'node:util';
import { createTfjsEngine } from '../src/engine/tfjs/engine';
import type { ListBatch } from '../src/engine/engine';
import type { BackendRequest } from '../src/engine/tfjs/backend';
import { initParameters, MlpSpec, RankerSpec } from '../src/model/spec';
import { Rng } from '../src/util/rng';

const FEATURES = 136;
const M = 5;
const LISTS = 32;
const DOCS = 128;

export interface TrainTfjsResult {
  backend: string;
  stepsPerSecond: number;
  secondsPerStep: number;
  /** Process CPU time per step (user + system): meaningful on a machine shared with other jobs. */
  cpuSecondsPerStep: number;
}

function batchFor(rng: Rng): ListBatch {
  const features = Float32Array.from({ length: LISTS * DOCS * FEATURES }, () => rng.normal());
  const labels = [Float32Array.from({ length: LISTS * DOCS }, () => rng.int(5))];
  const weights = new Float32Array(LISTS * M);
  for (let l = 0; l < LISTS; l++) weights.set(rng.dirichlet(new Array<number>(M).fill(1)), l * M);
  return { batchSize: LISTS, listSize: DOCS, inputSize: FEATURES, features, mask: new Uint8Array(LISTS * DOCS).fill(1), labels, weights };
}

export async function run(args: string[]): Promise<TrainTfjsResult[]> {
  const { values } = parseArgs({
    args,
    options: { backends: { type: 'string', default: 'wasm,cpu' }, steps: { type: 'string', default: '10' }, warmup: { type: 'string', default: '2' } },
  });
  const steps = Number(values.steps);
  const warmup = Number(values.warmup);
  const mlp = (weights: number): MlpSpec => ({
    kind: 'mlp',
    inputSize: FEATURES,
    conditioning: { weights, beta: false },
    hidden: [256, 256],
    activation: 'relu',
    dropout: 0,
  });
  const spec: RankerSpec = { base: mlp(0), cos: { net: mlp(M), parametrisation: 'scratch', temperature: false } };
  const rng = new Rng(1);
  const params = { base: initParameters(spec.base, rng), cos: initParameters(mlp(M), rng) };
  const batch = batchFor(rng);
  const results: TrainTfjsResult[] = [];
  for (const backend of (values.backends as string).split(',') as BackendRequest[]) {
    const engine = await createTfjsEngine({ backend });
    const session = await engine.createTrainSession({
      spec,
      params,
      target: 'cos',
      loss: { kind: 'listnet' },
      optimizer: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, clipNorm: 0 },
      seed: 1,
    });
    for (let s = 0; s < warmup; s++) await session.step(batch);
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    for (let s = 0; s < steps; s++) await session.step(batch);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    session.dispose();
    const result = {
      backend: engine.name,
      stepsPerSecond: steps / seconds,
      secondsPerStep: seconds / steps,
      cpuSecondsPerStep: (cpu.user + cpu.system) / 1e6 / steps,
    };
    results.push(result);
    console.log(
      `${result.backend}: ${result.stepsPerSecond.toFixed(2)} steps/s (${(result.secondsPerStep * 1000).toFixed(0)} ms/step wall, ` +
        `${(result.cpuSecondsPerStep * 1000).toFixed(0)} ms CPU; ` +
        `MLP ${FEATURES + M}→256→256→1, ${LISTS}×${DOCS} docs, frozen reference, ListNet on Δ, Adam)`,
    );
  }
  return results;
}
