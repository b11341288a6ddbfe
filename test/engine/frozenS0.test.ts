/**
 * Precomputed frozen-s0 scores (`ListBatch.s0`, issue 12): a COS step fed s0's scores computed beforehand
 * (by the engine's own `score`, per list) gives the same losses and parameters as the step that runs s0
 * itself, on both engines, for an MLP s0 (packed rows and padded lists, augmentation, scratch and T-COS)
 * and for the listwise transformer s0 (its scores taken in the context of each list). Adam's ε is large,
 * so each update is close to proportional to the gradient and equal parameters mean equal gradients.
 * The ONNX graph fed s0 holds none of s0's weights: s0's forward is not run in the step.
 */
import { DEFAULT_OPTIMIZER, type Engine, type ListBatch, type TrainSessionOptions } from '../../src/engine/engine';
import { checkListBatch, batchNeeds } from '../../src/engine/checks';
import { createOnnxEngine } from '../../src/engine/onnx/engine';
import { buildTrainGraph } from '../../src/engine/onnx/trainGraph';
import { createTfjsEngine } from '../../src/engine/tfjs/engine';
import { type Parameters, type RankerSpec, type ScorerSpec } from '../../src/model/spec';
import { ConfigError } from '../../src/util/errors';
import { perturbedParams, randomListBatch } from './listBatchFixture';

const F = 5;
const mlp: ScorerSpec = { kind: 'mlp', inputSize: F, conditioning: { weights: 0, beta: false }, hidden: [7, 6], activation: 'relu', dropout: 0 };
const net: ScorerSpec = { ...mlp, conditioning: { weights: 2, beta: false }, activation: 'gelu' };
const transformer: ScorerSpec = {
  kind: 'transformer',
  inputSize: F,
  conditioning: { weights: 0, beta: false },
  dModel: 8,
  nHeads: 2,
  nLayers: 1,
  ffHidden: 12,
  activation: 'gelu',
  dropout: 0,
};

const params = perturbedParams;

const optimizer = { ...DEFAULT_OPTIMIZER, learningRate: 0.05, epsilon: 1 };
const lipo = { kind: 'lipo' as const, targets: ['sparse', 'dense'] as ('sparse' | 'dense')[], lambda: 0.3 };
const option = (spec: RankerSpec, seed: number): TrainSessionOptions => ({ spec, params: params(spec, seed), target: 'cos', loss: lipo, optimizer, seed: 1 });
const cases: { name: string; options: TrainSessionOptions }[] = [
  { name: 'MLP s0, augmentation (W-COS)', options: option({ base: mlp, cos: { net, parametrisation: 'augment', temperature: false } }, 1) },
  { name: 'MLP s0, scratch', options: option({ base: mlp, cos: { net, parametrisation: 'scratch', temperature: false } }, 2) },
  { name: 'MLP s0, T-COS', options: option({ base: mlp, cos: { net: { ...net, conditioning: { weights: 2, beta: true } }, parametrisation: 'augment', temperature: true } }, 3) },
  { name: 'transformer s0, scratch MLP net', options: option({ base: transformer, cos: { net, parametrisation: 'scratch', temperature: false } }, 4) },
];

/** Ragged lists (one all padding) in two list-size buckets. */
const batches = (spec: RankerSpec): ListBatch[] => [
  randomListBatch(spec, 11, 4, 9, F, (b) => [9, 3, 0, 6][b]),
  randomListBatch(spec, 12, 3, 17, F, (b) => [17, 1, 12][b]),
  randomListBatch(spec, 13, 4, 9, F, (b) => [2, 9, 9, 5][b]),
];

/** The batch with s0's scores per slot, scored by `engine` on the batch's lists (each list its own query). */
async function withS0(engine: Engine, options: TrainSessionOptions, batch: ListBatch): Promise<ListBatch> {
  const { batchSize: B, listSize: N, inputSize: f, mask } = batch;
  const offsets = new Int32Array(B + 1);
  const features: number[] = [];
  for (let b = 0; b < B; b++) {
    let n = 0;
    for (let i = 0; i < N; i++) {
      if (mask[b * N + i] === 0) continue;
      features.push(...batch.features.subarray((b * N + i) * f, (b * N + i + 1) * f));
      n++;
    }
    offsets[b + 1] = offsets[b] + n;
  }
  const scores = await engine.score({ base: options.spec.base }, { base: options.params.base }, { features: Float32Array.from(features), queryOffsets: offsets });
  const s0 = new Float32Array(B * N).fill(123); // padded slots: any finite value
  for (let b = 0; b < B; b++) for (let i = 0; i < offsets[b + 1] - offsets[b]; i++) s0[b * N + i] = scores[offsets[b] + i];
  return { ...batch, s0 };
}

const engines: { name: string; make: () => Promise<Engine> }[] = [
  { name: 'onnx, 1 thread (packed rows for MLPs)', make: () => createOnnxEngine({ threads: 1 }) },
  { name: 'onnx, padded lists', make: () => createOnnxEngine({ threads: 1, packedRows: false }) },
  { name: 'onnx, 2 data-parallel parts', make: () => createOnnxEngine({ threads: 2, packedRows: false }) },
  { name: 'tfjs cpu', make: () => createTfjsEngine({ backend: 'cpu' }) },
];

describe.each(engines)('precomputed s0 = s0 in the step: $name', ({ make }) => {
  it.each(cases)('$name: same losses and parameters step after step', async ({ options }) => {
    const engine = await make();
    const inStep = await engine.createTrainSession(options);
    const given = await engine.createTrainSession(options);
    try {
      for (const batch of [...batches(options.spec), ...batches(options.spec)]) {
        const [a, b] = [await inStep.step(batch), await given.step(await withS0(engine, options, batch))];
        expect(Math.abs(a - b)).toBeLessThan(1e-5 * Math.max(1, Math.abs(a)));
      }
      const batch = batches(options.spec)[1];
      expect(Math.abs((await inStep.evaluateLoss(batch)) - (await given.evaluateLoss(await withS0(engine, options, batch))))).toBeLessThan(1e-5);
      const [pa, pb] = [inStep.parameters(), given.parameters()];
      for (const name of Object.keys(pa)) {
        for (let i = 0; i < pa[name].data.length; i++) expect(Math.abs(pa[name].data[i] - pb[name].data[i])).toBeLessThan(1e-5);
      }
      // the steps moved the parameters (not a comparison of two idle sessions)
      const start = options.params.cos as Parameters;
      expect(Object.keys(pa).some((n) => pa[n].data.some((v, i) => Math.abs(v - start[n].data[i]) > 1e-3))).toBe(true);
    } finally {
      inStep.dispose();
      given.dispose();
    }
  });
});

test.each([
  ['packed rows', true],
  ['padded lists', false],
])("the ONNX step fed s0's scores holds none of s0's weights (%s)", (_, packed) => {
  const { options } = cases[0];
  const build = (s0Input: boolean) =>
    buildTrainGraph({
      spec: options.spec,
      target: 'cos',
      loss: options.loss,
      optimizer,
      frozen: s0Input ? null : options.params.base,
      batchSize: 4,
      listSize: 16,
      conditioningLength: 2,
      mode: 'step',
      dropout: 0,
      packed,
      s0Input,
    });
  const readsS0Weights = (s0Input: boolean) => build(s0Input).graph.nodes.some((n) => n.inputs.some((v) => v.name.startsWith('base.')));
  expect(readsS0Weights(false)).toBe(true);
  expect(readsS0Weights(true)).toBe(false);
  expect(build(true).needsS0).toBe(true);
});

test('the shared batch check: s0 only for target cos, B × N finite values', () => {
  const { options } = cases[0];
  const batch = randomListBatch(options.spec, 1, 2, 8, F, () => 5);
  const needs = batchNeeds(options);
  expect(() => checkListBatch({ ...batch, s0: new Float32Array(16) }, F, needs)).not.toThrow();
  expect(() => checkListBatch({ ...batch, s0: new Float32Array(15) }, F, needs)).toThrow(/batch\.s0.*2 × 8 finite values/s);
  expect(() => checkListBatch({ ...batch, s0: new Float32Array(16).fill(NaN) }, F, needs)).toThrow(ConfigError);
  const baseNeeds = batchNeeds({ ...options, spec: { base: mlp }, target: 'base', loss: { kind: 'listnet' } });
  expect(() => checkListBatch({ ...batch, s0: new Float32Array(16) }, F, baseNeeds)).toThrow(/batch\.s0.*target 'cos'/s);
});

test('the comparison can fail: a scratch net fed wrong s0 scores (doubled) gets another loss', async () => {
  const engine = await createOnnxEngine({ threads: 1 });
  for (const { options } of [cases[1], cases[3]]) {
    const session = await engine.createTrainSession(options);
    try {
      const batch = await withS0(engine, options, batches(options.spec)[0]);
      const right = await session.evaluateLoss(batch);
      const wrong = await session.evaluateLoss({ ...batch, s0: (batch.s0 as Float32Array).map((v) => 2 * v) });
      expect(Math.abs(right - wrong)).toBeGreaterThan(1e-3);
    } finally {
      session.dispose();
    }
  }
});
