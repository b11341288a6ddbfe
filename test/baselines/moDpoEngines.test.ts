/**
 * The MO-DPO margin as a LiPO loss option on both engines (tfjs, ONNX): an UNCONDITIONED augmentation net
 * (as DPO-LS and MO-DPO use) trained on L_i(β_i/w_i · (Δ − offset)) with one-hot loss weights e_i.
 * Truth: a float64 reference of the same formula (test/engine/onnxReference.ts scores and LiPO loss with
 * Δ − offset fed in); gradients: central finite differences of that reference.
 * Engine gradients are read through the public TrainSession: one AdamW step with ε = 1e6 and learning
 * rate 1e4 moves each parameter by −1e4·g/(|g| + 1e6) ≈ −1e-2·g (first step: m̂ = g, v̂ = g²).
 */
import { DEFAULT_OPTIMIZER, type Engine, type ListBatch, type LossSpec } from '../../src/engine/engine';
import { createOnnxEngine } from '../../src/engine/onnx/engine';
import { createTfjsEngine } from '../../src/engine/tfjs/engine';
import { initParameters, isTrainable, type Parameters, type RankerSpec, type ScorerSpec } from '../../src/model/spec';
import { Rng } from '../../src/util/rng';
import { listLoss, rankerList, toFloat64, type P } from '../engine/onnxReference';

const F = 3;
const B = 4;
const N = 5;
const mlp = (hidden: number[]): ScorerSpec => ({ kind: 'mlp', inputSize: F, conditioning: { weights: 0, beta: false }, hidden, activation: 'tanh', dropout: 0 });
const spec: RankerSpec = { base: mlp([4]), cos: { net: mlp([5]), parametrisation: 'augment', temperature: false } };
const loss: LossSpec = { kind: 'lipo', targets: ['sparse', 'dense'], lambda: 0, margin: true };

function randomParams(s: ScorerSpec, rng: Rng): Parameters {
  const p = initParameters(s, rng);
  for (const t of Object.values(p)) for (let i = 0; i < t.data.length; i++) t.data[i] += 0.3 * rng.normal();
  return p;
}

function setup() {
  const rng = new Rng(17);
  const base = randomParams(spec.base, rng);
  const net = randomParams((spec.cos as NonNullable<RankerSpec['cos']>).net, rng);
  const mask = new Uint8Array(B * N);
  for (let b = 0; b < B; b++) mask.fill(1, b * N, b * N + (N - b));
  const labels = [0, 1].map(() => Float32Array.from({ length: B * N }, (_, i) => (mask[i] ? rng.int(3) : 0)));
  // list b focuses on objective b % 2 with w_i = 0.6 or 0.75: loss weights e_i, temperature 1/w_i
  const weights = new Float32Array(B * 2);
  const beta = new Float32Array(B * 2).fill(1);
  for (let b = 0; b < B; b++) {
    weights[b * 2 + (b % 2)] = 1;
    beta[b * 2 + (b % 2)] = 1 / (b < 2 ? 0.6 : 0.75);
  }
  const batch: ListBatch = {
    batchSize: B,
    listSize: N,
    inputSize: F,
    features: Float32Array.from({ length: B * N * F }, () => rng.normal()),
    mask,
    labels,
    weights,
    beta,
    margin: Float32Array.from({ length: B * N }, () => rng.normal()),
  };
  return { base, net, batch };
}

/** Float64 reference: mean over lists of Σ_j w_j L_j(β_j · (Δ − offset)). */
function referenceLoss(base: P, net: P, batch: ListBatch): number {
  let total = 0;
  for (let b = 0; b < B; b++) {
    const xs = Array.from({ length: N }, (_, i) => batch.features.subarray((b * N + i) * F, (b * N + i + 1) * F));
    const mask = Array.from(batch.mask.subarray(b * N, (b + 1) * N));
    const r = rankerList(spec, base, net, xs, mask, null, null);
    const delta = r.s.map((v, i) => v - r.s0[i] - (batch.margin as Float32Array)[b * N + i]);
    const labels = batch.labels.map((l) => Array.from(l.subarray(b * N, (b + 1) * N)));
    const w = Array.from((batch.weights as Float32Array).subarray(b * 2, b * 2 + 2));
    const beta = Array.from((batch.beta as Float32Array).subarray(b * 2, b * 2 + 2));
    total += listLoss({ kind: 'lipo', targets: ['sparse', 'dense'], lambda: 0 }, delta, mask, labels, w, beta);
  }
  return total / B;
}

const engines: [string, () => Promise<Engine>][] = [
  ['tfjs', () => createTfjsEngine({ backend: 'cpu' })],
  ['onnx', () => createOnnxEngine()],
];

describe.each(engines)('MO-DPO margin loss on the %s engine', (_name, make) => {
  it('gives the reference loss and its finite-difference gradients; without the option the margin is refused', async () => {
    const engine = await make();
    const { base, net, batch } = setup();
    const ref64 = toFloat64(net);
    const base64 = toFloat64(base);
    const f = () => referenceLoss(base64, ref64, batch);
    const lr = 1e4;
    const eps = 1e6;
    const session = await engine.createTrainSession({
      spec,
      params: { base, cos: net },
      target: 'cos',
      loss,
      optimizer: { ...DEFAULT_OPTIMIZER, learningRate: lr, epsilon: eps },
      seed: 1,
    });
    try {
      const value = await session.evaluateLoss(batch);
      expect(Math.abs(value - f())).toBeLessThan(1e-5 * Math.max(1, Math.abs(f())));
      // the margin matters: without it the loss differs
      expect(Math.abs(value - (await session.evaluateLoss({ ...batch, margin: new Float32Array(B * N) })))).toBeGreaterThan(1e-3);
      await session.step(batch);
      const after = session.parameters();
      let checked = 0;
      for (const [name, t] of Object.entries(net)) {
        if (!isTrainable(name)) continue;
        const p = ref64[name].data;
        for (let i = 0; i < p.length; i++) {
          const u = t.data[i] - after[name].data[i];
          const g = (u * eps) / lr;
          const keep = p[i];
          p[i] = keep + 1e-6;
          const up = f();
          p[i] = keep - 1e-6;
          const down = f();
          p[i] = keep;
          const fd = (up - down) / 2e-6;
          expect({ name, i, diff: Math.abs(g - fd) <= 1e-3 + 1e-2 * Math.abs(fd) ? 0 : g - fd }).toEqual({ name, i, diff: 0 });
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(20);
    } finally {
      session.dispose();
    }
    // a margin-option session needs the margin in every batch
    const plain = await engine.createTrainSession({ spec, params: { base, cos: net }, target: 'cos', loss, optimizer: DEFAULT_OPTIMIZER, seed: 1 });
    try {
      await expect(plain.evaluateLoss({ ...batch, margin: undefined })).rejects.toThrow(/batch.margin/);
    } finally {
      plain.dispose();
    }
  });
});
