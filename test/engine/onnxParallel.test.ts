/**
 * Data-parallel ONNX training (threads ≥ 2: lists split between the calling thread and worker threads,
 * gradients combined by the AdamW graph) against the one-graph step (threads 1), which
 * onnxGradients.test.ts checks against finite differences and a hand-computed AdamW step: the same losses,
 * evaluateLoss and parameters over several steps — with unequal parts (5 lists on 2 threads), dropout
 * (the same masks whatever the split), clipping and weight decay, more threads than lists, and sessions
 * of one engine sharing its worker threads one after another.
 */
import { type Parameters, type RankerSpec, type ScorerSpec } from '../../src/model/spec';
import { DEFAULT_OPTIMIZER, type Engine, type ListBatch, type TrainSessionOptions } from '../../src/engine/engine';
import { createOnnxEngine } from '../../src/engine/onnx/engine';
import { perturbedParams, randomListBatch } from './listBatchFixture';

const F = 4;
const mlp: ScorerSpec = { kind: 'mlp', inputSize: F, conditioning: { weights: 0, beta: false }, hidden: [6, 5], activation: 'relu', dropout: 0 };
const netMlp: ScorerSpec = { ...mlp, conditioning: { weights: 2, beta: true }, activation: 'gelu', dropout: 0.3 };
const netTr: ScorerSpec = { kind: 'transformer', inputSize: F, conditioning: { weights: 2, beta: false }, dModel: 8, nLayers: 1, nHeads: 2, ffHidden: 12, activation: 'relu', dropout: 0.2 };

const params = perturbedParams;

/** B lists of N slots; list b holds N − (b mod 3) real documents. */
function batchFor(spec: RankerSpec, seed: number, B: number, N = 6): ListBatch {
  return randomListBatch(spec, seed, B, N, F, (b) => N - (b % 3));
}

// ε = 1 keeps the first Adam updates ≈ lr·g/(|g| + 1), linear in g: gradients that are zero in exact
// arithmetic are float noise whose sign depends on summation order, which a tiny ε would blow up to ±lr.
const optimizer = { ...DEFAULT_OPTIMIZER, learningRate: 0.05, epsilon: 1 };

const cases: { name: string; options: TrainSessionOptions; lists: number; threads: number }[] = [
  {
    name: 'MLP s0 ListMLE, 5 lists on 2 threads',
    options: { spec: { base: mlp }, params: params({ base: mlp }, 1), target: 'base', loss: { kind: 'listmle' }, optimizer, seed: 1 },
    lists: 5,
    threads: 2,
  },
  {
    name: 'MLP T-COS LiPO with dropout, clipping and weight decay, 6 lists on 2 threads',
    options: {
      spec: { base: mlp, cos: { net: netMlp, parametrisation: 'scratch', temperature: true } },
      params: params({ base: mlp, cos: { net: netMlp, parametrisation: 'scratch', temperature: true } }, 2),
      target: 'cos',
      loss: { kind: 'lipo', targets: ['sparse', 'dense'], lambda: 0.5 },
      optimizer: { ...optimizer, weightDecay: 0.1, clipNorm: 0.5 },
      seed: 2,
    },
    lists: 6,
    threads: 2,
  },
  {
    name: 'transformer augment LiPO with dropout, 7 lists on 3 threads',
    options: {
      spec: { base: mlp, cos: { net: netTr, parametrisation: 'augment', temperature: false } },
      params: params({ base: mlp, cos: { net: netTr, parametrisation: 'augment', temperature: false } }, 3),
      target: 'cos',
      loss: { kind: 'lipo', targets: ['sparse', 'sparse'], lambda: 0 },
      optimizer,
      seed: 3,
    },
    lists: 7,
    threads: 3,
  },
  {
    name: 'MLP s0 ListNet, 2 lists on 3 threads',
    options: { spec: { base: mlp }, params: params({ base: mlp }, 4), target: 'base', loss: { kind: 'listnet' }, optimizer, seed: 4 },
    lists: 2,
    threads: 3,
  },
];

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tol * Math.max(1, Math.abs(b[i])));
};

// one engine per thread count, shared by every case: its worker threads serve sessions one after another
const engines = new Map<number, Promise<Engine>>();
const engineWith = (threads: number) => {
  if (!engines.has(threads)) engines.set(threads, createOnnxEngine({ threads, packedRows: false }));
  return engines.get(threads) as Promise<Engine>;
};

describe.each(cases)('data-parallel ONNX training: $name', ({ options, lists, threads }) => {
  it('gives the losses and parameters of the one-graph step', async () => {
    const batches = [batchFor(options.spec, 10, lists), batchFor(options.spec, 11, lists)];
    const one = await (await engineWith(1)).createTrainSession(options);
    const par = await (await engineWith(threads)).createTrainSession(options);
    for (let i = 0; i < 4; i++) {
      const batch = batches[i % 2];
      const a = await one.step(batch);
      const b = await par.step(batch);
      expect(Math.abs(a - b)).toBeLessThan(1e-5 * Math.max(1, Math.abs(a)));
    }
    expect(Math.abs((await one.evaluateLoss(batches[0])) - (await par.evaluateLoss(batches[0])))).toBeLessThan(1e-5);
    const pa = one.parameters();
    const pb = par.parameters();
    for (const name of Object.keys(pa)) close(pb[name].data, pa[name].data, 1e-5);
    const sa = one.optimizerState();
    const sb = par.optimizerState();
    expect(sb.step).toBe(sa.step);
    for (const name of Object.keys(sa.m)) close(sb.v[name].data, sa.v[name].data, 1e-5);
    one.dispose();
    par.dispose();
  });
});
