/**
 * The TensorFlow.js engine (DESIGN.md §5): scores ragged query lists and trains rankers defined by a
 * `RankerSpec` and named parameters, on the backend chosen by `selectBackend`.
 *
 * Scoring pads queries into buckets of similar length (queries sorted by length, at most
 * `scoreBatchSlots` document slots per forward), runs the ranker in inference mode and unpads.
 *
 * Training (`createTrainSession`):
 * - target 'base': s0's parameters are trained with ListNet or ListMLE on `labels[0]`;
 * - target 'cos': s0 is frozen and the COS network is trained on Δ = s − s0, s the full composed score
 *   of `ranker.ts` (T-COS mixing included, c = 1). Loss 'lipo' = `cosDpoLoss` with the batch's per-list
 *   `weights` and `beta` (β defaults to ones) over the m auxiliary `labels`; 'listnet'/'listmle' apply
 *   to Δ with `labels[0]` (a DPO-style objective on a single label).
 * The batch loss is the mean over the B lists; parameters update by AdamW (`adamw.ts`). Dropout masks
 * draw their seeds from an `Rng(seed)`, so the same seed and batches give the same parameters.
 * Each step leaves the number of live tfjs tensors unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import type {
  Engine,
  ListBatch,
  OptimizerState,
  ScoreInput,
  TrainSession,
  TrainSessionOptions,
} from '../engine';
import type { RankerParameters } from '../../model/rankerParameters';
import { isTrainable, Parameters, parameterShapes, RankerSpec } from '../../model/spec';
import { ConfigError } from '../../util/errors';
import { batchNeeds, checkListBatch, checkRanker, checkRestore, checkScoreInput, checkTrainOptions, tradeOffLength, weightsPerQuery, type BatchNeeds } from '../checks';
import { Rng } from '../../util/rng';
import { cosDpoLoss, listMleLoss, listNetLoss } from './losses';
import { AdamW, snapshot } from './adamw';
import { selectBackend, switchTo } from './backend';
import type { TfjsEngineOptions } from './options';
import { RankerInputs, rankerForward, RankerTensors } from './ranker';
import { scorerForward, toTensors } from './scorer';

export type { TfjsEngineOptions } from './options';

export const TFJS_ENGINE_DEFAULTS: Required<TfjsEngineOptions> = { backend: 'auto', scoreBatchSlots: 32768 };

export async function createTfjsEngine(options: TfjsEngineOptions = {}): Promise<Engine> {
  const opts = { ...TFJS_ENGINE_DEFAULTS, ...options };
  if (!Number.isInteger(opts.scoreBatchSlots) || opts.scoreBatchSlots < 1) {
    throw new ConfigError([{ path: 'scoreBatchSlots', value: opts.scoreBatchSlots, expected: 'a positive integer' }], 'tfjs engine options');
  }
  const selected = await selectBackend(opts.backend);
  const activate = async () => {
    if (tf.getBackend() !== selected.tfBackend) await switchTo(selected.tfBackend);
  };
  const description = [`tfjs on backend ${selected.name}`, ...selected.reasons].join('; ');
  return {
    name: `tfjs-${selected.name}`,
    description,
    async score(spec, params, input) {
      await activate();
      return scoreRanker(spec, params, input, opts.scoreBatchSlots);
    },
    async createTrainSession(sessionOptions) {
      await activate();
      return new TfjsTrainSession(sessionOptions, activate);
    },
  };
}

async function scoreRanker(spec: RankerSpec, params: RankerParameters, input: ScoreInput, maxSlots: number): Promise<Float32Array> {
  checkRanker(spec, params);
  const nDocs = checkScoreInput(spec, input);
  const f = spec.base.inputSize;
  const offsets = input.queryOffsets;
  const m = tradeOffLength(spec);
  const weights = spec.cos && m > 0 ? input.weights : undefined;
  const perQuery = weightsPerQuery(spec, input);
  const beta = spec.cos ? input.beta : undefined;
  const out = new Float32Array(nDocs);
  const tensors: RankerTensors = { base: toTensors(params.base), cos: spec.cos && params.cos ? toTensors(params.cos) : undefined };
  try {
    for (const queries of planBuckets(offsets, maxSlots)) {
      // buckets are sorted by length: the last query is the longest
      const last = queries[queries.length - 1];
      const n = offsets[last + 1] - offsets[last];
      const b = queries.length;
      const feats = new Float32Array(b * n * f);
      const mask = new Float32Array(b * n);
      queries.forEach((q, i) => {
        feats.set(input.features.subarray(offsets[q] * f, offsets[q + 1] * f), i * n * f);
        mask.fill(1, i * n, i * n + offsets[q + 1] - offsets[q]);
      });
      const scores = tf.tidy(() => {
        const perList = (x: Float32Array | undefined) => (x ? tf.tile(tf.tensor2d(x, [1, m]), [b, 1]) : undefined);
        // w per query: the bucket's queries' rows
        const listWeights = (w: Float32Array) => tf.tensor2d(Float32Array.from(queries.flatMap((q) => Array.from(w.subarray(q * m, (q + 1) * m)))), [b, m]);
        const inputs: RankerInputs = {
          features: tf.tensor3d(feats, [b, n, f]),
          mask: tf.tensor2d(mask, [b, n]),
          weights: weights && perQuery ? listWeights(weights) : perList(weights),
          beta: perList(beta),
        };
        return rankerForward(spec, tensors, inputs, { c: input.c }).score;
      });
      const values = (await scores.data()) as Float32Array;
      scores.dispose();
      queries.forEach((q, i) => out.set(values.subarray(i * n, i * n + offsets[q + 1] - offsets[q]), offsets[q]));
    }
  } finally {
    disposeAll(tensors.base);
    if (tensors.cos) disposeAll(tensors.cos);
  }
  return out;
}

/**
 * Groups non-empty queries into scoring buckets: sorted by length, consecutive queries share a bucket
 * while (queries in bucket) × (longest length) ≤ maxSlots (a longer query gets a bucket of its own).
 */
function planBuckets(offsets: Int32Array, maxSlots: number): number[][] {
  const lengths = Array.from({ length: offsets.length - 1 }, (_, q) => offsets[q + 1] - offsets[q]);
  const order = lengths.map((_, q) => q).filter((q) => lengths[q] > 0).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const buckets: number[][] = [];
  let current: number[] = [];
  for (const q of order) {
    if (current.length > 0 && (current.length + 1) * lengths[q] > maxSlots) {
      buckets.push(current);
      current = [];
    }
    current.push(q);
  }
  if (current.length > 0) buckets.push(current);
  return buckets;
}

function disposeAll(params: Record<string, tf.Tensor>): void {
  for (const t of Object.values(params)) t.dispose();
}

class TfjsTrainSession implements TrainSession {
  /** Every parameter of the trained scorer (frozen input normalisation as non-trainable variables). */
  private readonly vars = new Map<string, tf.Variable>();
  private readonly trainable = new Map<string, tf.Variable>();
  private readonly frozen: Record<string, tf.Tensor>;
  private readonly adam: AdamW;
  private readonly rng: Rng;
  private readonly m: number;
  private readonly needs: BatchNeeds;

  constructor(
    private readonly options: TrainSessionOptions,
    private readonly activate: () => Promise<void>,
  ) {
    checkTrainOptions(options);
    const { spec, params, target } = options;
    this.needs = batchNeeds(options);
    this.m = target === 'cos' ? this.needs.m : tradeOffLength(spec);
    const trainedSpec = target === 'base' ? spec.base : (spec.cos as NonNullable<RankerSpec['cos']>).net;
    const trainedParams = (target === 'base' ? params.base : params.cos) as Parameters;
    for (const [name] of parameterShapes(trainedSpec)) {
      const t = trainedParams[name];
      // tidy frees the initial tensor; the variable survives it
      const variable = tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape, 'float32'), isTrainable(name)));
      this.vars.set(name, variable);
      if (isTrainable(name)) this.trainable.set(name, variable);
    }
    this.frozen = toTensors(target === 'base' ? (params.cos ?? {}) : params.base);
    this.adam = new AdamW(this.trainable, options.optimizer);
    this.rng = new Rng(options.seed);
  }

  async step(batch: ListBatch): Promise<number> {
    await this.activate();
    const vars = [...this.trainable.values()];
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => this.batchLoss(batch, true), vars);
      this.adam.apply(new Map([...this.trainable].map(([name, v]) => [name, grads[v.name]])));
      return value;
    });
    return readScalar(loss);
  }

  async evaluateLoss(batch: ListBatch): Promise<number> {
    await this.activate();
    return readScalar(tf.tidy(() => this.batchLoss(batch, false)));
  }

  parameters(): Parameters {
    return snapshot(this.vars);
  }

  optimizerState(): OptimizerState {
    return { ...this.adam.state(), dropoutRng: this.rng.getState() };
  }

  restore(params: Parameters, state: OptimizerState): void {
    const spec = this.options.target === 'base' ? this.options.spec.base : (this.options.spec.cos as NonNullable<RankerSpec['cos']>).net;
    checkRestore(spec, params, state);
    for (const [name, variable] of this.vars) tf.tidy(() => variable.assign(tf.tensor(params[name].data, variable.shape, 'float32')));
    this.adam.restore(state);
    if (state.dropoutRng) this.rng.setState(state.dropoutRng);
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    disposeAll(this.frozen);
    this.adam.dispose();
  }

  /** Mean over the B lists of the configured loss (a scalar). */
  private batchLoss(batch: ListBatch, training: boolean): tf.Scalar {
    const { target, loss, spec } = this.options;
    checkListBatch(batch, spec.base.inputSize, this.needs);
    const { inputs, labels } = batchTensors(batch, target === 'cos' ? this.m : 0, loss.kind === 'lipo' ? this.m : 1);
    const trained: Record<string, tf.Tensor> = Object.fromEntries(this.vars);
    const rng = this.rng;
    let perList: tf.Tensor;
    if (target === 'base') {
      const s0 = scorerForward(spec.base, trained, inputs, { training, rng });
      perList = (loss.kind === 'listmle' ? listMleLoss : listNetLoss)(s0, labels[0], inputs.mask);
    } else {
      const { delta } = rankerForward(spec, { base: this.frozen, cos: trained }, inputs, { train: training ? 'cos' : undefined, rng });
      if (loss.kind === 'lipo') {
        const beta = inputs.beta as tf.Tensor;
        const d = batch.margin && loss.margin ? tf.sub(delta, tf.tensor2d(batch.margin, [batch.batchSize, batch.listSize])) : delta;
        perList = cosDpoLoss(labels.map(() => d), labels, inputs.mask, inputs.weights as tf.Tensor, beta, loss.targets, loss.lambda);
      } else {
        perList = (loss.kind === 'listmle' ? listMleLoss : listNetLoss)(delta, labels[0], inputs.mask);
      }
    }
    return tf.mean(perList);
  }
}

/**
 * Tensors of a training batch (checked by `checkListBatch`): features `[B, N, F]`, float mask, `nLabels`
 * label arrays `[B, N]`, for COS training (m > 0) weights `[B, m]` and beta `[B, m]` (ones when absent), and
 * the precomputed s0 scores `[B, N]` when the batch carries them (checked: target 'cos' only).
 */
function batchTensors(batch: ListBatch, m: number, nLabels: number): { inputs: RankerInputs; labels: tf.Tensor[] } {
  const { batchSize: b, listSize: n, inputSize: f } = batch;
  const inputs: RankerInputs = {
    features: tf.tensor3d(batch.features, [b, n, f]),
    mask: tf.tensor2d(Float32Array.from(batch.mask), [b, n]),
  };
  if (m > 0) {
    inputs.weights = tf.tensor2d(batch.weights as Float32Array, [b, m]);
    inputs.beta = batch.beta ? tf.tensor2d(batch.beta, [b, m]) : tf.ones([b, m]);
  }
  if (batch.s0) inputs.s0 = tf.tensor2d(batch.s0, [b, n]);
  return { inputs, labels: batch.labels.slice(0, nLabels).map((y) => tf.tensor2d(y, [b, n])) };
}

async function readScalar(x: tf.Tensor): Promise<number> {
  try {
    return (await x.data())[0];
  } finally {
    x.dispose();
  }
}
