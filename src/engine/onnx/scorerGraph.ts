/**
 * Forward graphs of the rankers of `src/model/spec.ts`, emitted as ONNX ops.
 *
 * Two layouts of the documents:
 * - rows  `[R, F]` — every document on its own (MLP-only rankers: no padding at all);
 * - lists `[B, N, F]` with mask `[B, N]` (1 = real) — needed by the listwise transformer; the MLP
 *   flattens lists to rows `[B·N, F]` and reshapes its scores back to `[B, N]`.
 * Per-document MLP layers are `Gemm(h, W, b)` on rows (bias fused, weights used as stored `[in, out]`,
 * no transposes). The transformer keeps its activations as rows `[B·N, d]` except inside attention.
 */
import { parameterShapes, type Activation, type Parameters, type RankerSpec, type ScorerSpec } from '../../model/spec';
import { Dim, Graph, Value, dimProduct } from './graph';

/** Graph values of one scorer's parameters, keyed by the spec's names. */
export type ParamValues = Record<string, Value>;

/** Applied to an activation where the spec puts dropout (training); identity when absent. */
export type DropoutHook = (x: Value) => Value;

/** Inputs of a scorer. `w` and `betaBar` are `[m]` (one trade-off for every document) or `[B, m]` (one per list). */
export interface ScorerInput {
  x: Value;
  mask: Value | null;
  w: Value | null;
  betaBar: Value | null;
}

/** Layer-norm epsilon of the spec. */
const LN_EPS = 1e-5;
/** Logit offset of a padded key / padded document. */
export const MASK_OFFSET = 1e9;

function param(p: ParamValues, name: string): Value {
  const v = p[name];
  if (v === undefined) throw new Error(`missing parameter ${name}`);
  return v;
}

/** act(x); gelu = 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) composed of primitive ops. */
export function activation(g: Graph, x: Value, act: Activation): Value {
  if (act === 'relu') return g.unary('Relu', x);
  if (act === 'tanh') return g.unary('Tanh', x);
  const cube = g.mul(g.mul(x, x), x);
  const inner = g.mul(g.add(x, g.mul(cube, g.scalar(0.044715))), g.scalar(Math.sqrt(2 / Math.PI)));
  return g.mul(g.mul(x, g.scalar(0.5)), g.add(g.scalar(1), g.unary('Tanh', inner)));
}

/** Conditioning vector `[m]` or `[B, m]` spread to one row per document `[rows, m]`. */
function conditioningRows(g: Graph, v: Value, x: Value, rows: Dim): Value {
  const m = v.shape[v.shape.length - 1];
  if (x.shape.length === 2) return g.expand(v, [x.shape[0], m]);
  const [b, n] = x.shape;
  const perList = v.shape.length === 2 ? g.unsqueeze(v, [1]) : v;
  return g.reshape(g.expand(perList, [b, n, m]), [rows, m]);
}

/** u = concat((x − mean) ⊙ scale, w, β̄) as rows `[R, inSize]`; also returns how to shape scores back. */
function inputRows(g: Graph, spec: ScorerSpec, p: ParamValues, input: ScorerInput): { u: Value; scoreShape: Dim[] } {
  const { x } = input;
  const lists = x.shape.length === 3;
  const rows = lists ? dimProduct(x.shape[0], x.shape[1]) : x.shape[0];
  const flat = lists ? g.reshape(x, [rows, x.shape[2]]) : x;
  const parts = [g.mul(g.sub(flat, param(p, 'input.mean')), param(p, 'input.scale'))];
  if (spec.conditioning.weights > 0) {
    if (input.w === null) throw new Error('internal error: conditioned scorer without w');
    parts.push(conditioningRows(g, input.w, x, rows));
  }
  if (spec.conditioning.beta) {
    if (input.betaBar === null) throw new Error('internal error: β-conditioned scorer without β');
    parts.push(conditioningRows(g, input.betaBar, x, rows));
  }
  return { u: parts.length === 1 ? parts[0] : g.concat(parts, 1), scoreShape: lists ? [x.shape[0], x.shape[1]] : [rows] };
}

function mlp(g: Graph, spec: ScorerSpec & { kind: 'mlp' }, p: ParamValues, input: ScorerInput, dropout: DropoutHook | null): Value {
  const { u, scoreShape } = inputRows(g, spec, p, input);
  let h = u;
  spec.hidden.forEach((_, i) => {
    h = activation(g, g.gemm(h, param(p, `layers.${i}.weight`), param(p, `layers.${i}.bias`)), spec.activation);
    if (dropout !== null) h = dropout(h);
  });
  const L = spec.hidden.length;
  return g.reshape(g.gemm(h, param(p, `layers.${L}.weight`), param(p, `layers.${L}.bias`)), scoreShape);
}

function transformer(g: Graph, spec: ScorerSpec & { kind: 'transformer' }, p: ParamValues, input: ScorerInput, dropout: DropoutHook | null): Value {
  const { x, mask } = input;
  if (x.shape.length !== 3 || mask === null) throw new Error('internal error: the transformer needs lists and a mask');
  const [b, n] = x.shape;
  const d = spec.dModel;
  const heads = spec.nHeads;
  const dh = d / heads;
  const { u, scoreShape } = inputRows(g, spec, p, input);
  const rows = u.shape[0];
  const ln = (v: Value, prefix: string) => g.layerNorm(v, param(p, `${prefix}.gamma`), param(p, `${prefix}.beta`), LN_EPS).y;
  const linear = (v: Value, prefix: string) => g.gemm(v, param(p, `${prefix}.weight`), param(p, `${prefix}.bias`));
  // padded keys get −1e9 before the softmax over keys: [B, 1, 1, N]
  const keyBias = g.unsqueeze(g.mul(g.sub(mask, g.scalar(1)), g.scalar(MASK_OFFSET)), [1, 2]);
  const scale = g.scalar(1 / Math.sqrt(dh));
  let h = linear(u, 'input');
  for (let l = 0; l < spec.nLayers; l++) {
    const pre = `blocks.${l}`;
    const a = ln(h, `${pre}.norm1`);
    const split = (prefix: string, perm: number[]) => g.transpose(g.reshape(linear(a, prefix), [b, n, heads, dh]), perm);
    const q = split(`${pre}.attn.q`, [0, 2, 1, 3]); // [B, H, N, dh]
    const k = split(`${pre}.attn.k`, [0, 2, 3, 1]); // [B, H, dh, N]
    const v = split(`${pre}.attn.v`, [0, 2, 1, 3]); // [B, H, N, dh]
    const att = g.softmax(g.add(g.mul(g.matmul(q, k), scale), keyBias), -1);
    const merged = g.reshape(g.transpose(g.matmul(att, v), [0, 2, 1, 3]), [rows, d]);
    let o = linear(merged, `${pre}.attn.out`);
    if (dropout !== null) o = dropout(o);
    h = g.add(h, o);
    const f = ln(h, `${pre}.norm2`);
    let ff = linear(activation(g, linear(f, `${pre}.ff.0`), spec.activation), `${pre}.ff.1`);
    if (dropout !== null) ff = dropout(ff);
    h = g.add(h, ff);
  }
  return g.reshape(linear(ln(h, 'final.norm'), 'output'), scoreShape);
}

/** Scores of one scorer: `[R]` for rows, `[B, N]` for lists. */
export function scorerForward(g: Graph, spec: ScorerSpec, p: ParamValues, input: ScorerInput, dropout: DropoutHook | null = null): Value {
  return spec.kind === 'mlp' ? mlp(g, spec, p, input, dropout) : transformer(g, spec, p, input, dropout);
}

/** Inputs of a ranker: `beta` raw temperatures `[m]` or `[B, m]`; `c` a scalar or null (= 1). */
export interface RankerInput {
  x: Value;
  mask: Value | null;
  w: Value | null;
  beta: Value | null;
  c: Value | null;
  /** The frozen s0's scores, shaped like the scores, when computed outside the graph. */
  s0?: Value;
}

/**
 * The composed score of `spec` (see RankerSpec): s0, sθ = s0 + net (augment) or net, T-COS mixing
 * (1 − 1/‖β‖₁)·s0 + (1/‖β‖₁)·sθ with β̄ = β/‖β‖₁ fed to the net, then the c mixing. Returns s0 too.
 * s0 runs on `base` unless `input.s0` holds its scores already (then `base` may be null).
 */
export function rankerForward(
  g: Graph,
  spec: RankerSpec,
  base: ParamValues | null,
  cos: ParamValues | null,
  input: RankerInput,
  dropout: DropoutHook | null = null,
): { s0: Value; score: Value } {
  if (input.s0 === undefined && base === null) throw new Error('internal error: neither s0 parameters nor s0 scores');
  const s0 = input.s0 ?? scorerForward(g, spec.base, base as ParamValues, { x: input.x, mask: input.mask, w: null, betaBar: null });
  if (spec.cos === undefined || cos === null) return { s0, score: s0 };
  const net = spec.cos.net;
  let invNorm: Value | null = null;
  let betaBar: Value | null = null;
  if (spec.cos.temperature || net.conditioning.beta) {
    if (input.beta === null) throw new Error('internal error: T-COS ranker without β');
    invNorm = g.div(g.scalar(1), g.reduceSum(g.unary('Abs', input.beta), [-1], true)); // [1] or [B, 1]
    betaBar = g.mul(input.beta, invNorm);
  }
  const out = scorerForward(g, net, cos, { x: input.x, mask: input.mask, w: input.w, betaBar }, dropout);
  const sTheta = spec.cos.parametrisation === 'augment' ? g.add(s0, out) : out;
  const mix = (t: Value, s: Value) => g.add(g.mul(g.sub(g.scalar(1), t), s0), g.mul(t, s));
  let score = spec.cos.temperature && invNorm !== null ? mix(invNorm, sTheta) : sTheta;
  if (input.c !== null) score = mix(g.div(g.scalar(1), input.c), score);
  return { s0, score };
}

/** Whether a ranker is scored row by row (every scorer an MLP) or as padded lists. */
export function inferenceLayout(spec: RankerSpec): 'rows' | 'lists' {
  return spec.base.kind === 'mlp' && (spec.cos === undefined || spec.cos.net.kind === 'mlp') ? 'rows' : 'lists';
}

/** Length m of the w / β inputs of a COS ranker (a symbol when the net takes no w). */
function conditioningLength(spec: RankerSpec): Dim {
  const m = spec.cos?.net.conditioning.weights ?? 0;
  return m > 0 ? m : 'M';
}

/** Which inputs the inference graph of `spec` declares, in order. */
export function inferenceInputs(spec: RankerSpec): { features: true; mask: boolean; w: boolean; beta: boolean; c: boolean } {
  const cos = spec.cos;
  return {
    features: true,
    mask: inferenceLayout(spec) === 'lists',
    w: cos !== undefined && cos.net.conditioning.weights > 0,
    beta: cos !== undefined && (cos.temperature || cos.net.conditioning.beta),
    c: cos !== undefined,
  };
}

/** Parameters a COS net usually holds as copies of s0's (its input normalisation: copied at init, never trained). */
const SHAREABLE = new Set(['input.mean', 'input.scale']);

/**
 * Adds a scorer's parameters to a graph as constants named `<prefix>.<name>`. With `reuse`, an input
 * normalisation equal (bit for bit) to the one already added for `reuse.params` is that same constant:
 * ONNX Runtime's common-subexpression pass then normalises the input once for both nets (about a tenth
 * of a 100-row MLP ranker's run), with the same numbers.
 */
export function constantParams(g: Graph, spec: ScorerSpec, params: Parameters, prefix: string, reuse?: { params: Parameters; values: ParamValues }): ParamValues {
  const out: ParamValues = {};
  for (const [name] of parameterShapes(spec)) {
    const t = params[name];
    if (t === undefined) throw new Error(`missing parameter ${prefix}.${name}`);
    const same = reuse !== undefined && SHAREABLE.has(name) ? reuse.params[name] : undefined;
    const shared = same !== undefined && sameTensor(same, t) ? reuse?.values[name] : undefined;
    out[name] = shared ?? g.constant(t.data, t.shape, 'float', `${prefix}.${name}`);
  }
  return out;
}

function sameTensor(a: { shape: number[]; data: ArrayLike<number> }, b: { shape: number[]; data: ArrayLike<number> }): boolean {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i]) || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
  return true;
}

/**
 * The inference graph of a ranker with its parameters baked in as initializers.
 * Inputs: `features` `[R, F]` (rows) or `[B, N, F]` + `mask` `[B, N]` (lists); for a COS ranker `w` `[m]`,
 * `beta` `[m]` (T-COS or β-conditioned nets) and `c` `[]`. Output: `scores` `[R]` or `[B, N]`.
 * With `wPerDocument` (the engine's, never exported) `w` is one trade-off per row `[R, m]` or per list `[B, m]`.
 */
export function buildInferenceGraph(spec: RankerSpec, params: { base: Parameters; cos?: Parameters }, wPerDocument = false): Graph {
  const g = new Graph();
  const f = spec.base.inputSize;
  const which = inferenceInputs(spec);
  const x = which.mask ? g.input('features', ['B', 'N', f]) : g.input('features', ['R', f]);
  const mask = which.mask ? g.input('mask', ['B', 'N']) : null;
  const m = conditioningLength(spec);
  const w = which.w ? g.input('w', wPerDocument ? [x.shape[0], m] : [m]) : null;
  const beta = which.beta ? g.input('beta', [m]) : null;
  const c = which.c ? g.input('c', []) : null;
  const base = constantParams(g, spec.base, params.base, 'base');
  let cos: ParamValues | null = null;
  if (spec.cos !== undefined) {
    if (params.cos === undefined) throw new Error('a COS ranker needs cos parameters');
    cos = constantParams(g, spec.cos.net, params.cos, 'cos', { params: params.base, values: base });
  }
  const { score } = rankerForward(g, spec, base, cos, { x, mask, w, beta, c });
  g.output(score, 'scores');
  return g;
}
