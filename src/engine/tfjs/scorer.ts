/**
 * Forward pass of one scorer (`ScorerSpec`, src/model/spec.ts) in plain tfjs ops over tensors keyed by
 * the spec's parameter names — no tf.layers objects, so the same named parameters run unchanged on the
 * ONNX engine.
 *
 * Shapes: features `[B, N, inputSize]`, mask `[B, N]` (float, 1 = real document), conditioning inputs
 * per list `[B, m]`, result `[B, N]` scores (values in padded slots are meaningless; real documents'
 * scores never depend on what padded slots hold).
 */
import * as tf from '@tensorflow/tfjs';
import { Activation, Parameters, ScorerSpec } from '../../model/spec';
import { Rng } from '../../util/rng';
import { batchMatMul } from './batchMatMul';
import { dense } from './dense';

/** Parameters of one scorer as tensors (trainable ones may be `tf.Variable`s). */
export type TensorParameters = Record<string, tf.Tensor>;

export interface ScorerInputs {
  features: tf.Tensor;
  mask: tf.Tensor;
  /** Trade-off w per list `[B, m]`; required when `conditioning.weights > 0`. */
  weights?: tf.Tensor;
  /** β̄ = β/‖β‖₁ per list `[B, m]`; required when `conditioning.beta`. */
  betaBar?: tf.Tensor;
}

export interface ForwardOptions {
  /** Dropout on (training) or off (inference). */
  training: boolean;
  /** Source of the dropout seeds; required when training with dropout > 0. */
  rng?: Rng;
}

/** Logit of a padded key in attention (spec: −1e9). */
const MASKED_LOGIT = -1e9;
const LN_EPS = 1e-5;

/** Uploads named parameters as constant tensors (the caller disposes them). */
export function toTensors(params: Parameters): TensorParameters {
  const out: TensorParameters = {};
  for (const [name, t] of Object.entries(params)) out[name] = tf.tensor(t.data, t.shape, 'float32');
  return out;
}

/** Scores `[B, N]` of one scorer. Call inside `tf.tidy` (intermediate tensors are not disposed here). */
export function scorerForward(
  spec: ScorerSpec,
  params: TensorParameters,
  inputs: ScorerInputs,
  options: ForwardOptions,
): tf.Tensor {
  const p = (name: string): tf.Tensor => {
    const t = params[name];
    if (!t) throw new RangeError(`missing parameter ${name}`);
    return t;
  };
  const drop = dropout(spec.dropout, options);
  const u = scorerInput(spec, p, inputs);
  if (spec.kind === 'mlp') {
    let h = u;
    for (let i = 0; i < spec.hidden.length; i++) {
      h = drop(activate(spec.activation, dense(h, p(`layers.${i}.weight`), p(`layers.${i}.bias`))));
    }
    const L = spec.hidden.length;
    return tf.squeeze(dense(h, p(`layers.${L}.weight`), p(`layers.${L}.bias`)), [2]);
  }
  const [b, n] = inputs.mask.shape;
  const d = spec.dModel;
  const heads = spec.nHeads;
  const dh = d / heads;
  if (!Number.isInteger(dh)) throw new RangeError(`dModel ${d} is not divisible by nHeads ${heads}`);
  // [B·H, 1, N]: padded keys get the masked logit
  const keyReal = tf.reshape(tf.tile(tf.reshape(tf.greater(inputs.mask, 0.5), [b, 1, 1, n]), [1, heads, 1, 1]), [b * heads, 1, n]);
  // [B, N, d] → [B·H, N, dh]
  const splitHeads = (x: tf.Tensor) => tf.reshape(tf.transpose(tf.reshape(x, [b, n, heads, dh]), [0, 2, 1, 3]), [b * heads, n, dh]);
  let h = dense(u, p('input.weight'), p('input.bias'));
  for (let l = 0; l < spec.nLayers; l++) {
    const pre = `blocks.${l}`;
    const a = layerNorm(h, p(`${pre}.norm1.gamma`), p(`${pre}.norm1.beta`));
    const q = splitHeads(dense(a, p(`${pre}.attn.q.weight`), p(`${pre}.attn.q.bias`)));
    const k = splitHeads(dense(a, p(`${pre}.attn.k.weight`), p(`${pre}.attn.k.bias`)));
    const v = splitHeads(dense(a, p(`${pre}.attn.v.weight`), p(`${pre}.attn.v.bias`)));
    // explicit transpose + plain matMul, also in the gradient (see batchMatMul.ts)
    const logits = tf.mul(batchMatMul(q, tf.transpose(k, [0, 2, 1])), 1 / Math.sqrt(dh));
    const attn = tf.softmax(tf.where(keyReal, logits, tf.scalar(MASKED_LOGIT)), -1);
    const ctx = tf.reshape(tf.transpose(tf.reshape(batchMatMul(attn, v), [b, heads, n, dh]), [0, 2, 1, 3]), [b, n, d]);
    h = tf.add(h, drop(dense(ctx, p(`${pre}.attn.out.weight`), p(`${pre}.attn.out.bias`))));
    const f = layerNorm(h, p(`${pre}.norm2.gamma`), p(`${pre}.norm2.beta`));
    const ff = dense(activate(spec.activation, dense(f, p(`${pre}.ff.0.weight`), p(`${pre}.ff.0.bias`))), p(`${pre}.ff.1.weight`), p(`${pre}.ff.1.bias`));
    h = tf.add(h, drop(ff));
  }
  const out = dense(layerNorm(h, p('final.norm.gamma'), p('final.norm.beta')), p('output.weight'), p('output.bias'));
  return tf.squeeze(out, [2]);
}

/** u = concat((x − mean) ⊙ scale, w, β̄) per document, `[B, N, scorerInputSize]`. */
function scorerInput(spec: ScorerSpec, p: (name: string) => tf.Tensor, inputs: ScorerInputs): tf.Tensor {
  const [b, n] = inputs.mask.shape;
  const parts = [tf.mul(tf.sub(inputs.features, p('input.mean')), p('input.scale'))];
  const perDocument = (x: tf.Tensor | undefined, what: string) => {
    const m = spec.conditioning.weights;
    if (!x || x.shape[0] !== b || x.shape[1] !== m) {
      throw new RangeError(`scorer input ${what} must be [${b}, ${m}], got ${x ? `[${x.shape}]` : 'nothing'}`);
    }
    return tf.tile(tf.reshape(x, [b, 1, m]), [1, n, 1]);
  };
  if (spec.conditioning.weights > 0) {
    parts.push(perDocument(inputs.weights, 'weights'));
    if (spec.conditioning.beta) parts.push(perDocument(inputs.betaBar, 'betaBar'));
  }
  return parts.length === 1 ? parts[0] : tf.concat(parts, 2);
}

/** LN(x) = (x − mean)/sqrt(var + 1e-5) ⊙ γ + β over the last axis, biased variance. */
function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const centred = tf.sub(x, tf.mean(x, -1, true));
  const variance = tf.mean(tf.square(centred), -1, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, LN_EPS))), gamma), beta);
}

function activate(kind: Activation, x: tf.Tensor): tf.Tensor {
  switch (kind) {
    case 'relu':
      return tf.relu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'gelu': {
      // tanh approximation: 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³)))
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.square(x)))));
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
    }
  }
}

/** Inverted dropout with a fresh seed from the generator per call; identity in inference mode. */
function dropout(rate: number, options: ForwardOptions): (x: tf.Tensor) => tf.Tensor {
  if (!options.training || rate <= 0) return (x) => x;
  const rng = options.rng;
  if (!rng) throw new RangeError('training with dropout needs options.rng');
  return (x) => tf.dropout(x, rate, undefined, rng.nextUint32());
}
