/**
 * AdamW with global-norm clipping against a float64 re-implementation of the update rule written in
 * the module comment of src/engine/tfjs/adamw.ts (PyTorch AdamW + clip_grad_norm_).
 */
import * as tf from '@tensorflow/tfjs';
import { AdamW } from '../../src/engine/tfjs/adamw';
import { selectBackend } from '../../src/engine/tfjs/backend';
import type { OptimizerConfig } from '../../src/engine/engine';

beforeAll(async () => {
  await selectBackend('cpu');
});

const config: OptimizerConfig = { learningRate: 0.1, beta1: 0.8, beta2: 0.95, epsilon: 1e-6, weightDecay: 0.05, clipNorm: 1.5 };
const init = { a: [0.5, -1.2, 2], b: [0.3] };
const gradSeq = [
  { a: [1, -2, 0.5], b: [3] }, // norm > clip: scaled
  { a: [0.1, 0.2, -0.1], b: [0.05] }, // norm < clip: untouched
  { a: [-0.4, 0.9, 1.1], b: [-0.7] },
];

function reference(): Record<string, number[]> {
  const p: Record<string, number[]> = { a: init.a.slice(), b: init.b.slice() };
  const m: Record<string, number[]> = { a: [0, 0, 0], b: [0] };
  const v: Record<string, number[]> = { a: [0, 0, 0], b: [0] };
  gradSeq.forEach((g, s) => {
    const t = s + 1;
    const norm = Math.sqrt([...g.a, ...g.b].reduce((acc, x) => acc + x * x, 0));
    const coef = Math.min(1, config.clipNorm / (norm + 1e-6));
    for (const k of ['a', 'b'] as const) {
      g[k].forEach((raw, i) => {
        const gi = raw * coef;
        m[k][i] = config.beta1 * m[k][i] + (1 - config.beta1) * gi;
        v[k][i] = config.beta2 * v[k][i] + (1 - config.beta2) * gi * gi;
        const mHat = m[k][i] / (1 - config.beta1 ** t);
        const vHat = v[k][i] / (1 - config.beta2 ** t);
        p[k][i] = p[k][i] - config.learningRate * config.weightDecay * p[k][i] - (config.learningRate * mHat) / (Math.sqrt(vHat) + config.epsilon);
      });
    }
  });
  return p;
}

test('three clipped, weight-decayed AdamW steps match the float64 reference; state round-trips', () => {
  const start = tf.memory().numTensors;
  const vars = new Map([
    ['a', tf.tidy(() => tf.variable(tf.tensor1d(init.a)))],
    ['b', tf.tidy(() => tf.variable(tf.tensor1d(init.b)))],
  ]);
  const adam = new AdamW(vars, config);
  const before = tf.memory().numTensors;
  for (const g of gradSeq) {
    const grads = new Map([
      ['a', tf.tensor1d(g.a)],
      ['b', tf.tensor1d(g.b)],
    ]);
    adam.apply(grads);
    grads.forEach((x) => x.dispose());
    expect(tf.memory().numTensors).toBe(before);
  }
  const want = reference();
  for (const k of ['a', 'b']) {
    const got = Array.from((vars.get(k) as tf.Variable).dataSync());
    got.forEach((x, i) => expect(Math.abs(x - want[k][i])).toBeLessThan(1e-5));
  }
  const state = adam.state();
  expect(state.step).toBe(3);
  const other = new AdamW(vars, config);
  other.restore(state);
  expect(other.state()).toEqual(state);
  adam.dispose();
  other.dispose();
  vars.forEach((x) => x.dispose());
  expect(tf.memory().numTensors).toBe(start);
});
