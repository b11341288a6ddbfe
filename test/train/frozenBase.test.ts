/**
 * The frozen s0 scored once per training document (issue 12): trainCos scores the training set with s0
 * exactly once, whatever the number of steps, and every step's batch carries those scores (so no step runs
 * s0); a run that instead computes s0 inside every step ends with the same weights (float tolerance), for an
 * MLP s0 and for the listwise transformer s0 (scored per list); with slate-cut lists a transformer's scores
 * are not fixed per document and nothing is precomputed.
 */
import type { RankingDataset } from '../../src/data/dataset';
import type { Engine, ListBatch, TrainSession } from '../../src/engine/engine';
import { createOnnxEngine } from '../../src/engine/onnx/engine';
import { trainBase } from '../../src/train/baseTraining';
import { trainCos, type BaseModel } from '../../src/train/cosTraining';
import { frozenBaseScores } from '../../src/train/frozenBase';
import type { TrainConfig } from '../../src/train/config';
import { smallConfig, smallData } from './smallData';

interface Counts {
  /** engine.score calls on the training set's features. */
  trainScoring: number;
  steps: number;
  stepsWithS0: number;
}

/** `engine` counting its scoring passes over `train` and its steps; `strip` removes `s0` from every batch. */
function counting(engine: Engine, train: RankingDataset, counts: Counts, strip = false): Engine {
  const wrap = (s: TrainSession): TrainSession => ({
    step: (b: ListBatch) => {
      counts.steps++;
      if (b.s0 !== undefined && b.s0.length === b.batchSize * b.listSize) counts.stepsWithS0++;
      if (!strip) return s.step(b);
      const { s0: _, ...rest } = b;
      return s.step(rest);
    },
    evaluateLoss: (b) => s.evaluateLoss(b),
    parameters: () => s.parameters(),
    optimizerState: () => s.optimizerState(),
    restore: (p, st) => s.restore(p, st),
    dispose: () => s.dispose(),
  });
  return {
    name: engine.name,
    description: engine.description,
    score: (spec, params, input) => {
      if (input.features === train.features) counts.trainScoring++;
      return engine.score(spec, params, input);
    },
    createTrainSession: async (o) => wrap(await engine.createTrainSession(o)),
  };
}

const train = smallData(24, 61);
const validation = smallData(8, 62);
const fresh = (): Counts => ({ trainScoring: 0, steps: 0, stepsWithS0: 0 });

describe.each([
  ['an MLP s0', {}],
  ['a transformer s0', { model: { kind: 'transformer', dModel: 8, nHeads: 2, nLayers: 1, ffHidden: 16 } }],
])('trainCos with %s', (_, modelPatch) => {
  const config: TrainConfig = smallConfig({ ...modelPatch, base: { maxSteps: 5, validateEvery: 5 }, cos: { maxSteps: 12, validateEvery: 6, parametrisation: 'scratch', sweepDivisions: 2 } });
  let base: BaseModel;
  let engine: Engine;
  beforeAll(async () => {
    engine = await createOnnxEngine({ threads: 1 });
    base = await trainBase(engine, train, validation, config);
  });

  it('scores the training set with s0 once and feeds the scores to every step', async () => {
    const counts = fresh();
    await trainCos(counting(engine, train, counts), base, train, validation, config);
    expect(counts.steps).toBe(12);
    expect(counts.stepsWithS0).toBe(12);
    expect(counts.trainScoring).toBe(1);
  });

  it('ends with the weights of a run computing s0 inside every step', async () => {
    const [a, b] = [fresh(), fresh()];
    const given = await trainCos(counting(engine, train, a), base, train, validation, config);
    const inStep = await trainCos(counting(engine, train, b, true), base, train, validation, config);
    expect(b.stepsWithS0).toBe(12); // the batches carried s0; the wrapper removed it before the engine saw it
    const [p, q] = [given.params.cos ?? {}, inStep.params.cos ?? {}];
    let moved = 0;
    for (const name of Object.keys(q)) {
      for (let i = 0; i < q[name].data.length; i++) {
        expect(Math.abs(p[name].data[i] - q[name].data[i])).toBeLessThan(2e-5);
        moved = Math.max(moved, Math.abs(q[name].data[i]));
      }
    }
    expect(moved).toBeGreaterThan(0);
    expect(given.hypervolume).toBeCloseTo(inStep.hypervolume, 5);
  });
});

test('a transformer s0 with slate-cut lists is not precomputed; an MLP s0 is, and equals its scoring', async () => {
  const engine = await createOnnxEngine({ threads: 1 });
  const mlpConfig = smallConfig({ base: { maxSteps: 1, validateEvery: 1 } });
  const trConfig = smallConfig({ model: { kind: 'transformer', dModel: 8, nHeads: 2, nLayers: 1, ffHidden: 16 }, base: { maxSteps: 1, validateEvery: 1 } });
  const longest = Math.max(...Array.from({ length: train.queryOffsets.length - 1 }, (_, q) => train.queryOffsets[q + 1] - train.queryOffsets[q]));
  const mlpBase = await trainBase(engine, train, validation, mlpConfig);
  const trBase = await trainBase(engine, train, validation, trConfig);
  expect(await frozenBaseScores(engine, trBase, train, longest - 1)).toBeNull();
  const whole = await frozenBaseScores(engine, trBase, train, longest);
  expect(whole).not.toBeNull();
  const cut = await frozenBaseScores(engine, mlpBase, train, 3);
  const direct = await engine.score(mlpBase.spec, mlpBase.params, { features: train.features, queryOffsets: train.queryOffsets });
  expect(Array.from(cut ?? [])).toEqual(Array.from(direct));
});
