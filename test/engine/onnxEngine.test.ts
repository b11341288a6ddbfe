/**
 * The ONNX engine: scores against the float64 reference, padded = ragged, augmentation at zero output
 * weights = s0, the c and T-COS mixing closed forms, export, train sessions, and agreement with the
 * tfjs engine (scores and one training step from the same weights).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { type Parameters, type RankerSpec, type ScorerSpec } from '../../src/model/spec';
import { DEFAULT_OPTIMIZER, type Engine, type ListBatch, type TrainSessionOptions } from '../../src/engine/engine';
import type { RankerParameters } from '../../src/model/rankerParameters';
import { createOnnxEngine } from '../../src/engine/onnx/engine';
import { exportOnnx } from '../../src/engine/onnx/export';
import { buildInferenceGraph } from '../../src/engine/onnx/scorerGraph';
import { createTfjsEngine } from '../../src/engine/tfjs/engine';
import { ConfigError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';
import { rankerList } from './onnxReference';
import { perturbedParams, randomListBatch } from './listBatchFixture';

const F = 4;
const mlp: ScorerSpec = { kind: 'mlp', inputSize: F, conditioning: { weights: 0, beta: false }, hidden: [6, 5], activation: 'gelu', dropout: 0 };
const netMlp: ScorerSpec = { ...mlp, conditioning: { weights: 2, beta: true }, activation: 'relu' };
const netTr: ScorerSpec = { kind: 'transformer', inputSize: F, conditioning: { weights: 2, beta: true }, dModel: 8, nLayers: 2, nHeads: 2, ffHidden: 12, activation: 'gelu', dropout: 0 };

const specs: { name: string; spec: RankerSpec }[] = [
  { name: 'MLP s0', spec: { base: mlp } },
  { name: 'MLP T-COS scratch', spec: { base: mlp, cos: { net: netMlp, parametrisation: 'scratch', temperature: true } } },
  { name: 'transformer T-COS augment', spec: { base: mlp, cos: { net: netTr, parametrisation: 'augment', temperature: true } } },
];

const params = perturbedParams;

/** Ragged queries of lengths 3, 1, 5, 2. */
function queries(seed: number) {
  const rng = new Rng(seed);
  const offsets = Int32Array.from([0, 3, 4, 9, 11]);
  return { features: Float32Array.from({ length: 11 * F }, () => rng.normal()), queryOffsets: offsets };
}

function reference(spec: RankerSpec, p: RankerParameters, q: ReturnType<typeof queries>, w: number[], beta: number[], c: number): number[] {
  const out: number[] = [];
  for (let k = 0; k + 1 < q.queryOffsets.length; k++) {
    const xs = [];
    for (let i = q.queryOffsets[k]; i < q.queryOffsets[k + 1]; i++) xs.push(q.features.subarray(i * F, (i + 1) * F));
    out.push(...rankerList(spec, p.base, p.cos ?? null, xs, xs.map(() => 1), w, beta, c).s);
  }
  return out;
}

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol: number) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(tol * Math.max(1, Math.abs(b[i])));
};

let engine: Engine;
beforeAll(async () => {
  engine = await createOnnxEngine({ threads: 1 });
});

describe.each(specs)('ONNX scoring: $name', ({ spec }) => {
  const p = params(spec, 3);
  const q = queries(4);
  const w = Float32Array.from([0.3, 0.7]);
  const beta = Float32Array.from([0.8, 1.3]);

  it('matches the float64 reference, with w, β and c', async () => {
    for (const c of [1, 2.5]) {
      const s = await engine.score(spec, p, { ...q, weights: w, beta, c });
      close(s, reference(spec, p, q, Array.from(w), Array.from(beta), c), 2e-5);
    }
  });

  it('scores padded lists like ragged ones (each query alone gives the same scores)', async () => {
    const all = await engine.score(spec, p, { ...q, weights: w, beta });
    for (let k = 0; k + 1 < q.queryOffsets.length; k++) {
      const [a, b] = [q.queryOffsets[k], q.queryOffsets[k + 1]];
      const alone = await engine.score(spec, p, { features: q.features.slice(a * F, b * F), queryOffsets: Int32Array.from([0, b - a]), weights: w, beta });
      close(alone, all.subarray(a, b), 1e-6);
    }
  });

  it('exports an ONNX file that onnxruntime scores identically', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-onnx-')), 'ranker.onnx');
    await exportOnnx(spec, p, file);
    const session = await ort.InferenceSession.create(file);
    const scores = await engine.score(spec, p, { ...q, weights: w, beta, c: 1 });
    const feeds: Record<string, ort.Tensor> = {};
    if (session.inputNames.includes('mask')) {
      // one list of the first query
      feeds.features = new ort.Tensor('float32', q.features.slice(0, 3 * F), [1, 3, F]);
      feeds.mask = new ort.Tensor('float32', Float32Array.from([1, 1, 1]), [1, 3]);
    } else feeds.features = new ort.Tensor('float32', q.features.slice(0, 3 * F), [3, F]);
    if (session.inputNames.includes('w')) feeds.w = new ort.Tensor('float32', w, [2]);
    if (session.inputNames.includes('beta')) feeds.beta = new ort.Tensor('float32', beta, [2]);
    if (session.inputNames.includes('c')) feeds.c = new ort.Tensor('float32', Float32Array.of(1), []);
    const out = await session.run(feeds);
    close(out.scores.data as Float32Array, scores.subarray(0, 3), 1e-6);
    await session.release();
  });
});

describe('ONNX scoring closed forms', () => {
  const spec = specs[2].spec;
  const p = params(spec, 8);
  const q = queries(9);
  const w = Float32Array.from([0.6, 0.4]);
  const beta = Float32Array.from([1.2, 0.9]);
  const s0Of = () => engine.score({ base: spec.base }, { base: p.base }, q);

  it('c: s_c = (1 − 1/c)·s0 + (1/c)·s', async () => {
    const s0 = await s0Of();
    const s1 = await engine.score(spec, p, { ...q, weights: w, beta, c: 1 });
    const s3 = await engine.score(spec, p, { ...q, weights: w, beta, c: 3 });
    close(s3, Array.from(s1, (v, i) => (2 / 3) * s0[i] + v / 3), 1e-5);
  });

  it('T-COS: s = (1 − 1/‖β‖₁)·s0 + (1/‖β‖₁)·sθ(x, w, β̄)', async () => {
    const cos = spec.cos as NonNullable<RankerSpec['cos']>;
    const s0 = await s0Of();
    const sT = await engine.score(spec, p, { ...q, weights: w, beta });
    const sTheta = await engine.score({ ...spec, cos: { ...cos, temperature: false } }, p, { ...q, weights: w, beta });
    const n = 1.2 + 0.9;
    close(sT, Array.from(sTheta, (v, i) => (1 - 1 / n) * s0[i] + v / n), 1e-5);
  });

  it('augmentation with zero output weights scores exactly s0, whatever w, β and c', async () => {
    const zeroed: RankerParameters = { base: p.base, cos: { ...(p.cos as Parameters) } };
    const cp = zeroed.cos as Parameters;
    cp['output.weight'] = { shape: [8, 1], data: new Float32Array(8) };
    cp['output.bias'] = { shape: [1], data: new Float32Array(1) };
    const s0 = await s0Of();
    close(await engine.score(spec, zeroed, { ...q, weights: w, beta, c: 1.7 }), s0, 1e-6);
  });

  it("a net holding s0's own input normalisation (as training copies it) shares its constants, with the same scores", async () => {
    for (const { spec: ranker } of specs.slice(1)) {
      const base = params(ranker, 11).base;
      base['input.mean'].data[1] = 0;
      const copy = (t: { shape: number[]; data: Float32Array }) => ({ shape: [...t.shape], data: t.data.slice() });
      const sharing: RankerParameters = { base, cos: { ...(params(ranker, 12).cos as Parameters), 'input.mean': copy(base['input.mean']), 'input.scale': copy(base['input.scale']) } };
      // the same numbers held apart: −0 for the zero mean is a different constant, and x − (−0) = x − 0 for every x ≠ 0
      const apart: RankerParameters = { base, cos: { ...(sharing.cos as Parameters), 'input.mean': copy(base['input.mean']) } };
      (apart.cos as Parameters)['input.mean'].data[1] = -0;
      const names = (p: RankerParameters) => buildInferenceGraph(ranker, p as { base: Parameters; cos: Parameters }).constantNames().filter((n) => /input\.(mean|scale)/.test(n));
      expect(names(sharing).sort()).toEqual(['base.input.mean', 'base.input.scale']);
      expect(names(apart).sort()).toEqual(['base.input.mean', 'base.input.scale', 'cos.input.mean']);
      const [a, b] = [await engine.score(ranker, sharing, { ...q, weights: w, beta }), await engine.score(ranker, apart, { ...q, weights: w, beta })];
      expect(Array.from(a)).toEqual(Array.from(b));
      close(a, reference(ranker, sharing, q, Array.from(w), Array.from(beta), 1), 2e-5);
    }
  });

  it('rejects a wrong-length trade-off with a ConfigError', async () => {
    await expect(engine.score(spec, p, { ...q, weights: Float32Array.of(1) })).rejects.toThrow(ConfigError);
  });
});

function batchFor(spec: RankerSpec, seed: number, B = 3, N = 5): ListBatch {
  return randomListBatch(spec, seed, B, N, F, (b) => N - b);
}

const trainCases: { name: string; options: () => TrainSessionOptions }[] = [
  {
    name: 'MLP s0 ListNet',
    options: () => ({ spec: specs[0].spec, params: params(specs[0].spec, 1), target: 'base', loss: { kind: 'listnet' }, optimizer: DEFAULT_OPTIMIZER, seed: 1 }),
  },
  {
    name: 'MLP s0 ListMLE',
    options: () => ({ spec: specs[0].spec, params: params(specs[0].spec, 1), target: 'base', loss: { kind: 'listmle' }, optimizer: DEFAULT_OPTIMIZER, seed: 1 }),
  },
  {
    name: 'MLP T-COS LiPO',
    options: () => ({
      spec: specs[1].spec,
      params: params(specs[1].spec, 2),
      target: 'cos',
      loss: { kind: 'lipo', targets: ['sparse', 'dense'], lambda: 0.5 },
      optimizer: { ...DEFAULT_OPTIMIZER, weightDecay: 0.01, clipNorm: 1 },
      seed: 2,
    }),
  },
  {
    name: 'transformer T-COS LiPO',
    options: () => ({
      spec: specs[2].spec,
      params: params(specs[2].spec, 3),
      target: 'cos',
      loss: { kind: 'lipo', targets: ['sparse', 'sparse'], lambda: 0 },
      optimizer: DEFAULT_OPTIMIZER,
      seed: 3,
    }),
  },
];

describe.each(trainCases)('ONNX train session: $name', ({ options }) => {
  it('decreases the loss on a fixed batch; evaluateLoss, parameters and restore are consistent', async () => {
    const o = options();
    const batch = batchFor(o.spec, 5);
    const s = await engine.createTrainSession({ ...o, optimizer: { ...o.optimizer, learningRate: 0.01 } });
    const first = await s.evaluateLoss(batch);
    expect(await s.step(batch)).toBeCloseTo(first, 5);
    for (let i = 0; i < 30; i++) await s.step(batch);
    const last = await s.evaluateLoss(batch);
    expect(last).toBeLessThan(first);
    const saved = s.parameters();
    const state = s.optimizerState();
    expect(state.step).toBe(31);
    const next = await s.step(batch);
    s.restore(saved, state);
    expect(await s.step(batch)).toBeCloseTo(next, 6);
    s.dispose();
  });
});

describe('ONNX train session with dropout', () => {
  it('is deterministic for a seed and differs across seeds', async () => {
    const spec: RankerSpec = { base: { ...mlp, dropout: 0.3 } };
    const batch = batchFor(spec, 6);
    const run = async (seed: number) => {
      const s = await engine.createTrainSession({ spec, params: params(spec, 1), target: 'base', loss: { kind: 'listnet' }, optimizer: DEFAULT_OPTIMIZER, seed });
      for (let i = 0; i < 3; i++) await s.step(batch);
      return s.parameters()['layers.0.weight'].data;
    };
    const a = await run(1);
    expect(Array.from(await run(1))).toEqual(Array.from(a));
    expect(Array.from(await run(2))).not.toEqual(Array.from(a));
  });

  it('restoring a saved state into a new session continues with the same dropout masks', async () => {
    const spec: RankerSpec = { base: { ...mlp, dropout: 0.3 } };
    const batch = batchFor(spec, 6);
    const open = () => engine.createTrainSession({ spec, params: params(spec, 1), target: 'base', loss: { kind: 'listnet' }, optimizer: DEFAULT_OPTIMIZER, seed: 4 });
    const whole = await open();
    for (let i = 0; i < 2; i++) await whole.step(batch);
    const saved = whole.parameters();
    const state = whole.optimizerState();
    for (let i = 0; i < 2; i++) await whole.step(batch);
    const resumed = await open();
    resumed.restore(saved, state);
    for (let i = 0; i < 2; i++) await resumed.step(batch);
    expect(Array.from(resumed.parameters()['layers.0.weight'].data)).toEqual(Array.from(whole.parameters()['layers.0.weight'].data));
    whole.dispose();
    resumed.dispose();
  });
});

describe('ONNX and tfjs engines agree', () => {
  let tfjs: Engine;
  beforeAll(async () => {
    tfjs = await createTfjsEngine({ backend: 'cpu' });
  });

  it.each(specs)('same scores: $name', async ({ spec }) => {
    const p = params(spec, 12);
    const q = queries(13);
    const input = { ...q, weights: Float32Array.from([0.2, 0.8]), beta: Float32Array.from([0.9, 1.4]), c: 1.5 };
    close(await engine.score(spec, p, input), await tfjs.score(spec, p, input), 1e-5);
  });

  it.each(trainCases)('one training step gives the same loss and parameters: $name', async ({ options }) => {
    // ε = 1 makes the first Adam update ≈ lr·g/(|g| + 1), linear in g: gradients that are zero in exact
    // arithmetic (the output bias under a softmax loss, attention key biases) are float noise that a
    // tiny ε would blow up to ±lr on either engine.
    const base = options();
    const o = { ...base, optimizer: { ...base.optimizer, learningRate: 0.1, epsilon: 1 } };
    const batch = batchFor(o.spec, 14);
    const a = await engine.createTrainSession(o);
    const b = await tfjs.createTrainSession(o);
    expect(Math.abs((await a.step(batch)) - (await b.step(batch)))).toBeLessThan(1e-5);
    const pa = a.parameters();
    const pb = b.parameters();
    for (const name of Object.keys(pa)) close(pa[name].data, pb[name].data, 1e-5);
    a.dispose();
    b.dispose();
  });
});
