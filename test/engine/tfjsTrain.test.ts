/**
 * Training sessions of the tfjs engine: the gradient inside a COS step (T-COS mixing, β̄ input,
 * COS-DPO loss) against finite differences of the session's own evaluated loss, the batch loss against
 * the losses applied to engine scores, determinism, restore, tensor bookkeeping, and config errors.
 */
import * as tf from '@tensorflow/tfjs';
import { createTfjsEngine } from '../../src/engine/tfjs/engine';
import type { Engine, ListBatch, OptimizerConfig, TrainSessionOptions } from '../../src/engine/engine';
import type { RankerParameters } from '../../src/model/rankerParameters';
import { initParameters, MlpSpec, Parameters, RankerSpec, TransformerSpec } from '../../src/model/spec';
import { listNetLoss } from '../../src/engine/tfjs/losses';
import { ConfigError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

let engine: Engine;
beforeAll(async () => {
  engine = await createTfjsEngine({ backend: 'cpu' });
});

const F = 4;
const M = 2;
const base: MlpSpec = { kind: 'mlp', inputSize: F, conditioning: { weights: 0, beta: false }, hidden: [6], activation: 'tanh', dropout: 0 };
const net = (dropout: number): TransformerSpec => ({
  kind: 'transformer',
  inputSize: F,
  conditioning: { weights: M, beta: true },
  dModel: 4,
  nLayers: 1,
  nHeads: 2,
  ffHidden: 5,
  activation: 'gelu',
  dropout,
});
const tcos = (dropout: number): RankerSpec => ({ base, cos: { net: net(dropout), parametrisation: 'augment', temperature: true } });

const adam: OptimizerConfig = { learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01, clipNorm: 1 };

/** B lists of N slots with `real[b]` real documents, m+1 label arrays (main first is unused by LiPO). */
function makeBatch(seed: number, real: number[], n: number, nLabels: number): ListBatch {
  const rng = new Rng(seed);
  const b = real.length;
  const mask = new Uint8Array(b * n);
  const features = new Float32Array(b * n * F);
  const labels = Array.from({ length: nLabels }, () => new Float32Array(b * n));
  real.forEach((r, l) => {
    for (let i = 0; i < r; i++) {
      mask[l * n + i] = 1;
      for (let f = 0; f < F; f++) features[(l * n + i) * F + f] = rng.normal();
      for (const y of labels) y[l * n + i] = rng.int(3);
    }
  });
  const weights = new Float32Array(b * M);
  const beta = new Float32Array(b * M);
  for (let l = 0; l < b; l++) {
    const w = rng.dirichlet([1, 1]);
    weights.set(w, l * M);
    beta.set([rng.uniformIn(0.67, 1.5), rng.uniformIn(0.67, 1.5)], l * M);
  }
  return { batchSize: b, listSize: n, inputSize: F, features, mask, labels, weights, beta };
}

function cosParams(seed: number, dropout = 0): RankerParameters {
  const rng = new Rng(seed);
  return { base: initParameters(base, rng), cos: initParameters(net(dropout), rng, 0.5) };
}

const cosOptions = (overrides: Partial<TrainSessionOptions> = {}): TrainSessionOptions => ({
  spec: tcos(0),
  params: cosParams(1),
  target: 'cos',
  loss: { kind: 'lipo', targets: ['sparse', 'dense'], lambda: 0.3 },
  optimizer: adam,
  seed: 42,
  ...overrides,
});

const flat = (p: Parameters) => Object.keys(p).sort().flatMap((k) => Array.from(p[k].data));

test('one COS step moves parameters along the finite-difference gradient of the evaluated loss', async () => {
  // with ε ≫ |g| the first Adam step is Δθ = −lr·g/(|g| + ε): it reveals g itself
  const eps = 1e3;
  const options = cosOptions({ optimizer: { learningRate: 1, beta1: 0.9, beta2: 0.999, epsilon: eps, weightDecay: 0, clipNorm: 0 } });
  const batch = makeBatch(3, [5, 3, 6], 6, M);
  const session = await engine.createTrainSession(options);
  const start = session.parameters();
  await session.step(batch);
  const after = session.parameters();
  session.dispose();
  const probe = await engine.createTrainSession(options);
  const state = probe.optimizerState();
  const names = ['input.weight', 'blocks.0.attn.q.weight', 'blocks.0.norm2.gamma', 'blocks.0.ff.1.bias', 'output.weight', 'output.bias'];
  const h = 1e-2;
  for (const name of names) {
    const at = async (shift: number) => {
      const p: Parameters = structuredClone(start);
      p[name].data[0] += shift;
      probe.restore(p, state);
      return probe.evaluateLoss(batch);
    };
    const fd = ((await at(h)) - (await at(-h))) / (2 * h);
    const delta = after[name].data[0] - start[name].data[0];
    const g = (-delta * eps) / (1 - Math.abs(delta));
    expect(Math.abs(g - fd)).toBeLessThan(2e-3 + 2e-2 * Math.abs(fd));
  }
  probe.dispose();
});

test('the batch loss is the mean over lists of the loss applied to engine scores (target base, ListNet)', async () => {
  const params = cosParams(2);
  const batch = makeBatch(4, [4, 2, 5], 5, 1);
  const session = await engine.createTrainSession({
    spec: { base },
    params: { base: params.base },
    target: 'base',
    loss: { kind: 'listnet' },
    optimizer: adam,
    seed: 1,
  });
  const loss = await session.evaluateLoss(batch);
  session.dispose();
  // the same lists, ragged, through engine.score and listNetLoss one list at a time
  let total = 0;
  for (let l = 0; l < batch.batchSize; l++) {
    const n = batch.mask.subarray(l * 5, l * 5 + 5).reduce((a, v) => a + v, 0);
    const scores = await engine.score({ base }, { base: params.base }, {
      features: batch.features.subarray(l * 5 * F, (l * 5 + n) * F),
      queryOffsets: Int32Array.from([0, n]),
    });
    total += tf.tidy(() => listNetLoss(tf.tensor2d(scores, [1, n]), tf.tensor2d(batch.labels[0].subarray(l * 5, l * 5 + n), [1, n]), tf.ones([1, n])).dataSync()[0]);
  }
  expect(Math.abs(loss - total / batch.batchSize)).toBeLessThan(1e-5);
});

test('training the base ranker with ListMLE lowers the loss', async () => {
  const params = cosParams(5);
  const batch = makeBatch(6, [8, 8, 8, 8], 8, 1);
  // learnable labels: grade from the first feature
  for (let i = 0; i < batch.labels[0].length; i++) batch.labels[0][i] = batch.mask[i] ? Math.max(0, Math.round(batch.features[i * F] + 1)) : 0;
  const session = await engine.createTrainSession({ spec: { base }, params: { base: params.base }, target: 'base', loss: { kind: 'listmle' }, optimizer: { ...adam, learningRate: 0.05 }, seed: 3 });
  const first = await session.evaluateLoss(batch);
  for (let s = 0; s < 30; s++) await session.step(batch);
  expect(await session.evaluateLoss(batch)).toBeLessThan(0.9 * first);
  session.dispose();
});

test('same seed and batches give the same parameters (dropout on); another seed differs', async () => {
  const batches = [makeBatch(7, [4, 6], 6, M), makeBatch(8, [6, 2], 6, M)];
  const run = async (seed: number) => {
    const session = await engine.createTrainSession(cosOptions({ spec: tcos(0.3), params: cosParams(9, 0.3), seed }));
    for (const b of batches) await session.step(b);
    const p = flat(session.parameters());
    session.dispose();
    return p;
  };
  const a = await run(11);
  expect(await run(11)).toEqual(a);
  expect(await run(12)).not.toEqual(a);
});

test('live tensors: constant across steps and evaluations, all freed by dispose', async () => {
  const start = tf.memory().numTensors;
  const session = await engine.createTrainSession(cosOptions({ spec: tcos(0.2), params: cosParams(10, 0.2) }));
  const batch = makeBatch(12, [3, 6, 1], 6, M);
  await session.step(batch);
  const after = tf.memory().numTensors;
  for (let s = 0; s < 3; s++) {
    await session.step(batch);
    expect(tf.memory().numTensors).toBe(after);
  }
  await session.evaluateLoss(batch);
  session.parameters();
  session.optimizerState();
  expect(tf.memory().numTensors).toBe(after);
  session.dispose();
  expect(tf.memory().numTensors).toBe(start);
});

test('restore continues a session exactly', async () => {
  const batches = [1, 2, 3, 4].map((s) => makeBatch(20 + s, [5, 4], 5, M));
  const a = await engine.createTrainSession(cosOptions());
  for (const b of batches.slice(0, 2)) await a.step(b);
  const saved = { params: a.parameters(), state: a.optimizerState() };
  for (const b of batches.slice(2)) await a.step(b);
  const b = await engine.createTrainSession(cosOptions());
  b.restore(saved.params, saved.state);
  for (const batch of batches.slice(2)) await b.step(batch);
  expect(flat(b.parameters())).toEqual(flat(a.parameters()));
  expect(b.optimizerState().step).toBe(4);
  a.dispose();
  b.dispose();
});

test('inconsistent options are ConfigErrors naming the path', async () => {
  await expect(engine.createTrainSession(cosOptions({ target: 'base' }))).rejects.toThrow(ConfigError);
  await expect(engine.createTrainSession(cosOptions({ loss: { kind: 'lipo', targets: ['sparse'], lambda: 0 } }))).rejects.toThrow(/loss\.targets/);
  const broken = cosParams(1);
  delete (broken.cos as Parameters)['output.bias'];
  await expect(engine.createTrainSession(cosOptions({ params: broken }))).rejects.toThrow(/params\.cos\.output\.bias/);
});
