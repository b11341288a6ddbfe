/**
 * AdamW (decoupled weight decay, PyTorch's formulation) with optional global-norm clipping, as ONNX ops.
 *
 * With t the step number (1 for the first update, fed as a float scalar input):
 *   clipping:  g ← g · min(1, clipNorm / (‖g‖₂ + 1e-6)),  ‖g‖₂ over all trained tensors  (if clipNorm > 0)
 *   m ← β₁m + (1 − β₁)g;   v ← β₂v + (1 − β₂)g²
 *   p ← p·(1 − lr·wd) − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)
 */
import type { OptimizerConfig } from '../engine';
import { Graph, Value } from './graph';

export interface AdamSlot {
  param: Value;
  grad: Value;
  m: Value;
  v: Value;
}

/** New (param, m, v) per slot. */
export function adamUpdate(g: Graph, slots: AdamSlot[], step: Value, cfg: OptimizerConfig): { param: Value; m: Value; v: Value }[] {
  let scale: Value | null = null;
  if (cfg.clipNorm > 0) {
    const squares = slots.map((s) => g.reduceSum(g.mul(s.grad, s.grad), s.grad.shape.map((_, i) => i), false));
    const total = g.unary('Sqrt', squares.reduce((a, b) => g.add(a, b)));
    scale = g.min(g.scalar(1), g.div(g.scalar(cfg.clipNorm), g.add(total, g.scalar(1e-6))));
  }
  const bc1 = g.sub(g.scalar(1), g.pow(g.scalar(cfg.beta1), step));
  const bc2 = g.sub(g.scalar(1), g.pow(g.scalar(cfg.beta2), step));
  const stepSize = g.div(g.scalar(cfg.learningRate), bc1);
  const invSqrtBc2 = g.div(g.scalar(1), g.unary('Sqrt', bc2));
  const decay = g.scalar(1 - cfg.learningRate * cfg.weightDecay);
  return slots.map((s) => {
    const grad = scale === null ? s.grad : g.mul(s.grad, scale);
    const m = g.add(g.mul(s.m, g.scalar(cfg.beta1)), g.mul(grad, g.scalar(1 - cfg.beta1)));
    const v = g.add(g.mul(s.v, g.scalar(cfg.beta2)), g.mul(g.mul(grad, grad), g.scalar(1 - cfg.beta2)));
    const denom = g.add(g.mul(g.unary('Sqrt', v), invSqrtBc2), g.scalar(cfg.epsilon));
    const decayed = cfg.weightDecay === 0 ? s.param : g.mul(s.param, decay);
    return { param: g.sub(decayed, g.mul(g.div(m, denom), stepSize)), m, v };
  });
}

/**
 * The AdamW update alone, for data-parallel steps, on every trained tensor flattened and concatenated into
 * one vector of `size` values (so the update is ~15 ops and 3 outputs, not ~15 ops and 3 outputs per
 * tensor: this graph runs on the critical path, where per-op and per-output overheads dominate). The
 * gradient is the weighted sum g = Σ_k weights[k] · grad.<k> of the parts' gradients (a part's loss is the
 * mean over its lists, so weights[k] = lists in part k / lists in the batch); clipping uses the norm of the
 * whole vector, i.e. the same global norm. Inputs p, m, v, grad.<k> `[size]` and step [] (t ≥ 1); outputs
 * new.p, new.m, new.v `[size]`.
 */
export function buildAdamGraph(size: number, weights: number[], cfg: OptimizerConfig): Graph {
  const g = new Graph();
  const vec = (name: string) => g.input(name, [size]);
  const param = vec('p');
  const m = vec('m');
  const v = vec('v');
  const grad = weights.map((w, k) => (w === 1 ? vec(`grad.${k}`) : g.mul(vec(`grad.${k}`), g.scalar(w)))).reduce((a, b) => g.add(a, b));
  const [u] = adamUpdate(g, [{ param, grad, m, v }], g.input('step', []), cfg);
  g.output(u.param, 'new.p');
  g.output(u.m, 'new.m');
  g.output(u.v, 'new.v');
  return g;
}
