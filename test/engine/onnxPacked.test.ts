/**
 * Packed-row training steps (the MLP scorers run on the real documents only, their scores gathered into
 * the padded lists the loss reads) against the padded step they replace: the same losses, evaluateLoss
 * and parameters over several steps, for the base ranker (ListNet, ListMLE) and COS nets (scratch and
 * augmentation, w-conditioned, LiPO with the cosine penalty), with ragged lists and an all-padding list.
 * The padded step itself is checked against finite differences in onnxGradients.test.ts.
 */
import { DEFAULT_OPTIMIZER, type ListBatch, type TrainSessionOptions } from '../../src/engine/engine';
import { createOnnxEngine } from '../../src/engine/onnx/engine';
import { type Parameters, type RankerSpec, type ScorerSpec } from '../../src/model/spec';
import { perturbedParams, randomListBatch } from './listBatchFixture';

const F = 5;
const mlp: ScorerSpec = { kind: 'mlp', inputSize: F, conditioning: { weights: 0, beta: false }, hidden: [7, 6], activation: 'relu', dropout: 0 };
const net: ScorerSpec = { ...mlp, conditioning: { weights: 2, beta: false }, activation: 'gelu' };

const params = perturbedParams;

const optimizer = { ...DEFAULT_OPTIMIZER, learningRate: 0.05, epsilon: 1 };
const cosSpec = (parametrisation: 'scratch' | 'augment'): RankerSpec => ({ base: mlp, cos: { net, parametrisation, temperature: false } });
const cases: { name: string; options: TrainSessionOptions }[] = [
  { name: 'base ListNet', options: { spec: { base: mlp }, params: params({ base: mlp }, 1), target: 'base', loss: { kind: 'listnet' }, optimizer, seed: 1 } },
  { name: 'base ListMLE', options: { spec: { base: mlp }, params: params({ base: mlp }, 2), target: 'base', loss: { kind: 'listmle' }, optimizer, seed: 1 } },
  {
    name: 'COS scratch, LiPO with the cosine penalty',
    options: { spec: cosSpec('scratch'), params: params(cosSpec('scratch'), 3), target: 'cos', loss: { kind: 'lipo', targets: ['sparse', 'dense'], lambda: 0.3 }, optimizer, seed: 1 },
  },
  {
    name: 'COS augment, LiPO',
    options: { spec: cosSpec('augment'), params: params(cosSpec('augment'), 4), target: 'cos', loss: { kind: 'lipo', targets: ['dense', 'sparse'], lambda: 0 }, optimizer, seed: 1 },
  },
];

/** Ragged lists (one all padding), two batch sizes, and batches of 4 lists in two list-size buckets (16, 32). */
const batches = (spec: RankerSpec): ListBatch[] => [
  randomListBatch(spec, 11, 4, 9, F, (b) => [9, 3, 0, 6][b]),
  randomListBatch(spec, 12, 3, 17, F, (b) => [17, 1, 12][b]),
  randomListBatch(spec, 13, 4, 9, F, (b) => [2, 9, 9, 5][b]),
  randomListBatch(spec, 14, 4, 30, F, (b) => [30, 4, 17, 25][b]),
];

describe.each(cases)('packed rows = padded lists: $name', ({ options }) => {
  it('gives the same losses and parameters step after step', async () => {
    const packed = await (await createOnnxEngine({ threads: 1, packedRows: true })).createTrainSession(options);
    const padded = await (await createOnnxEngine({ threads: 1, packedRows: false })).createTrainSession(options);
    try {
      for (const batch of [...batches(options.spec), ...batches(options.spec)]) {
        const [a, b] = [await packed.step(batch), await padded.step(batch)];
        expect(Math.abs(a - b)).toBeLessThan(1e-5 * Math.max(1, Math.abs(b)));
      }
      const batch = batches(options.spec)[1];
      expect(Math.abs((await packed.evaluateLoss(batch)) - (await padded.evaluateLoss(batch)))).toBeLessThan(1e-5);
      const [pa, pb] = [packed.parameters(), padded.parameters()];
      for (const name of Object.keys(pb)) {
        for (let i = 0; i < pb[name].data.length; i++) expect(Math.abs(pa[name].data[i] - pb[name].data[i])).toBeLessThan(1e-5);
      }
      // and the steps moved the parameters (the comparison is not between two idle sessions)
      const start = (options.target === 'base' ? options.params.base : options.params.cos) as Parameters;
      expect(Object.keys(pb).some((n) => pb[n].data.some((v, i) => Math.abs(v - start[n].data[i]) > 1e-3))).toBe(true);
    } finally {
      packed.dispose();
      padded.dispose();
    }
  });
});
