/**
 * The affine layer y = x · W + b with a hand-written gradient (STYLE.md §3: a gradient written for
 * speed sits beside its op and is tested against autodiff).
 *
 * Shapes: x `[..., in]`, W `[in, out]`, b `[out]` → y `[..., out]`. Leading axes are flattened to rows
 * R, so with X `[R, in]` and dY `[R, out]`:
 *   dX = dY · Wᵀ      dW = Xᵀ · dY      db = Σ_rows dY
 * The transposes are explicit `tf.transpose` followed by a plain `matMul`: the stock gradient passes
 * transposeA/transposeB flags instead, which puts the wasm backend's matMul off its fast path
 * (measured about 4× slower per training step).
 */
import * as tf from '@tensorflow/tfjs';

const affine2d = tf.customGrad((...args) => {
  const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: tf.add(tf.matMul(x, w), b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dy2 = dy as tf.Tensor2D;
      return [tf.matMul(dy2, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy2), tf.sum(dy2, 0)];
    },
  };
});

/** y = x · W + b over the last axis of x (see the module comment for shapes and gradient). */
export function dense(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const inSize = x.shape[x.shape.length - 1];
  const outSize = w.shape[w.shape.length - 1];
  const lead = x.shape.slice(0, -1);
  const y = affine2d(tf.reshape(x, [-1, inSize]), w, b);
  return lead.length === 1 ? y : tf.reshape(y, [...lead, outSize]);
}
