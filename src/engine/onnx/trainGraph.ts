/**
 * The whole training step as ONE ONNX graph: forward of the trained scorer and of the frozen
 * reference s0, the loss, the backward pass (reverse-mode rules of autodiff.ts) and the AdamW update.
 *
 * Shapes are static (B lists × N slots; the engine caches one graph per batch shape). Graph I/O:
 *   inputs   features [B,N,F], mask [B,N] (float 0/1), label.0 … label.(k−1) [B,N], w [B,m] and beta [B,m]
 *            when the loss or the net needs them, perm [B,N] int64 (ListMLE), p.<name> (every parameter of
 *            the trained scorer), and for `mode: 'step'` m.<name>, v.<name> (trainable ones) and step [] (t ≥ 1);
 *            drop.<k> dropout multipliers (0 or 1/(1−p)) shaped like the activation they scale.
 *   outputs  loss []; `step`: new.p.<name>, new.m.<name>, new.v.<name> per trainable parameter;
 *            `gradients`: grad.<name> (tests), or with `flatGradients` one flat `grad` (data-parallel steps).
 * Target 'base' trains s0 on its own scores. Target 'cos' trains the COS net and feeds every loss
 * Δ = s − s0 with s the full composed score (augmentation, T-COS mixing with the per-list β; c = 1) and
 * s0 the frozen reference: its scores as input `s0` (`s0Input`, the trainer's precomputed scores), or else
 * its forward in the graph with its parameters baked in as constants.
 */
import { isTrainable, parameterShapes, type Parameters, type RankerSpec } from '../../model/spec';
import type { LossSpec, OptimizerConfig } from '../engine';
import { adamUpdate } from './adam';
import { gradients } from './autodiff';
import { Graph, Value, dimProduct, type Dim } from './graph';
import { meanOverLists, perListLoss } from './losses';
import { constantParams, rankerForward, scorerForward, type DropoutHook, type ParamValues } from './scorerGraph';

export interface TrainGraphOptions {
  spec: RankerSpec;
  target: 'base' | 'cos';
  loss: LossSpec;
  optimizer: OptimizerConfig;
  /** Frozen s0 parameters (target 'cos'). */
  frozen: Parameters | null;
  batchSize: number;
  listSize: number;
  /** Columns of w / β (LiPO: the number of auxiliary objectives). */
  conditioningLength: number;
  mode: 'step' | 'loss' | 'gradients';
  /** Dropout probability of the trained scorer (0 = none; ignored in mode 'loss'). */
  dropout: number;
  /**
   * Mode 'gradients': one output `grad` — every trainable gradient flattened and concatenated in
   * `trainableNames` order — instead of grad.<name> (data-parallel steps feed it to adam.ts `buildAdamGraph`).
   */
  flatGradients?: boolean;
  /**
   * Packed rows (`packedEligible`): the scorers run on the D real documents only — inputs `features`
   * [D,F], `slots` [B·N] int64 (the row of each list
   * slot; padded slots any row, they are masked) and, for a w-conditioned net, `wRows` [D,m] — and the
   * row scores are gathered into the [B,N] lists the loss reads. The MLP work drops from B·N to D rows,
   * and N, D are symbolic: one graph per batch size serves every list size (no graph is built in the loop).
   */
  packed?: boolean;
  /**
   * Target 'cos': s0's scores come in as input `s0` (`[B,N]`, or `[D]` rows when packed) instead of being
   * computed from `frozen` in the graph (s0 is frozen: the trainer scores each document once).
   */
  s0Input?: boolean;
}

/**
 * Whether a step can run on packed rows: every scorer an MLP (rows are independent), no dropout (its
 * masks are shaped per slot), and no β input to the net or T-COS mixing (both read β per list).
 */
export function packedEligible(spec: RankerSpec, target: 'base' | 'cos', dropout: number): boolean {
  if (dropout > 0 || spec.base.kind !== 'mlp') return false;
  if (target === 'base') return true;
  const cos = spec.cos;
  return cos !== undefined && cos.net.kind === 'mlp' && !cos.temperature && !cos.net.conditioning.beta;
}

/** What the engine needs to know to feed the graph. */
export interface TrainGraphLayout {
  graph: Graph;
  needsW: boolean;
  needsBeta: boolean;
  needsPerm: boolean;
  /** LiPO with the margin option: input `margin` [B,N] is subtracted from Δ. */
  needsMargin: boolean;
  /** Inputs `features` [D,F], `slots` [B·N] and (w-conditioned net) `wRows` [D,m] instead of features [B,N,F]. */
  packed: boolean;
  /** Input `s0` (the frozen s0's scores, `[B,N]` or packed `[D]`) instead of s0 in the graph. */
  needsS0: boolean;
  labelCount: number;
  /** Shapes of the drop.<k> inputs, in order. */
  dropoutShapes: number[][];
  /** Names of every parameter of the trained scorer, and the trainable subset. */
  paramNames: string[];
  trainableNames: string[];
}

export function trainedScorer(spec: RankerSpec, target: 'base' | 'cos') {
  if (target === 'base') return spec.base;
  if (spec.cos === undefined) throw new Error('target cos needs a COS ranker spec');
  return spec.cos.net;
}

/** The dropout hook of a training graph: each site gets an input `drop.<k>` shaped like its activation. */
function dropoutHook(g: Graph, dropoutShapes: number[][]): DropoutHook {
  return (v) => {
    const shape = v.shape.map((d) => {
      if (typeof d !== 'number') throw new Error('internal error: dynamic dropout shape');
      return d;
    });
    const k = dropoutShapes.push(shape) - 1;
    return g.mul(v, g.input(`drop.${k}`, shape));
  };
}

/** The backward pass and the mode's outputs: gradients (named or one flat `grad`), or the AdamW update. */
function backwardOutputs(g: Graph, o: TrainGraphOptions, loss: Value, params: ParamValues, trainableNames: string[]): void {
  const grads = gradients(
    g,
    loss,
    trainableNames.map((n) => params[n]),
  );
  if (o.mode === 'gradients' && o.flatGradients === true) {
    const flat = grads.map((d) => g.reshape(d, [d.shape.reduce((a, b) => dimProduct(a, b), 1)]));
    g.output(flat.length === 1 ? flat[0] : g.concat(flat, 0), 'grad');
  } else if (o.mode === 'gradients') trainableNames.forEach((n, i) => g.output(grads[i], `grad.${n}`));
  else {
    const step = g.input('step', []);
    const slots = trainableNames.map((n, i) => ({
      param: params[n],
      grad: grads[i],
      m: g.input(`m.${n}`, [...params[n].shape]),
      v: g.input(`v.${n}`, [...params[n].shape]),
    }));
    adamUpdate(g, slots, step, o.optimizer).forEach((u, i) => {
      const n = trainableNames[i];
      g.output(u.param, `new.p.${n}`);
      g.output(u.m, `new.m.${n}`);
      g.output(u.v, `new.v.${n}`);
    });
  }
}

export function buildTrainGraph(o: TrainGraphOptions): TrainGraphLayout {
  const g = new Graph();
  const { spec } = o;
  // packed graphs take any list size: N and D are read from the inputs at run time (B stays static: the
  // gradient of the mean over lists needs it)
  const B: Dim = o.batchSize;
  const N: Dim = o.packed === true ? 'N' : o.listSize;
  const scorer = trainedScorer(spec, o.target);
  const m = o.conditioningLength;
  const lipo = o.loss.kind === 'lipo';
  const net = spec.cos?.net;
  const needsW = lipo || (o.target === 'cos' && net !== undefined && net.conditioning.weights > 0);
  const needsBeta = lipo || (o.target === 'cos' && spec.cos !== undefined && (spec.cos.temperature || spec.cos.net.conditioning.beta));
  const labelCount = o.loss.kind === 'lipo' ? o.loss.targets.length : 1;

  const packed = o.packed === true;
  if (packed && !packedEligible(spec, o.target, o.mode === 'loss' ? 0 : o.dropout)) throw new Error('internal error: this step cannot run on packed rows');
  const x = packed ? g.input('features', ['D', spec.base.inputSize]) : g.input('features', [B, N, spec.base.inputSize]);
  const slots = packed ? g.input('slots', [dimProduct(B, N)], 'int64') : null;
  const wRows = packed && o.target === 'cos' && (net?.conditioning.weights ?? 0) > 0 ? g.input('wRows', ['D', m]) : null;
  const mask = g.input('mask', [B, N]);
  const labels = Array.from({ length: labelCount }, (_, j) => g.input(`label.${j}`, [B, N]));
  const w = needsW ? g.input('w', [B, m]) : null;
  const beta = needsBeta ? g.input('beta', [B, m]) : null;
  const perm = o.loss.kind === 'listmle' ? g.input('perm', [B, N], 'int64') : null;
  const margin = o.loss.kind === 'lipo' && o.loss.margin === true ? g.input('margin', [B, N]) : null;

  const shapes = parameterShapes(scorer);
  const params: ParamValues = {};
  for (const [name, shape] of shapes) params[name] = g.input(`p.${name}`, shape);

  const dropoutShapes: number[][] = [];
  const dropout = o.dropout > 0 && o.mode !== 'loss' ? dropoutHook(g, dropoutShapes) : null;

  let scores: Value;
  if (o.target === 'base') {
    scores = scorerForward(g, spec.base, params, { x, mask: packed ? null : mask, w: null, betaBar: null }, dropout);
  } else {
    const given = o.s0Input === true ? g.input('s0', packed ? ['D'] : [B, N]) : undefined;
    if (o.frozen === null && given === undefined) throw new Error('internal error: target cos without frozen s0');
    const frozen = given === undefined && o.frozen !== null ? constantParams(g, spec.base, o.frozen, 'base') : null;
    const input = packed ? { x, mask: null, w: wRows, beta: null, c: null, s0: given } : { x, mask, w, beta, c: null, s0: given };
    const { s0, score } = rankerForward(g, spec, frozen, params, input, dropout);
    scores = g.sub(score, s0);
  }
  // packed: row scores [D] into the lists' slots [B, N]
  if (slots !== null) scores = g.reshape(g.gatherElements(scores, slots, 0), [B, N]);
  const loss = meanOverLists(g, perListLoss(g, o.loss, { scores, mask, labels, w, beta, perm, margin }));
  g.output(loss, 'loss');

  const trainableNames = shapes.map(([n]) => n).filter(isTrainable);
  if (o.mode !== 'loss') backwardOutputs(g, o, loss, params, trainableNames);
  return {
    graph: g,
    needsW,
    needsBeta,
    needsPerm: perm !== null,
    needsMargin: margin !== null,
    packed,
    needsS0: o.target === 'cos' && o.s0Input === true,
    labelCount,
    dropoutShapes,
    paramNames: shapes.map(([n]) => n),
    trainableNames,
  };
}
