/**
 * Rankers defined once, as data (DESIGN.md §5): an architecture spec plus named float32 parameter
 * tensors in a fixed layout. Both engines (tfjs, ONNX) execute exactly this definition.
 *
 * ## Scorer input
 * For a document with raw model-input features x (after objectives' `dropFromInput`):
 *   u = concat((x − input.mean) ⊙ input.scale, w, β̄)
 * where w (length `conditioning.weights`, 0 for an unconditioned scorer) is the trade-off and
 * β̄ = β/‖β‖₁ (present when `conditioning.beta`). Documents are scored in padded lists
 * `[B, N, ·]` with a mask `[B, N]` (1 = real document); padding never influences real scores.
 *
 * ## MLP (`kind: 'mlp'`), per document
 *   h_0 = u;  h_{i+1} = act(h_i · layers.i.weight + layers.i.bias)  for i < hidden.length
 *   score = h_L · layers.L.weight + layers.L.bias   (L = hidden.length, weight [·, 1])
 * Dropout (training only) after every activation.
 *
 * ## Listwise transformer (`kind: 'transformer'`), pre-layer-norm blocks over the documents of a list
 *   h = u · input.weight + input.bias                                        [B, N, d]
 *   for each block l:
 *     a = LN(h; blocks.l.norm1)
 *     h = h + MHA(a)   (q,k,v,out projections `blocks.l.attn.{q,k,v,out}.{weight,bias}`, heads of size
 *                       d/nHeads, logits q·kᵀ/√(d/nHeads) with padded keys set to −1e9, softmax over keys)
 *     f = LN(h; blocks.l.norm2)
 *     h = h + (act(f · blocks.l.ff.0.weight + blocks.l.ff.0.bias) · blocks.l.ff.1.weight + blocks.l.ff.1.bias)
 *   score = LN(h; final.norm) · output.weight + output.bias                  [B, N]
 * LN(x; p) = (x − mean) / sqrt(var + 1e-5) ⊙ p.gamma + p.beta over the last axis (biased variance).
 * Dropout (training only) on the attention output and the feed-forward output.
 *
 * ## Activations
 * relu; tanh; gelu = the tanh approximation 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))).
 */
import { Rng } from '../util/rng';

export type Activation = 'relu' | 'tanh' | 'gelu';

/** Which conditioning inputs a scorer takes beside the features. */
export interface Conditioning {
  /** Length m of the weight vector w appended to every document's input; 0 = unconditioned. */
  weights: number;
  /** Whether β̄ = β/‖β‖₁ (length m) is appended too (Temperature-COS-DPO). */
  beta: boolean;
}

export interface MlpSpec {
  kind: 'mlp';
  /** Number of raw model-input features (before conditioning inputs are appended). */
  inputSize: number;
  conditioning: Conditioning;
  hidden: number[];
  activation: Activation;
  dropout: number;
}

export interface TransformerSpec {
  kind: 'transformer';
  inputSize: number;
  conditioning: Conditioning;
  dModel: number;
  nLayers: number;
  nHeads: number;
  ffHidden: number;
  activation: Activation;
  dropout: number;
}

/** One scoring network. */
export type ScorerSpec = MlpSpec | TransformerSpec;

/** A float32 tensor with its shape, stored row-major (a weight is `[in, out]`). */
export interface NamedTensor {
  shape: number[];
  data: Float32Array;
}

/** Parameters of one scorer, keyed by the names documented above. */
export type Parameters = Record<string, NamedTensor>;

/**
 * A complete ranker. `base` is s0 (unconditioned). Without `cos` the ranker is s0 alone.
 * With `cos`, scores for trade-off w, temperatures β and factor c are
 *   sθ(x, w, β̄) = s0(x) + net(u)   (parametrisation 'augment')   |   net(u)   ('scratch')
 *   s(x, w, β)   = (1 − 1/‖β‖₁)·s0(x) + (1/‖β‖₁)·sθ(x, w, β̄)   when cos.temperature (T-COS), else sθ(x, w)
 *   s_c          = (1 − 1/c)·s0(x) + (1/c)·s(x, w, β)            (post-training temperature factor, c = 1 default)
 */
export interface RankerSpec {
  base: ScorerSpec;
  cos?: {
    net: ScorerSpec;
    parametrisation: 'augment' | 'scratch';
    /** T-COS: β is an input (β̄ to the network) and the output is mixed with s0 by 1/‖β‖₁. */
    temperature: boolean;
  };
}

/** Size of the input vector u of a scorer. */
export function scorerInputSize(spec: ScorerSpec): number {
  return spec.inputSize + spec.conditioning.weights + (spec.conditioning.beta ? spec.conditioning.weights : 0);
}

/** Names and shapes of every parameter of a scorer, in the fixed layout order. */
export function parameterShapes(spec: ScorerSpec): [string, number[]][] {
  const out: [string, number[]][] = [
    ['input.mean', [spec.inputSize]],
    ['input.scale', [spec.inputSize]],
  ];
  const inSize = scorerInputSize(spec);
  if (spec.kind === 'mlp') {
    const sizes = [inSize, ...spec.hidden, 1];
    for (let i = 0; i + 1 < sizes.length; i++) {
      out.push([`layers.${i}.weight`, [sizes[i], sizes[i + 1]]], [`layers.${i}.bias`, [sizes[i + 1]]]);
    }
    return out;
  }
  const d = spec.dModel;
  out.push(['input.weight', [inSize, d]], ['input.bias', [d]]);
  for (let l = 0; l < spec.nLayers; l++) {
    const p = `blocks.${l}`;
    out.push([`${p}.norm1.gamma`, [d]], [`${p}.norm1.beta`, [d]]);
    for (const proj of ['q', 'k', 'v', 'out']) out.push([`${p}.attn.${proj}.weight`, [d, d]], [`${p}.attn.${proj}.bias`, [d]]);
    out.push([`${p}.norm2.gamma`, [d]], [`${p}.norm2.beta`, [d]]);
    out.push([`${p}.ff.0.weight`, [d, spec.ffHidden]], [`${p}.ff.0.bias`, [spec.ffHidden]]);
    out.push([`${p}.ff.1.weight`, [spec.ffHidden, d]], [`${p}.ff.1.bias`, [d]]);
  }
  out.push(['final.norm.gamma', [d]], ['final.norm.beta', [d]], ['output.weight', [d, 1]], ['output.bias', [1]]);
  return out;
}

/** Parameters that the optimizer updates (everything except the frozen input normalisation). */
export function isTrainable(name: string): boolean {
  return !name.startsWith('input.mean') && !name.startsWith('input.scale');
}

/**
 * Fresh parameters: weights Glorot-uniform, biases 0, layer-norm gamma 1 / beta 0, input
 * normalisation identity (mean 0, scale 1) until fitted with `fitInputNormalisation`.
 * `outputScale` multiplies the last layer's initial weights (0 makes an augmentation net start at s0).
 */
export function initParameters(spec: ScorerSpec, rng: Rng, outputScale = 1): Parameters {
  const params: Parameters = {};
  const shapes = parameterShapes(spec);
  const lastWeight = spec.kind === 'mlp' ? `layers.${spec.hidden.length}.weight` : 'output.weight';
  for (const [name, shape] of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (name === 'input.scale' || name.endsWith('.gamma')) data.fill(1);
    else if (name.endsWith('.weight')) {
      const limit = Math.sqrt(6 / (shape[0] + shape[1])) * (name === lastWeight ? outputScale : 1);
      for (let i = 0; i < size; i++) data[i] = rng.uniformIn(-limit, limit);
    }
    params[name] = { shape, data };
  }
  return params;
}

/**
 * Sets `input.mean` and `input.scale` (1/std, 1 where a feature is constant) from training features
 * `[nDocs × inputSize]`, so the scorer sees standardised inputs.
 */
export function fitInputNormalisation(params: Parameters, features: Float32Array, inputSize: number): void {
  const nDocs = features.length / inputSize;
  const mean = new Float64Array(inputSize);
  const sq = new Float64Array(inputSize);
  for (let r = 0; r < nDocs; r++) {
    for (let f = 0; f < inputSize; f++) {
      const v = features[r * inputSize + f];
      mean[f] += v;
      sq[f] += v * v;
    }
  }
  for (let f = 0; f < inputSize; f++) {
    const m = nDocs > 0 ? mean[f] / nDocs : 0;
    const variance = nDocs > 0 ? Math.max(0, sq[f] / nDocs - m * m) : 0;
    const std = Math.sqrt(variance);
    params['input.mean'].data[f] = m;
    params['input.scale'].data[f] = std > 1e-12 ? 1 / std : 1;
  }
}

/** Number of trainable scalars. */
export function parameterCount(params: Parameters): number {
  let n = 0;
  for (const [name, t] of Object.entries(params)) if (isTrainable(name)) n += t.data.length;
  return n;
}
