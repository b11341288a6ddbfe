/** Seeded random list batches and parameters for the engine tests. */
import type { ListBatch } from '../../src/engine/engine';
import type { RankerParameters } from '../../src/model/rankerParameters';
import { initParameters, type Parameters, type RankerSpec } from '../../src/model/spec';
import { Rng } from '../../src/util/rng';

/** The spec's initial parameters with N(0, 0.2²) added to every value (so no layer starts at 0). */
export function perturbedParams(spec: RankerSpec, seed: number): RankerParameters {
  const rng = new Rng(seed);
  const perturb = (p: Parameters) => {
    for (const t of Object.values(p)) for (let i = 0; i < t.data.length; i++) t.data[i] += 0.2 * rng.normal();
    return p;
  };
  return { base: perturb(initParameters(spec.base, rng)), cos: spec.cos ? perturb(initParameters(spec.cos.net, rng)) : undefined };
}

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
