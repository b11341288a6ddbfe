/**
 * Batch t+1 drawn while step t runs (issue 12): the same seed gives the same batches and the same weights
 * with and without prefetching (data-parallel and packed-row engines), the next batch is drawn before the
 * step resolves, and never before a checkpoint that must save the stream as it was after step t. (Exact
 * resume with checkpoints is resume.test.ts, run with prefetching on.)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Engine, ListBatch, TrainSession } from '../../src/engine/engine';
import { DEFAULT_OPTIMIZER } from '../../src/engine/engine';
import { createOnnxEngine } from '../../src/engine/onnx/engine';
import { fitInputNormalisation, initParameters, type Parameters, type RankerSpec } from '../../src/model/spec';
import { BatchStream } from '../../src/train/batching';
import { runTrainingLoop, type BatchSource } from '../../src/train/trainer';
import { Rng } from '../../src/util/rng';
import { smallData } from './smallData';

const train = smallData(20, 81);
const F = train.nFeatures;

/** A batch stream recording each draw and step as events, in order. */
class Recording implements BatchSource {
  constructor(
    private readonly stream: BatchStream,
    readonly events: string[],
  ) {}
  next(): ListBatch {
    this.events.push('next');
    return this.stream.next();
  }
  getState(): unknown {
    return this.stream.getState();
  }
  setState(state: unknown): void {
    this.stream.setState(state as ReturnType<BatchStream['getState']>);
  }
}

async function run(engine: Engine, spec: RankerSpec, prefetch: boolean, checkpointDir?: string): Promise<{ params: Parameters; events: string[]; losses: number[] }> {
  const base = initParameters(spec.base, new Rng(1));
  fitInputNormalisation(base, train.features, F);
  const session = await engine.createTrainSession({ spec, params: { base }, target: 'base', loss: { kind: 'listnet' }, optimizer: { ...DEFAULT_OPTIMIZER, learningRate: 0.01 }, seed: 3 });
  const events: string[] = [];
  const losses: number[] = [];
  const recorded: TrainSession = {
    step: async (b) => {
      events.push('step');
      const loss = await session.step(b);
      events.push('stepped');
      losses.push(loss);
      return loss;
    },
    evaluateLoss: (b) => session.evaluateLoss(b),
    parameters: () => session.parameters(),
    optimizerState: () => session.optimizerState(),
    restore: (p, st) => session.restore(p, st),
    dispose: () => session.dispose(),
  };
  const batches = new Recording(new BatchStream(train, { listsPerBatch: 6, slateLength: 10, labelColumns: [0] }, new Rng(7)), events);
  try {
    const result = await runTrainingLoop({
      stage: 'train-base',
      session: recorded,
      batches,
      totalSteps: 9,
      validateEvery: 100,
      patience: 0,
      figureName: 'none',
      validate: async () => ({ figure: 0, metrics: {} }),
      prefetch,
      ...(checkpointDir ? { checkpoint: { dir: checkpointDir, every: 4, configHash: 'test', resume: false } } : {}),
    });
    expect(result.steps).toBe(9);
    return { params: session.parameters(), events, losses };
  } finally {
    session.dispose();
  }
}

const mlp = { kind: 'mlp' as const, inputSize: F, conditioning: { weights: 0, beta: false }, hidden: [8], activation: 'relu' as const, dropout: 0 };
describe.each([
  ['packed rows, one thread', () => createOnnxEngine({ threads: 1 }), { base: mlp }],
  ['data-parallel parts (dropout)', () => createOnnxEngine({ threads: 2 }), { base: { ...mlp, dropout: 0.2 } }],
])('prefetching (%s)', (_, make, spec: RankerSpec) => {
  it('gives the same losses and weights as drawing each batch when needed', async () => {
    const engine = await make();
    const [a, b] = [await run(engine, spec, true), await run(engine, spec, false)];
    expect(a.losses).toEqual(b.losses);
    for (const name of Object.keys(b.params)) expect(Array.from(a.params[name].data)).toEqual(Array.from(b.params[name].data));
    // with prefetching the next batch is drawn before the step resolves; without, after it
    expect(a.events.slice(0, 4)).toEqual(['next', 'step', 'next', 'stepped']);
    expect(b.events.slice(0, 4)).toEqual(['next', 'step', 'stepped', 'next']);
    expect(a.events.filter((e) => e === 'next')).toHaveLength(9);
  });
});

test('no batch is drawn ahead of a checkpoint (the saved stream state is the one after the step)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-prefetch-'));
  try {
    const { events } = await run(await createOnnxEngine({ threads: 1 }), { base: mlp }, true, dir);
    // step 4 is checkpointed: its step resolves before batch 5 is drawn
    const steps = events.map((e, i) => [e, i] as const).filter(([e]) => e === 'stepped');
    const fourth = steps[3][1];
    expect(events.slice(fourth - 1, fourth + 2)).toEqual(['step', 'stepped', 'next']);
    const third = steps[2][1];
    expect(events[third - 1]).toBe('next');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
