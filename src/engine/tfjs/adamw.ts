/**
 * Adam with decoupled weight decay (AdamW, as PyTorch's `torch.optim.AdamW`) and optional global-norm
 * gradient clipping, over named tfjs variables. With step t (1-based), gradient g, config
 * (lr, β1, β2, ε, wd, clip):
 *   g   ← g · min(1, clip / (‖G‖₂ + 1e-6))      when clip > 0, ‖G‖₂ over ALL gradients (PyTorch clip_grad_norm_)
 *   m   ← β1·m + (1 − β1)·g
 *   v   ← β2·v + (1 − β2)·g²
 *   θ   ← θ − lr·wd·θ − lr · (m / (1 − β1^t)) / (sqrt(v / (1 − β2^t)) + ε)
 * Weight decay applies to every trainable parameter (biases and layer-norm parameters included).
 */
import * as tf from '@tensorflow/tfjs';
import type { OptimizerConfig, OptimizerState } from '../engine';
import type { Parameters } from '../../model/spec';

export class AdamW {
  private step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly vars: Map<string, tf.Variable>,
    private readonly config: OptimizerConfig,
  ) {
    for (const [name, variable] of vars) {
      // tidy frees the initial tensors; variables survive it
      this.m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(variable), false)));
      this.v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(variable), false)));
    }
  }

  /** One update from gradients keyed like the variables (the caller disposes `grads`). */
  apply(grads: Map<string, tf.Tensor>): void {
    const { learningRate: lr, beta1, beta2, epsilon, weightDecay, clipNorm } = this.config;
    this.step += 1;
    const t = this.step;
    tf.tidy(() => {
      let coef: tf.Tensor | null = null;
      if (clipNorm > 0) {
        const total = tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g)))));
        coef = tf.minimum(1, tf.div(clipNorm, tf.add(total, 1e-6)));
      }
      for (const [name, variable] of this.vars) {
        const raw = grads.get(name);
        if (!raw) throw new RangeError(`no gradient for ${name}`);
        const g = coef ? tf.mul(raw, coef) : raw;
        const m = this.m.get(name) as tf.Variable;
        const v = this.v.get(name) as tf.Variable;
        const mNew = tf.add(tf.mul(beta1, m), tf.mul(1 - beta1, g));
        const vNew = tf.add(tf.mul(beta2, v), tf.mul(1 - beta2, tf.square(g)));
        const mHat = tf.div(mNew, 1 - Math.pow(beta1, t));
        const vHat = tf.div(vNew, 1 - Math.pow(beta2, t));
        const update = tf.div(mHat, tf.add(tf.sqrt(vHat), epsilon));
        const decayed = weightDecay > 0 ? tf.sub(variable, tf.mul(lr * weightDecay, variable)) : variable;
        m.assign(mNew);
        v.assign(vNew);
        variable.assign(tf.sub(decayed, tf.mul(lr, update)));
      }
    });
  }

  state(): OptimizerState {
    return { step: this.step, m: snapshot(this.m), v: snapshot(this.v) };
  }

  restore(state: OptimizerState): void {
    this.step = state.step;
    for (const [moments, saved] of [[this.m, state.m], [this.v, state.v]] as const) {
      for (const [name, variable] of moments) {
        const t = saved[name];
        if (!t || t.data.length !== variable.size) throw new RangeError(`optimizer state has no matching moment for ${name}`);
        tf.tidy(() => variable.assign(tf.tensor(t.data, variable.shape, 'float32')));
      }
    }
  }

  dispose(): void {
    for (const x of [...this.m.values(), ...this.v.values()]) x.dispose();
  }
}

/** Copies of named variables as `Parameters`. */
export function snapshot(vars: Map<string, tf.Tensor>): Parameters {
  const out: Parameters = {};
  for (const [name, x] of vars) out[name] = { shape: x.shape.slice(), data: Float32Array.from(x.dataSync() as Float32Array) };
  return out;
}
