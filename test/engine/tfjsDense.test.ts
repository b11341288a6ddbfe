/**
 * The hand-written gradients of `dense` and `batchMatMul` against tfjs's stock autodiff, and `dense`'s
 * against central finite differences of a float64 reference of L = Σ tanh(x·W + b) ⊙ R.
 */
import * as tf from '@tensorflow/tfjs';
import { batchMatMul } from '../../src/engine/tfjs/batchMatMul';
import { dense } from '../../src/engine/tfjs/dense';
import { selectBackend } from '../../src/engine/tfjs/backend';
import { Rng } from '../../src/util/rng';

beforeAll(async () => {
  await selectBackend('cpu');
});

const rng = new Rng(17);
const rand = (n: number) => Array.from({ length: n }, () => rng.uniformIn(-1, 1));
const [B, N, IN, OUT] = [2, 3, 4, 5];
const x = rand(B * N * IN);
const w = rand(IN * OUT);
const b = rand(OUT);
const r = rand(B * N * OUT);

/** Float64 reference loss over flat arrays. */
function refLoss(xv: number[], wv: number[], bv: number[]): number {
  let loss = 0;
  for (let row = 0; row < B * N; row++) {
    for (let o = 0; o < OUT; o++) {
      let y = bv[o];
      for (let i = 0; i < IN; i++) y += xv[row * IN + i] * wv[i * OUT + o];
      loss += Math.tanh(y) * r[row * OUT + o];
    }
  }
  return loss;
}

function tfGrads(op: (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor): number[][] {
  return tf.tidy(() => {
    const f = (xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) => tf.sum(tf.mul(tf.tanh(op(xt, wt, bt)), tf.tensor(r, [B, N, OUT])));
    const grads = tf.grads(f)([tf.tensor(x, [B, N, IN]), tf.tensor(w, [IN, OUT]), tf.tensor(b, [OUT])]);
    return grads.map((g) => Array.from(g.dataSync()));
  });
}

const stock = (xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) =>
  tf.reshape(tf.add(tf.matMul(tf.reshape(xt, [-1, IN]), wt), bt), [B, N, OUT]);

test('forward equals the stock matMul + bias', () => {
  const [a, s] = tf.tidy(() => {
    const args = [tf.tensor(x, [B, N, IN]), tf.tensor(w, [IN, OUT]), tf.tensor(b, [OUT])] as const;
    return [Array.from(dense(...args).dataSync()), Array.from(stock(...args).dataSync())];
  });
  expect(a).toEqual(s);
});

test('gradients equal the stock autodiff ones (1e-6)', () => {
  const mine = tfGrads(dense);
  const theirs = tfGrads(stock);
  for (let k = 0; k < 3; k++) for (let i = 0; i < mine[k].length; i++) expect(Math.abs(mine[k][i] - theirs[k][i])).toBeLessThan(1e-6);
});

test('gradients match float64 central finite differences (1e-3 relative)', () => {
  const mine = tfGrads(dense);
  const args = [x, w, b];
  const h = 1e-6;
  for (let k = 0; k < 3; k++) {
    const fd = args[k].map((_, i) => {
      const shifted = (d: number) => args.map((a, j) => (j === k ? a.map((v, t) => (t === i ? v + d : v)) : a));
      const [xu, wu, bu] = shifted(h);
      const [xd, wd, bd] = shifted(-h);
      return (refLoss(xu, wu, bu) - refLoss(xd, wd, bd)) / (2 * h);
    });
    const scale = Math.max(...fd.map(Math.abs));
    for (let i = 0; i < fd.length; i++) expect(Math.abs(mine[k][i] - fd[i])).toBeLessThan(1e-3 * scale);
  }
});

test('no live tensors are left after a gradient computation', () => {
  const before = tf.memory().numTensors;
  tfGrads(dense);
  expect(tf.memory().numTensors).toBe(before);
});

test('batchMatMul: value and gradients equal the stock batched matMul ones', () => {
  const [a, bm, rr] = [[3, 4, 5], [3, 5, 2], [3, 4, 2]].map((shape) => tf.tensor(rand(shape[0] * shape[1] * shape[2]), shape));
  const run = (op: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) =>
    tf.tidy(() => {
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.tanh(op(x, y)), rr));
      return [f(a, bm), ...tf.grads(f)([a, bm])].map((t) => Array.from(t.dataSync()));
    });
  const mine = run(batchMatMul);
  const stockRes = run((x, y) => tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D));
  for (let k = 0; k < 3; k++) for (let i = 0; i < mine[k].length; i++) expect(Math.abs(mine[k][i] - stockRes[k][i])).toBeLessThan(1e-5);
  tf.dispose([a, bm, rr]);
});
