/**
 * Score composition of a whole ranker (`RankerSpec`, src/model/spec.ts) from its scorers:
 *   s0 = base(x)
 *   sθ = s0 + net(u)  ('augment')  |  net(u)  ('scratch')
 *   s  = (1 − 1/‖β‖₁)·s0 + (1/‖β‖₁)·sθ = s0 + (sθ − s0)/‖β‖₁   (T-COS; net input β̄ = β/‖β‖₁)
 *      = sθ                                                   (W-COS)
 *   s_c = (1 − 1/c)·s0 + (1/c)·s = s0 + (s − s0)/c           (post-training factor; c = 1 leaves s as is)
 * The difference Δ = s − s0 is formed without cancellation (for 'augment' it is the net output
 * itself), and is what the LiPO loss sees, so β̄ and the 1/‖β‖₁ scaling are inside the training graph.
 * A base-only ranker has s = s0 and Δ = 0.
 */
import * as tf from '@tensorflow/tfjs';
import { RankerSpec } from '../../model/spec';
import { Rng } from '../../util/rng';
import { scorerForward, TensorParameters } from './scorer';

export interface RankerTensors {
  base: TensorParameters;
  cos?: TensorParameters;
}

export interface RankerInputs {
  /** `[B, N, inputSize]` raw features (both scorers take the same model input). */
  features: tf.Tensor;
  /** `[B, N]` float, 1 = real document. */
  mask: tf.Tensor;
  /** `[B, m]` trade-off per list; required for a COS ranker whose net takes w. */
  weights?: tf.Tensor;
  /** `[B, m]` temperatures per list; all ones when absent. */
  beta?: tf.Tensor;
  /** `[B, N]` the frozen s0's scores computed beforehand (then s0 is not run; not with `train: 'base'`). */
  s0?: tf.Tensor;
}

export interface RankerOptions {
  /** The scorer run in training mode (dropout on); the other, and everything when absent, in inference mode. */
  train?: 'base' | 'cos';
  rng?: Rng;
  /** Post-training temperature factor c > 0 (default 1). */
  c?: number;
}

export interface RankerOutput {
  /** s0 `[B, N]`. */
  base: tf.Tensor;
  /** s_c `[B, N]`. */
  score: tf.Tensor;
  /** s_c − s0 `[B, N]`. */
  delta: tf.Tensor;
}

/** Forward pass of the whole ranker. Call inside `tf.tidy`. */
export function rankerForward(spec: RankerSpec, params: RankerTensors, inputs: RankerInputs, options: RankerOptions = {}): RankerOutput {
  const c = options.c ?? 1;
  if (!(c > 0)) throw new RangeError(`temperature factor c must be > 0, got ${c}`);
  if (inputs.s0 && options.train === 'base') throw new RangeError('precomputed s0 scores cannot train s0');
  const base = inputs.s0 ?? scorerForward(spec.base, params.base, inputs, { training: options.train === 'base', rng: options.rng });
  const cos = spec.cos;
  if (!cos) return { base, score: base, delta: tf.zerosLike(base) };
  if (!params.cos) throw new RangeError('a COS ranker needs params.cos');
  const [b] = inputs.mask.shape;
  const m = cos.net.conditioning.weights;
  const beta = inputs.beta ?? tf.ones([b, m]);
  const betaNorm = tf.sum(tf.abs(beta), -1, true);
  const net = scorerForward(
    cos.net,
    params.cos,
    { features: inputs.features, mask: inputs.mask, weights: inputs.weights, betaBar: tf.div(beta, betaNorm) },
    { training: options.train === 'cos', rng: options.rng },
  );
  let delta = cos.parametrisation === 'augment' ? net : tf.sub(net, base);
  let score = cos.parametrisation === 'augment' ? tf.add(base, net) : net;
  if (cos.temperature) {
    delta = tf.div(delta, betaNorm);
    score = tf.add(base, delta);
  }
  if (c !== 1) {
    delta = tf.div(delta, c);
    score = tf.add(base, delta);
  }
  return { base, score, delta };
}
