/**
 * Forward passes and score composition of the tfjs engine: a hand-computed MLP, a float64 reference
 * of both scorers written from the formulas of src/model/spec.ts, padded-equals-ragged, padding
 * contents, and the RankerSpec composition rules (augmentation, T-COS mixing, factor c).
 */
import * as tf from '@tensorflow/tfjs';
import { createTfjsEngine } from '../../src/engine/tfjs/engine';
import { scorerForward, toTensors } from '../../src/engine/tfjs/scorer';
import type { Engine } from '../../src/engine/engine';
import type { RankerParameters } from '../../src/model/rankerParameters';
import { Activation, initParameters, MlpSpec, Parameters, RankerSpec, ScorerSpec, TransformerSpec } from '../../src/model/spec';
import { Rng } from '../../src/util/rng';

let engine: Engine;
beforeAll(async () => {
  engine = await createTfjsEngine({ backend: 'cpu' });
});

// ---------- float64 reference scorer, one list at a time ----------

type Mat = number[][];
const matmul = (a: Mat, p: { shape: number[]; data: Float32Array }): Mat =>
  a.map((row) => Array.from({ length: p.shape[1] }, (_, o) => row.reduce((s, v, i) => s + v * p.data[i * p.shape[1] + o], 0)));
const addBias = (a: Mat, b: Float32Array): Mat => a.map((row) => row.map((v, o) => v + b[o]));
const act = (kind: Activation, v: number) =>
  kind === 'relu' ? Math.max(0, v) : kind === 'tanh' ? Math.tanh(v) : 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));

function refScorer(spec: ScorerSpec, params: Parameters, x: Mat, w: number[], betaBar: number[]): number[] {
  const p = (name: string) => params[name];
  const lin = (h: Mat, name: string) => addBias(matmul(h, p(`${name}.weight`)), p(`${name}.bias`).data);
  const u = x.map((row) => [
    ...row.map((v, f) => (v - p('input.mean').data[f]) * p('input.scale').data[f]),
    ...(spec.conditioning.weights > 0 ? w : []),
    ...(spec.conditioning.beta ? betaBar : []),
  ]);
  if (spec.kind === 'mlp') {
    let h = u;
    for (let i = 0; i < spec.hidden.length; i++) h = lin(h, `layers.${i}`).map((r) => r.map((v) => act(spec.activation, v)));
    return lin(h, `layers.${spec.hidden.length}`).map((r) => r[0]);
  }
  const ln = (h: Mat, name: string) =>
    h.map((r) => {
      const mean = r.reduce((a, v) => a + v, 0) / r.length;
      const variance = r.reduce((a, v) => a + (v - mean) ** 2, 0) / r.length;
      return r.map((v, i) => ((v - mean) / Math.sqrt(variance + 1e-5)) * p(`${name}.gamma`).data[i] + p(`${name}.beta`).data[i]);
    });
  const d = spec.dModel;
  const dh = d / spec.nHeads;
  let h = lin(u, 'input');
  for (let l = 0; l < spec.nLayers; l++) {
    const pre = `blocks.${l}`;
    const a = ln(h, `${pre}.norm1`);
    const [q, k, v] = ['q', 'k', 'v'].map((n) => lin(a, `${pre}.attn.${n}`));
    const ctx = h.map((_, i) => {
      const out = new Array<number>(d).fill(0);
      for (let head = 0; head < spec.nHeads; head++) {
        const cols = Array.from({ length: dh }, (_, c) => head * dh + c);
        const logits = k.map((kr) => cols.reduce((s, c) => s + q[i][c] * kr[c], 0) / Math.sqrt(dh));
        const mx = Math.max(...logits);
        const e = logits.map((z) => Math.exp(z - mx));
        const z = e.reduce((s, t) => s + t, 0);
        for (const c of cols) out[c] = e.reduce((s, t, j) => s + (t / z) * v[j][c], 0);
      }
      return out;
    });
    const attnOut = lin(ctx, `${pre}.attn.out`);
    h = h.map((r, i) => r.map((t, c) => t + attnOut[i][c]));
    const f = ln(h, `${pre}.norm2`);
    const ff = lin(lin(f, `${pre}.ff.0`).map((r) => r.map((t) => act(spec.activation, t))), `${pre}.ff.1`);
    h = h.map((r, i) => r.map((t, c) => t + ff[i][c]));
  }
  return lin(ln(h, 'final.norm'), 'output').map((r) => r[0]);
}

// ---------- fixtures ----------

const F = 3;
const mlp: MlpSpec = { kind: 'mlp', inputSize: F, conditioning: { weights: 0, beta: false }, hidden: [5, 4], activation: 'tanh', dropout: 0.2 };
const transformer: TransformerSpec = {
  kind: 'transformer',
  inputSize: F,
  conditioning: { weights: 2, beta: true },
  dModel: 4,
  nLayers: 2,
  nHeads: 2,
  ffHidden: 6,
  activation: 'gelu',
  dropout: 0.1,
};

/** Parameters with every entry random (biases, norms and input normalisation included). */
function randomParams(spec: ScorerSpec, seed: number): Parameters {
  const rng = new Rng(seed);
  const params = initParameters(spec, rng);
  for (const [name, t] of Object.entries(params)) {
    for (let i = 0; i < t.data.length; i++) {
      if (name === 'input.scale' || name.endsWith('.gamma')) t.data[i] = rng.uniformIn(0.5, 1.5);
      else if (!name.endsWith('.weight')) t.data[i] = rng.uniformIn(-0.5, 0.5);
    }
  }
  return params;
}

const offsets = Int32Array.from([0, 3, 4, 9, 9, 11]);
const nDocs = offsets[offsets.length - 1];
const features = Float32Array.from({ length: nDocs * F }, (_, i) => Math.sin(i * 1.7) * 2);
const docsOf = (q: number): Mat =>
  Array.from({ length: offsets[q + 1] - offsets[q] }, (_, i) => Array.from(features.subarray((offsets[q] + i) * F, (offsets[q] + i + 1) * F)));

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol = 1e-5): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(tol * Math.max(1, Math.abs(want[i])));
}

// ---------- tests ----------

test('a tiny MLP matches a hand computation', async () => {
  const spec: MlpSpec = { kind: 'mlp', inputSize: 2, conditioning: { weights: 0, beta: false }, hidden: [2], activation: 'relu', dropout: 0 };
  const t = (shape: number[], data: number[]) => ({ shape, data: Float32Array.from(data) });
  const params: Parameters = {
    'input.mean': t([2], [1, 0]),
    'input.scale': t([2], [2, 1]),
    'layers.0.weight': t([2, 2], [1, -1, 2, 0.5]),
    'layers.0.bias': t([2], [0, 1]),
    'layers.1.weight': t([2, 1], [3, -2]),
    'layers.1.bias': t([1], [0.5]),
  };
  // x = (2, 1): u = (2, 1), h = relu(4, −0.5) = (4, 0), s = 12.5
  // x = (0, 3): u = (−2, 3), h = relu(4, 4.5), s = 12 − 9 + 0.5 = 3.5
  const s = await engine.score({ base: spec }, { base: params }, { features: Float32Array.from([2, 1, 0, 3]), queryOffsets: Int32Array.from([0, 2]) });
  expectClose(s, [12.5, 3.5], 1e-7);
});

test('a conditioned from-scratch COS net appends w to the input', async () => {
  const base: MlpSpec = { kind: 'mlp', inputSize: 1, conditioning: { weights: 0, beta: false }, hidden: [], activation: 'relu', dropout: 0 };
  const net: MlpSpec = { ...base, conditioning: { weights: 2, beta: false } };
  const t = (shape: number[], data: number[]) => ({ shape, data: Float32Array.from(data) });
  const norm = { 'input.mean': t([1], [0]), 'input.scale': t([1], [1]) };
  const params: RankerParameters = {
    base: { ...norm, 'layers.0.weight': t([1, 1], [100]), 'layers.0.bias': t([1], [0]) },
    cos: { ...norm, 'layers.0.weight': t([3, 1], [1, 4, 8]), 'layers.0.bias': t([1], [0]) },
  };
  const spec: RankerSpec = { base, cos: { net, parametrisation: 'scratch', temperature: false } };
  // u = (2, 0.25, 0.75) → 2 + 1 + 6 = 9
  const s = await engine.score(spec, params, { features: Float32Array.from([2]), queryOffsets: Int32Array.from([0, 1]), weights: Float32Array.from([0.25, 0.75]) });
  expectClose(s, [9], 1e-7);
});

describe.each([mlp, transformer])('$kind scorer', (scorer) => {
  const w = [0.3, 0.7];
  const beta = [0.5, 1.5];
  const spec: RankerSpec =
    scorer.conditioning.weights === 0
      ? { base: scorer }
      : { base: { ...mlp, inputSize: F }, cos: { net: scorer, parametrisation: 'scratch', temperature: false } };
  const params: RankerParameters = spec.cos ? { base: randomParams(spec.base, 1), cos: randomParams(scorer, 2) } : { base: randomParams(scorer, 2) };
  const input = { features, queryOffsets: offsets, weights: Float32Array.from(w), beta: Float32Array.from(beta) };

  test('engine scores equal the float64 reference per query (1e-5)', async () => {
    const s = await engine.score(spec, params, input);
    const betaBar = beta.map((b) => b / 2);
    for (let q = 0; q + 1 < offsets.length; q++) {
      const want = refScorer(scorer, spec.cos ? (params.cos as Parameters) : params.base, docsOf(q), w, betaBar);
      expectClose(s.subarray(offsets[q], offsets[q + 1]), want);
    }
  });

  test('padded equals ragged: bucketing into one or many padded batches gives the same scores', async () => {
    const oneBucket = await engine.score(spec, params, input);
    const small = await createTfjsEngine({ backend: 'cpu', scoreBatchSlots: 4 });
    expectClose(await small.score(spec, params, input), oneBucket, 1e-6);
  });

  test('real documents are unaffected by what padded slots hold', () => {
    const [clean, dirty] = [0, 1e3].map((fill) =>
      tf.tidy(() => {
        const n = 4;
        const feats = new Float32Array(n * F).fill(fill);
        feats.set(features.subarray(0, 3 * F));
        const mask = tf.tensor2d([[1, 1, 1, 0]]);
        const p = toTensors(spec.cos ? (params.cos as Parameters) : params.base);
        return Array.from(
          scorerForward(scorer, p, { features: tf.tensor3d(feats, [1, n, F]), mask, weights: tf.tensor2d([w]), betaBar: tf.tensor2d([[0.25, 0.75]]) }, { training: false }).dataSync(),
        ).slice(0, 3);
      }),
    );
    expectClose(dirty, clean, 1e-6);
  });
});

describe('score composition (RankerSpec)', () => {
  const netOf = (beta: boolean): TransformerSpec => ({ ...transformer, conditioning: { weights: 2, beta } });
  const base = mlp;
  const baseParams = randomParams(base, 5);
  const input = (beta: number[], c?: number) => ({
    features,
    queryOffsets: offsets,
    weights: Float32Array.from([0.6, 0.4]),
    beta: Float32Array.from(beta),
    c,
  });
  const s0Promise = () => engine.score({ base }, { base: baseParams }, input([1, 1]));

  test.each([false, true])('augmentation with a zero-output net gives exactly s0 (temperature %s)', async (temperature) => {
    const net = netOf(temperature);
    const cos = initParameters(net, new Rng(9), 0);
    const spec: RankerSpec = { base, cos: { net, parametrisation: 'augment', temperature } };
    const s = await engine.score(spec, { base: baseParams, cos }, input([0.7, 2.1], 3));
    expect(Array.from(s)).toEqual(Array.from(await s0Promise()));
  });

  test('c = 1 is the identity and c mixes (1 − 1/c)·s0 + (1/c)·s', async () => {
    const net = netOf(true);
    const spec: RankerSpec = { base, cos: { net, parametrisation: 'scratch', temperature: true } };
    const params = { base: baseParams, cos: randomParams(net, 6) };
    const plain = await engine.score(spec, params, input([0.8, 1.2]));
    expect(Array.from(await engine.score(spec, params, input([0.8, 1.2], 1)))).toEqual(Array.from(plain));
    const s0 = await s0Promise();
    for (const c of [0.5, 4]) {
      const mixed = await engine.score(spec, params, input([0.8, 1.2], c));
      expectClose(mixed, Array.from(plain, (s, i) => (1 - 1 / c) * s0[i] + (1 / c) * s), 1e-5);
    }
  });

  test('T-COS with ‖β‖₁ = 1 equals the W-COS form; with ‖β‖₁ = 2 it mixes halfway to s0', async () => {
    const net = netOf(true);
    const cosParams = randomParams(net, 7);
    const tcos: RankerSpec = { base, cos: { net, parametrisation: 'augment', temperature: true } };
    const wcos: RankerSpec = { base, cos: { net, parametrisation: 'augment', temperature: false } };
    const params = { base: baseParams, cos: cosParams };
    expectClose(await engine.score(tcos, params, input([0.3, 0.7])), await engine.score(wcos, params, input([0.3, 0.7])), 1e-6);
    // β = (0.6, 1.4): same β̄ = (0.3, 0.7), so s = s0 + (sθ − s0)/2
    const s0 = await s0Promise();
    const sTheta = await engine.score(wcos, params, input([0.3, 0.7]));
    expectClose(await engine.score(tcos, params, input([0.6, 1.4])), Array.from(sTheta, (s, i) => s0[i] + (s - s0[i]) / 2), 1e-5);
  });

  test('scoring leaves no live tensors behind', async () => {
    const net = netOf(true);
    const spec: RankerSpec = { base, cos: { net, parametrisation: 'augment', temperature: true } };
    const params = { base: baseParams, cos: randomParams(net, 8) };
    await engine.score(spec, params, input([1, 1]));
    const before = tf.memory().numTensors;
    await engine.score(spec, params, input([1, 1]));
    expect(tf.memory().numTensors).toBe(before);
  });
});
