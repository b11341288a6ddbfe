/**
 * MO-DPO's margin and loss against a hand-computed list:
 *   w = (1/4, 3/4) → focus i = 2 (the larger weight), 1/w_i = 4/3;
 *   Δθ = sθ − s0 = (1, 0, −1);  s_{e_1} − s0 = (1/2, −1/4, 1);  s_{e_2} − s0 (unused: it is the focus);
 *   offset = w_1 · (s_{e_1} − s0) = (1/8, −1/16, 1/4);
 *   r = 4/3 · (7/8, 1/16, −5/4) = (7/6, 1/12, −5/3);
 *   labels of objective 2 z = (2, 0, 1) → z̄ = (2/3, 0, 1/3) (sparse), β = 1;
 *   L = −Σ z̄_k log softmax(r)_k = LSE(r) − (2/3·7/6 + 1/3·(−5/3)) = LSE(r) − 2/9.
 */
import * as tf from '@tensorflow/tfjs';
import { moDpoFocus, moDpoMargin, moDpoOffset } from '../../src/train/baselines/moDpo';
import { cosDpoLoss } from '../../src/engine/tfjs/losses';

const w = [0.25, 0.75];
const deltaTheta = [1, 0, -1];
const single = [Float32Array.from([0.5, -0.25, 1]), Float32Array.from([9, 9, 9])];
const r = [7 / 6, 1 / 12, -5 / 3];
const expectedLoss = Math.log(Math.exp(7 / 6) + Math.exp(1 / 12) + Math.exp(-5 / 3)) - 2 / 9;

describe('MO-DPO margin', () => {
  it('focuses on the largest weight, guards 1/w_i, and marks corners', () => {
    expect(moDpoFocus(w)).toEqual({ objective: 1, scale: 4 / 3, corner: false });
    expect(moDpoFocus([0.5, 0.5])).toEqual({ objective: 0, scale: 2, corner: false });
    expect(moDpoFocus([0, 1])).toEqual({ objective: 1, scale: 1, corner: true });
    // m = 5: 1/w_i never exceeds m
    expect(moDpoFocus([0.2, 0.2, 0.2, 0.2, 0.2]).scale).toBeCloseTo(5, 12);
    expect(() => moDpoFocus([0, 0])).toThrow(/positive sum/);
  });

  it('computes the offset and the margin of the hand-computed list', () => {
    const offset = moDpoOffset(w, 1, single);
    expect(Array.from(offset)).toEqual([0.125, -0.0625, 0.25]);
    const margin = moDpoMargin(deltaTheta, offset, 4 / 3);
    margin.forEach((v, k) => expect(v).toBeCloseTo(r[k], 12));
  });

  it('gives the hand-computed LiPO loss inside the softmax (tfjs loss with one-hot weights)', () => {
    const value = tf.tidy(() => {
      const labels = [tf.tensor2d([[1, 1, 0]]), tf.tensor2d([[2, 0, 1]])];
      const mask = tf.ones([1, 3]);
      const margin = tf.tensor2d([r]);
      // objective 1's Δ is irrelevant: its weight is 0
      return cosDpoLoss([tf.tensor2d([[5, -5, 0]]), margin], labels, mask, tf.tensor2d([[0, 1]]), tf.ones([1, 2]), ['sparse', 'sparse'], 0).dataSync()[0];
    });
    expect(value).toBeCloseTo(expectedLoss, 5);
  });
});
