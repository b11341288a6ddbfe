/**
 * The ONNX training graphs against an independent float64 reference (onnxReference.ts):
 * loss values, gradients (reverse-mode rules) against central finite differences of the reference,
 * and the AdamW update against a hand-computed step.
 */
import * as ort from 'onnxruntime-node';
import { initParameters, isTrainable, type Parameters, type RankerSpec, type ScorerSpec } from '../../src/model/spec';
import { DEFAULT_OPTIMIZER, type LossSpec, type OptimizerConfig } from '../../src/engine/engine';
import { buildTrainGraph } from '../../src/engine/onnx/trainGraph';
import { listmlePermutation } from '../../src/engine/onnx/losses';
import { Rng } from '../../src/util/rng';
import { batchLoss, toFloat64, type RefBatch } from './onnxReference';

const F = 3;
const mlp = (over: Partial<ScorerSpec & { kind: 'mlp' }> = {}): ScorerSpec => ({
  kind: 'mlp',
  inputSize: F,
  conditioning: { weights: 0, beta: false },
  hidden: [5, 4],
  activation: 'tanh',
  dropout: 0,
  ...over,
});
const transformer = (over: Partial<ScorerSpec & { kind: 'transformer' }> = {}): ScorerSpec => ({
  kind: 'transformer',
  inputSize: F,
  conditioning: { weights: 0, beta: false },
  dModel: 4,
  nLayers: 2,
  nHeads: 2,
  ffHidden: 6,
  activation: 'gelu',
  dropout: 0,
  ...over,
});

/** Random parameters with every tensor perturbed (so no gradient is trivially zero). */
function randomParams(spec: ScorerSpec, rng: Rng): Parameters {
  const p = initParameters(spec, rng);
  for (const t of Object.values(p)) for (let i = 0; i < t.data.length; i++) t.data[i] += 0.3 * rng.normal();
  return p;
}

/** Lists of lengths B×N with padding, an all-zero-label list and an empty list when B ≥ 4. */
function randomBatch(rng: Rng, B: number, N: number, nLabels: number, m: number): RefBatch {
  const features = Float32Array.from({ length: B * N * F }, () => rng.normal());
  const mask = new Uint8Array(B * N);
  const labels = Array.from({ length: nLabels }, () => new Float32Array(B * N));
  for (let b = 0; b < B; b++) {
    const len = b === 3 ? 0 : Math.max(1, N - b);
    mask.fill(1, b * N, b * N + len);
    for (const l of labels) for (let i = 0; i < len; i++) l[b * N + i] = b === 1 ? 0 : rng.int(3);
  }
  const batch: RefBatch = { B, N, F, features, mask, labels };
  if (m > 0) {
    batch.weights = new Float32Array(B * m);
    batch.beta = new Float32Array(B * m);
    for (let b = 0; b < B; b++) {
      batch.weights.set(rng.dirichlet(new Array(m).fill(1)), b * m);
      for (let j = 0; j < m; j++) batch.beta[b * m + j] = rng.uniformIn(0.67, 1.5);
    }
  }
  return batch;
}

interface Case {
  name: string;
  spec: RankerSpec;
  target: 'base' | 'cos';
  loss: LossSpec;
}

const cases: Case[] = [
  { name: 'MLP s0, ListNet', spec: { base: mlp({ activation: 'relu' }) }, target: 'base', loss: { kind: 'listnet' } },
  { name: 'MLP s0, ListMLE', spec: { base: mlp() }, target: 'base', loss: { kind: 'listmle' } },
  {
    name: 'MLP T-COS scratch, LiPO sparse+dense, λ=0.5',
    spec: { base: mlp(), cos: { net: mlp({ conditioning: { weights: 2, beta: true }, activation: 'gelu' }), parametrisation: 'scratch', temperature: true } },
    target: 'cos',
    loss: { kind: 'lipo', targets: ['sparse', 'dense'], lambda: 0.5 },
  },
  {
    name: 'MLP W-COS augment, ListNet on Δ',
    spec: { base: mlp(), cos: { net: mlp({ conditioning: { weights: 2, beta: false } }), parametrisation: 'augment', temperature: false } },
    target: 'cos',
    loss: { kind: 'listnet' },
  },
  { name: 'transformer s0, ListNet', spec: { base: transformer() }, target: 'base', loss: { kind: 'listnet' } },
  { name: 'transformer s0, ListMLE', spec: { base: transformer({ activation: 'relu' }) }, target: 'base', loss: { kind: 'listmle' } },
  {
    name: 'transformer T-COS augment over MLP s0, LiPO sparse+dense λ=0.3',
    spec: {
      base: mlp(),
      cos: { net: transformer({ conditioning: { weights: 2, beta: true }, activation: 'tanh' }), parametrisation: 'augment', temperature: true },
    },
    target: 'cos',
    loss: { kind: 'lipo', targets: ['sparse', 'dense'], lambda: 0.3 },
  },
];

async function runGraph(c: Case, trained: Parameters, frozen: Parameters | null, batch: RefBatch, mode: 'gradients' | 'step', optimizer: OptimizerConfig, extra: Record<string, ort.Tensor> = {}) {
  const m = c.spec.cos ? c.spec.cos.net.conditioning.weights : 0;
  const layout = buildTrainGraph({
    spec: c.spec,
    target: c.target,
    loss: c.loss,
    optimizer,
    frozen,
    batchSize: batch.B,
    listSize: batch.N,
    conditioningLength: m,
    mode,
    dropout: 0,
  });
  const session = await ort.InferenceSession.create(layout.graph.toModel(), { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  const { B, N } = batch;
  const feeds: Record<string, ort.Tensor> = {
    features: new ort.Tensor('float32', batch.features, [B, N, F]),
    mask: new ort.Tensor('float32', Float32Array.from(batch.mask), [B, N]),
    ...extra,
  };
  for (let j = 0; j < layout.labelCount; j++) feeds[`label.${j}`] = new ort.Tensor('float32', batch.labels[j], [B, N]);
  if (layout.needsW) feeds.w = new ort.Tensor('float32', batch.weights as Float32Array, [B, m]);
  if (layout.needsBeta) feeds.beta = new ort.Tensor('float32', batch.beta as Float32Array, [B, m]);
  if (layout.needsPerm) feeds.perm = new ort.Tensor('int64', listmlePermutation(batch.labels[0], batch.mask, B, N), [B, N]);
  for (const name of layout.paramNames) feeds[`p.${name}`] = new ort.Tensor('float32', trained[name].data, trained[name].shape);
  const out = await session.run(feeds);
  await session.release();
  return { out, layout };
}

function setup(c: Case, seed: number) {
  const rng = new Rng(seed);
  const base = randomParams(c.spec.base, rng);
  const net = c.spec.cos ? randomParams(c.spec.cos.net, rng) : null;
  const trained = c.target === 'base' ? base : (net as Parameters);
  const frozen = c.target === 'cos' ? base : null;
  const nLabels = c.loss.kind === 'lipo' ? c.loss.targets.length : 1;
  const m = c.spec.cos ? c.spec.cos.net.conditioning.weights : 0;
  return { trained, frozen, batch: randomBatch(rng, 4, 5, nLabels, m), rng };
}

describe.each(cases)('ONNX training graph: $name', (c) => {
  it('loss equals the float64 reference and gradients equal central finite differences', async () => {
    const { trained, frozen, batch } = setup(c, 11);
    const { out, layout } = await runGraph(c, trained, frozen, batch, 'gradients', DEFAULT_OPTIMIZER);
    const ref64 = toFloat64(trained);
    const frozen64 = frozen ? toFloat64(frozen) : null;
    const f = () => batchLoss(c.spec, c.target, c.loss, ref64, frozen64, batch);
    const lossRef = f();
    const loss = (out.loss.data as Float32Array)[0];
    expect(Number.isFinite(loss)).toBe(true);
    expect(Math.abs(loss - lossRef)).toBeLessThan(1e-4 * Math.max(1, Math.abs(lossRef)));
    const eps = 1e-6;
    let checked = 0;
    for (const name of layout.trainableNames) {
      const grad = out[`grad.${name}`].data as Float32Array;
      const p = ref64[name].data;
      expect(grad.length).toBe(p.length);
      // every entry of small tensors, a spread of entries of larger ones
      const stride = Math.max(1, Math.floor(p.length / 6));
      for (let i = 0; i < p.length; i += stride) {
        const keep = p[i];
        p[i] = keep + eps;
        const up = f();
        p[i] = keep - eps;
        const down = f();
        p[i] = keep;
        const fd = (up - down) / (2 * eps);
        expect({ name, i, diff: Math.abs(grad[i] - fd) <= 2e-4 + 2e-3 * Math.abs(fd) ? 0 : grad[i] - fd }).toEqual({ name, i, diff: 0 });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(10);
  });
});

describe('ONNX AdamW step', () => {
  it('equals a hand-computed AdamW step (weight decay and clipping on), two steps in a row', async () => {
    const c = cases[2];
    const { trained, frozen, batch } = setup(c, 5);
    const opt: OptimizerConfig = { learningRate: 0.01, beta1: 0.8, beta2: 0.95, epsilon: 1e-6, weightDecay: 0.1, clipNorm: 0.05 };
    let params = trained;
    const m: Record<string, Float64Array> = {};
    const v: Record<string, Float64Array> = {};
    const mIn: Record<string, Float32Array> = {};
    const vIn: Record<string, Float32Array> = {};
    for (const [name, t] of Object.entries(trained)) {
      if (!isTrainable(name)) continue;
      m[name] = new Float64Array(t.data.length);
      v[name] = new Float64Array(t.data.length);
      mIn[name] = new Float32Array(t.data.length);
      vIn[name] = new Float32Array(t.data.length);
    }
    for (let t = 1; t <= 2; t++) {
      const { out: g } = await runGraph(c, params, frozen, batch, 'gradients', opt);
      const extra: Record<string, ort.Tensor> = { step: new ort.Tensor('float32', Float32Array.of(t), []) };
      for (const name of Object.keys(m)) {
        extra[`m.${name}`] = new ort.Tensor('float32', mIn[name], params[name].shape);
        extra[`v.${name}`] = new ort.Tensor('float32', vIn[name], params[name].shape);
      }
      const { out } = await runGraph(c, params, frozen, batch, 'step', opt, extra);
      let norm2 = 0;
      for (const name of Object.keys(m)) for (const x of g[`grad.${name}`].data as Float32Array) norm2 += x * x;
      const coef = Math.min(1, opt.clipNorm / (Math.sqrt(norm2) + 1e-6));
      expect(coef).toBeLessThan(1); // clipping active
      const next: Parameters = { ...params };
      for (const name of Object.keys(m)) {
        const gr = g[`grad.${name}`].data as Float32Array;
        const p = params[name].data;
        const newP = out[`new.p.${name}`].data as Float32Array;
        for (let i = 0; i < p.length; i++) {
          const gi = gr[i] * coef;
          m[name][i] = opt.beta1 * m[name][i] + (1 - opt.beta1) * gi;
          v[name][i] = opt.beta2 * v[name][i] + (1 - opt.beta2) * gi * gi;
          const mh = m[name][i] / (1 - opt.beta1 ** t);
          const vh = v[name][i] / (1 - opt.beta2 ** t);
          const expected = p[i] - opt.learningRate * opt.weightDecay * p[i] - (opt.learningRate * mh) / (Math.sqrt(vh) + opt.epsilon);
          expect(Math.abs(newP[i] - expected)).toBeLessThan(2e-6);
        }
        mIn[name] = out[`new.m.${name}`].data as Float32Array;
        vIn[name] = out[`new.v.${name}`].data as Float32Array;
        mIn[name].forEach((x, i) => expect(Math.abs(x - m[name][i])).toBeLessThan(1e-7 + 1e-5 * Math.abs(m[name][i])));
        next[name] = { shape: params[name].shape, data: newP };
      }
      params = next;
    }
  });
});
