/**
 * Batched matrix product Y = A · B for A `[K, n, p]`, B `[K, p, q]` with the gradient written out
 * (STYLE.md §3), for the attention products of the transformer:
 *   dA = dY · Bᵀ      dB = Aᵀ · dY      (per batch entry)
 * Transposes are explicit `tf.transpose` then a plain `matMul`, for the same reason as `dense`
 * (the wasm backend's matMul with transpose flags is off its fast path).
 */
import * as tf from '@tensorflow/tfjs';

const swapLast = (x: tf.Tensor) => tf.transpose(x, [0, 2, 1]);

/** Y = A · B over a leading batch axis (see the module comment). */
export const batchMatMul = tf.customGrad((...args) => {
  const [a, b, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [as, bs] = saved as [tf.Tensor3D, tf.Tensor3D];
      const dy3 = dy as tf.Tensor3D;
      return [tf.matMul(dy3, swapLast(bs)), tf.matMul(swapLast(as), dy3)];
    },
  };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;
