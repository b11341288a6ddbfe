/** Seeded random list batches for the engine tests. */
import type { ListBatch } from '../../src/engine/engine';
import type { RankerSpec } from '../../src/model/spec';
import { Rng } from '../../src/util/rng';

/**
 * B lists of N slots with `inputSize` features; list b holds `realDocuments(b)` real documents (the
 * rest is padding), graded labels 0–2 for each objective the spec trains on, Dirichlet weights and
 * temperatures in [0.67, 1.5).
 */
export function randomListBatch(spec: RankerSpec, seed: number, B: number, N: number, inputSize: number, realDocuments: (b: number) => number): ListBatch {
  const rng = new Rng(seed);
  const mask = new Uint8Array(B * N);
  for (let b = 0; b < B; b++) mask.fill(1, b * N, b * N + realDocuments(b));
  const m = spec.cos?.net.conditioning.weights ?? 0;
  const labels = Array.from({ length: Math.max(1, m) }, () => Float32Array.from({ length: B * N }, (_, i) => (mask[i] ? rng.int(3) : 0)));
  const weights = new Float32Array(B * m);
  if (m > 0) for (let b = 0; b < B; b++) weights.set(rng.dirichlet(new Array(m).fill(1)), b * m);
  return {
    batchSize: B,
    listSize: N,
    inputSize,
    features: Float32Array.from({ length: B * N * inputSize }, () => rng.normal()),
    mask,
    labels,
    weights,
    beta: Float32Array.from({ length: B * m }, () => rng.uniformIn(0.67, 1.5)),
  };
}
