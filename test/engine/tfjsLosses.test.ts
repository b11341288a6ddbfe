/**
 * Losses against float64 reference implementations written here from the formulas (values to 1e-5,
 * tfjs gradients against central finite differences of the references to 1e-3), plus closed forms
 * and the properties of STYLE.md §7.
 */
import * as tf from '@tensorflow/tfjs';
import { cosDpoLoss, cosinePenalty, lipoLoss, listMleLoss, listNetLoss, TargetKind } from '../../src/engine/tfjs/losses';
import { selectBackend } from '../../src/engine/tfjs/backend';
import { Rng } from '../../src/util/rng';

beforeAll(async () => {
  await selectBackend('cpu');
});

// ---------- float64 references, one list = the real documents only ----------

function logSoftmax(x: number[]): number[] {
  const mx = Math.max(...x);
  const lse = mx + Math.log(x.reduce((a, v) => a + Math.exp(v - mx), 0));
  return x.map((v) => v - lse);
}
const softmax = (x: number[]) => logSoftmax(x).map(Math.exp);
const crossEntropy = (t: number[], logp: number[]) => -t.reduce((a, v, i) => a + v * logp[i], 0);

function refListNet(s: number[], y: number[]): number {
  return s.length === 0 ? 0 : crossEntropy(softmax(y), logSoftmax(s));
}

function refListMle(s: number[], y: number[]): number {
  const order = s.map((_, i) => i).sort((a, b) => y[b] - y[a] || a - b);
  let loss = 0;
  for (let r = 0; r < order.length; r++) {
    const rest = order.slice(r).map((i) => s[i]);
    const mx = Math.max(...rest);
    loss += mx + Math.log(rest.reduce((a, v) => a + Math.exp(v - mx), 0)) - s[order[r]];
  }
  return loss;
}

function refTarget(y: number[], target: TargetKind): number[] {
  if (target === 'dense') return softmax(y);
  const norm = y.reduce((a, v) => a + Math.abs(v), 0);
  return y.map((v) => (norm > 0 ? v / norm : 0));
}

function refLipo(delta: number[], y: number[], beta: number, target: TargetKind): number {
  return delta.length === 0 ? 0 : crossEntropy(refTarget(y, target), logSoftmax(delta.map((d) => beta * d)));
}

function refCos(w: number[], l: number[]): number {
  const dot = w.reduce((a, v, j) => a + v * l[j], 0);
  const n = (x: number[]) => Math.sqrt(x.reduce((a, v) => a + v * v, 0));
  return dot / (n(w) * n(l));
}

// ---------- fixture: B lists of N slots, list 2 padded, list 3 all padding ----------

const B = 4;
const N = 5;
const REAL = [5, 3, 4, 0];

function fixture(seed: number) {
  const rng = new Rng(seed);
  const mk = (f: () => number) => Array.from({ length: B }, () => Array.from({ length: N }, f));
  const scores = mk(() => rng.uniformIn(-2, 2));
  const labels = mk(() => rng.int(3));
  // a tie in list 0 and an all-zero label list (list 1) for the sparse target
  labels[0][3] = labels[0][1];
  labels[1] = [0, 0, 0, 7, 9];
  const mask = Array.from({ length: B }, (_, b) => Array.from({ length: N }, (_, i) => (i < REAL[b] ? 1 : 0)));
  const real = (x: number[][], b: number) => x[b].slice(0, REAL[b]);
  return { scores, labels, mask, real };
}

function maxRelErr(got: number[], want: number[]): number {
  const scale = Math.max(1e-3, ...want.map(Math.abs));
  return Math.max(0, ...got.map((g, i) => Math.abs(g - want[i]))) / scale;
}

/** Central differences of a float64 function of one list's real documents. */
function finiteDiff(f: (x: number[]) => number, x: number[], h = 1e-6): number[] {
  return x.map((_, i) => {
    const up = x.slice();
    const dn = x.slice();
    up[i] += h;
    dn[i] -= h;
    return (f(up) - f(dn)) / (2 * h);
  });
}

/** Per-list losses and the gradient of their sum w.r.t. `scores`, from tfjs. */
function tfValueAndGrad(loss: (s: tf.Tensor) => tf.Tensor, scores: number[][]): { values: number[]; grad: number[][] } {
  return tf.tidy(() => {
    const s = tf.tensor2d(scores);
    const { value, grad } = tf.valueAndGrad((x: tf.Tensor) => tf.sum(loss(x)))(s);
    value.dispose();
    return { values: Array.from(loss(s).dataSync()), grad: grad.arraySync() as number[][] };
  });
}

interface Case {
  name: string;
  /** β `[B]` is used by the LiPO cases only. */
  tfLoss: (s: tf.Tensor, y: tf.Tensor, m: tf.Tensor, beta: tf.Tensor) => tf.Tensor;
  ref: (s: number[], y: number[], beta: number) => number;
}

const BETA = [0.7, 1.3, 2, 1];
const cases: Case[] = [
  { name: 'listnet', tfLoss: listNetLoss, ref: refListNet },
  { name: 'listmle', tfLoss: listMleLoss, ref: refListMle },
  ...(['sparse', 'dense'] as const).map((target) => ({
    name: `lipo ${target}`,
    tfLoss: (s: tf.Tensor, y: tf.Tensor, m: tf.Tensor, beta: tf.Tensor) => lipoLoss(s, y, m, beta, target),
    ref: (s: number[], y: number[], beta: number) => refLipo(s, y, beta, target),
  })),
];

describe.each(cases)('$name', ({ tfLoss, ref }) => {
  const { scores, labels, mask, real } = fixture(11);
  const run = (s: tf.Tensor) => tfLoss(s, tf.tensor2d(labels), tf.tensor2d(mask), tf.tensor1d(BETA));

  test('values match the float64 reference to 1e-5 and gradients match its finite differences to 1e-3', () => {
    const { values, grad } = tfValueAndGrad(run, scores);
    for (let b = 0; b < B; b++) {
      const want = ref(real(scores, b), real(labels, b), BETA[b]);
      expect(Math.abs(values[b] - want)).toBeLessThan(1e-5 * Math.max(1, Math.abs(want)));
      const fd = finiteDiff((x) => ref(x, real(labels, b), BETA[b]), real(scores, b));
      expect(maxRelErr(grad[b].slice(0, REAL[b]), fd)).toBeLessThan(1e-3);
      // padded slots receive no gradient
      for (let i = REAL[b]; i < N; i++) expect(Math.abs(grad[b][i])).toBe(0);
    }
    expect(Math.abs(values[3])).toBe(0);
  });

  test('masked equals dropped: a padded list has the loss of the list alone, whatever the padding holds', () => {
    const garbage = scores.map((row, b) => row.map((v, i) => (i < REAL[b] ? v : 1e3 * (i + 1))));
    const garbageLabels = labels.map((row, b) => row.map((v, i) => (i < REAL[b] ? v : 5)));
    const padded = tf.tidy(() =>
      Array.from(tfLoss(tf.tensor2d(garbage), tf.tensor2d(garbageLabels), tf.tensor2d(mask), tf.tensor1d(BETA)).dataSync()),
    );
    for (let b = 0; b < 3; b++) {
      const dropped = tf.tidy(() => {
        const one = (x: number[][]) => tf.tensor2d([real(x, b)]);
        return tfLoss(one(scores), one(labels), tf.ones([1, REAL[b]]), tf.tensor1d([BETA[b]])).dataSync()[0];
      });
      expect(Math.abs(dropped - padded[b])).toBeLessThan(1e-5 * Math.max(1, Math.abs(dropped)));
    }
  });

  test('extreme scores stay finite and all-padding lists give 0 without NaN gradients', () => {
    const extreme = scores.map((row) => row.map((v) => v * 1e6));
    const { values, grad } = tfValueAndGrad(run, extreme);
    for (const v of values) expect(Number.isFinite(v)).toBe(true);
    for (const row of grad) for (const g of row) expect(Number.isFinite(g)).toBe(true);
    expect(Math.abs(values[3])).toBe(0);
    expect(grad[3].every((g) => g === 0)).toBe(true);
  });
});

describe.each(['listnet', 'lipo sparse', 'lipo dense'])('%s is permutation invariant', (name) => {
  const c = cases.find((x) => x.name === name) as Case;
  test('reversing the documents of every list leaves each loss unchanged', () => {
    const { scores, labels } = fixture(5);
    const full = tf.ones([B, N]);
    const rev = (x: number[][]) => x.map((row) => row.slice().reverse());
    const loss = (s: number[][], y: number[][]) =>
      tf.tidy(() => c.tfLoss(tf.tensor2d(s), tf.tensor2d(y), full, tf.tensor1d(BETA)).arraySync() as number[]);
    const a = loss(scores, labels);
    const b = loss(rev(scores), rev(labels));
    full.dispose();
    for (let i = 0; i < B; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5 * Math.max(1, a[i]));
  });
});

describe('hand-computed values', () => {
  test('ListNet of equal scores and equal labels is log 2; ListMLE of two documents', () => {
    const ln = tf.tidy(() => listNetLoss(tf.tensor2d([[0, 0]]), tf.tensor2d([[1, 1]]), tf.ones([1, 2])).dataSync()[0]);
    expect(ln).toBeCloseTo(Math.log(2), 6);
    // order by labels (0, 1): doc 1 first → log(e^1 + e^3) − 3 + (1 − 1)
    const mle = tf.tidy(() => listMleLoss(tf.tensor2d([[1, 3]]), tf.tensor2d([[0, 1]]), tf.ones([1, 2])).dataSync()[0]);
    expect(mle).toBeCloseTo(Math.log(Math.exp(1) + Math.exp(3)) - 3, 5);
    // tie: position decides, doc 0 first → log(e^3 + e^1) − 3
    const tie = tf.tidy(() => listMleLoss(tf.tensor2d([[3, 1]]), tf.tensor2d([[2, 2]]), tf.ones([1, 2])).dataSync()[0]);
    expect(tie).toBeCloseTo(Math.log(Math.exp(1) + Math.exp(3)) - 3, 5);
  });

  test('sparse LiPO of a list whose labels are all zero is exactly 0', () => {
    const v = tf.tidy(() => lipoLoss(tf.tensor2d([[1, -2, 3]]), tf.zeros([1, 3]), tf.ones([1, 3]), tf.ones([1]), 'sparse').dataSync()[0]);
    expect(Math.abs(v)).toBe(0);
  });
});

describe('LiPO closed form and linear transformation property', () => {
  test.each(['sparse', 'dense'] as const)('%s: at sθ = s0 the gradient is β(1/n − z̄)', (target) => {
    const labels = [[2, 0, 1, 0, 0], [1, 1, 0, 2, 0]];
    const mask = [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]];
    const beta = [0.8, 1.7];
    const { grad } = tfValueAndGrad((d) => lipoLoss(d, tf.tensor2d(labels), tf.tensor2d(mask), tf.tensor1d(beta), target), [
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ]);
    for (let b = 0; b < 2; b++) {
      const n = mask[b].reduce((a, v) => a + v, 0);
      const zbar = refTarget(labels[b].slice(0, n), target);
      for (let i = 0; i < n; i++) expect(grad[b][i]).toBeCloseTo(beta[b] * (1 / n - zbar[i]), 6);
    }
  });

  test('loss at (θ, cβ) after mixing (1 − 1/c)s0 + (1/c)s equals loss at (θ, β)', () => {
    const { scores, labels, mask } = fixture(3);
    const rng = new Rng(8);
    const s0 = scores.map((row) => row.map(() => rng.uniformIn(-1, 1)));
    for (const c of [0.5, 2, 7]) {
      const [atBeta, atCBeta] = tf.tidy(() => {
        const s = tf.tensor2d(scores);
        const base = tf.tensor2d(s0);
        const mixed = tf.add(tf.mul(1 - 1 / c, base), tf.mul(1 / c, s));
        const y = tf.tensor2d(labels);
        const m = tf.tensor2d(mask);
        const beta = tf.tensor1d(BETA);
        return [
          Array.from(lipoLoss(tf.sub(s, base), y, m, beta, 'sparse').dataSync()),
          Array.from(lipoLoss(tf.sub(mixed, base), y, m, tf.mul(c, beta), 'sparse').dataSync()),
        ];
      });
      for (let b = 0; b < B; b++) expect(Math.abs(atCBeta[b] - atBeta[b])).toBeLessThan(1e-5 * Math.max(1, atBeta[b]));
    }
  });
});

describe('cosine penalty and COS-DPO objective', () => {
  const w = [[0.2, 0.8], [0.5, 0.5], [1, 0]];
  const l = [[1.5, 0.3], [0.9, 2.2], [0.4, 0.1]];

  test('cosinePenalty matches the reference and its finite differences', () => {
    const { values, grad } = tfValueAndGrad((x) => cosinePenalty(tf.tensor2d(w), x), l);
    for (let b = 0; b < w.length; b++) {
      expect(values[b]).toBeCloseTo(refCos(w[b], l[b]), 6);
      expect(maxRelErr(grad[b], finiteDiff((x) => refCos(w[b], x), l[b]))).toBeLessThan(1e-3);
    }
    const zero = tf.tidy(() => tfValueAndGrad((x) => cosinePenalty(tf.tensor2d([[0.3, 0.7]]), x), [[0, 0]]));
    expect(Math.abs(zero.values[0])).toBe(0);
    expect(zero.grad[0].every(Number.isFinite)).toBe(true);
  });

  test('cosDpoLoss = Σ w_j L_j − λ cos(w, L), gradient by finite differences', () => {
    const { scores, labels, mask, real } = fixture(21);
    const rng = new Rng(4);
    const aux2 = labels.map((row) => row.map(() => rng.int(4)));
    const weights = [[0.3, 0.7], [0.6, 0.4], [0.5, 0.5], [0.1, 0.9]];
    const beta = [[1, 0.7], [1.4, 1], [0.9, 1.1], [1, 1]];
    const targets: TargetKind[] = ['sparse', 'dense'];
    const lambda = 0.6;
    const ref = (b: number, s: number[]) => {
      const ls = [refLipo(s, real(labels, b), beta[b][0], 'sparse'), refLipo(s, real(aux2, b), beta[b][1], 'dense')];
      const cos = ls.every((v) => v === 0) ? 0 : refCos(weights[b], ls);
      return weights[b][0] * ls[0] + weights[b][1] * ls[1] - lambda * cos;
    };
    const { values, grad } = tfValueAndGrad(
      (d) => cosDpoLoss([d, d], [tf.tensor2d(labels), tf.tensor2d(aux2)], tf.tensor2d(mask), tf.tensor2d(weights), tf.tensor2d(beta), targets, lambda),
      scores,
    );
    for (let b = 0; b < 3; b++) {
      expect(Math.abs(values[b] - ref(b, real(scores, b)))).toBeLessThan(1e-5 * Math.max(1, Math.abs(values[b])));
      expect(maxRelErr(grad[b].slice(0, REAL[b]), finiteDiff((x) => ref(b, x), real(scores, b)))).toBeLessThan(1e-3);
    }
    expect(Math.abs(values[3])).toBe(0);
    expect(() => cosDpoLoss([], [], tf.ones([1, 1]), tf.ones([1, 1]), tf.ones([1, 1]), [], 0)).toThrow(RangeError);
  });
});
