/**
 * The ONNX engine (DESIGN.md §5): rankers compiled to ONNX graphs by our own builder and run on
 * onnxruntime-node (CPU, graph optimisation level 'all', `threads` intra-op threads, default 2, idle
 * threads sleeping rather than spinning unless `spin`).
 *
 * - `score`: one inference graph per (spec, parameters object) — parameters baked in as initializers,
 *   cached in a WeakMap keyed by the `RankerParameters` object (pass a new object after changing
 *   parameters). MLP-only rankers score flat rows in chunks; rankers with a transformer score padded
 *   lists, queries sorted by length and packed into chunks of at most `maxSlots` document slots.
 * - `createTrainSession`: the whole step (forward of the trained net and frozen s0, loss, backward,
 *   AdamW) is one graph per batch shape (B, N) — see trainGraph.ts. Parameters and Adam moments stay in
 *   JS Float32Arrays and go in/out of every run (wrapped, not copied, on input).
 * - Dropout: multipliers drawn in JS from `Rng(seed)` (0 with probability p, else 1/(1−p)) and fed as
 *   inputs; the tfjs engine draws its own masks, so dropout runs agree in distribution, not bit for bit.
 * - CUDA: with `cuda: true` or `COSRANK_ONNX_CUDA=1` the CUDA execution provider is requested first
 *   (falls back to CPU when it does not load; untested here — no GPU on the build machine).
 * Unsupported requests throw a `ConfigError` naming the field, so a selector can fall back to tfjs.
 */
import * as ort from 'onnxruntime-node';
import { isTrainable, parameterShapes, type Parameters, type RankerSpec, type ScorerSpec } from '../../model/spec';
import { ConfigError, type ConfigIssue } from '../../util/errors';
import { Rng } from '../../util/rng';
import type { Engine, ListBatch, OptimizerState, RankerParameters, ScoreInput, TrainSession, TrainSessionOptions } from '../engine';
import { listmlePermutation } from './losses';
import { buildInferenceGraph, inferenceInputs, inferenceLayout } from './scorerGraph';
import { buildTrainGraph, trainedScorer, type TrainGraphLayout } from './trainGraph';

export interface OnnxEngineOptions {
  /** Intra-op threads of every session (default 2). */
  threads?: number;
  /** Request the CUDA execution provider (default: `COSRANK_ONNX_CUDA=1`). */
  cuda?: boolean;
  /** Maximum document slots (rows, or B·N for lists) per scoring run (default 65536). */
  maxSlots?: number;
  /**
   * Let idle intra-op threads spin (default false: they sleep, like OMP_WAIT_POLICY=PASSIVE — measured
   * faster on this shared 2-core machine; spinning may win on an idle dedicated one).
   */
  spin?: boolean;
}

type Session = ort.InferenceSession;
type Feeds = Record<string, ort.Tensor>;

const f32 = (data: Float32Array, dims: readonly number[]) => new ort.Tensor('float32', data, dims);

/** Every problem with a ranker's spec/parameters pairing, as one ConfigError. */
export function checkRanker(spec: RankerSpec, params: RankerParameters): void {
  const issues: ConfigIssue[] = [];
  const checkScorer = (s: ScorerSpec, p: Parameters | undefined, path: string) => {
    if (p === undefined) {
      issues.push({ path, value: undefined, expected: 'parameters of the scorer' });
      return;
    }
    for (const [name, shape] of parameterShapes(s)) {
      const t = p[name];
      const size = shape.reduce((a, b) => a * b, 1);
      if (t === undefined || t.data.length !== size) issues.push({ path: `${path}.${name}`, value: t?.shape, expected: `shape [${shape.join(', ')}]` });
    }
  };
  if (spec.base.conditioning.weights !== 0) issues.push({ path: 'spec.base.conditioning.weights', value: spec.base.conditioning.weights, expected: '0 (s0 is unconditioned)' });
  for (const [s, path] of [[spec.base, 'spec.base'], ...(spec.cos ? [[spec.cos.net, 'spec.cos.net'] as const] : [])] as const) {
    if (s.kind === 'transformer' && s.dModel % s.nHeads !== 0) issues.push({ path: `${path}.nHeads`, value: s.nHeads, expected: `a divisor of dModel ${s.dModel}` });
  }
  if (spec.cos && spec.cos.net.inputSize !== spec.base.inputSize) issues.push({ path: 'spec.cos.net.inputSize', value: spec.cos.net.inputSize, expected: `${spec.base.inputSize} (= spec.base.inputSize)` });
  checkScorer(spec.base, params.base, 'params.base');
  if (spec.cos) checkScorer(spec.cos.net, params.cos, 'params.cos');
  if (issues.length > 0) throw new ConfigError(issues, 'onnx engine');
}

export async function createOnnxEngine(options: OnnxEngineOptions = {}): Promise<Engine> {
  const threads = options.threads ?? 2;
  const maxSlots = options.maxSlots ?? 65536;
  const wantCuda = options.cuda ?? process.env.COSRANK_ONNX_CUDA === '1';
  const cudaListed = ort.listSupportedBackends().some((b) => b.name === 'cuda');
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: options.spin === true ? '1' : '0' } } },
  };
  let cudaFailed = false;
  const open = async (bytes: Uint8Array): Promise<Session> => {
    if (wantCuda && cudaListed && !cudaFailed) {
      try {
        return await ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cuda', 'cpu'] });
      } catch {
        cudaFailed = true; // the CUDA provider did not load: CPU from now on
      }
    }
    return ort.InferenceSession.create(bytes, { ...base, executionProviders: ['cpu'] });
  };
  const provider = wantCuda ? (cudaListed ? 'CUDA requested (CPU fallback if it fails to load)' : 'CUDA requested but not available: CPU') : 'CPU';
  const inferenceCache = new WeakMap<RankerParameters, Map<string, Promise<Session>>>();
  const inferenceSession = (spec: RankerSpec, params: RankerParameters): Promise<Session> => {
    let bySpec = inferenceCache.get(params);
    if (bySpec === undefined) inferenceCache.set(params, (bySpec = new Map()));
    const key = JSON.stringify(spec);
    let s = bySpec.get(key);
    if (s === undefined) {
      s = open(buildInferenceGraph(spec, params).toModel());
      bySpec.set(key, s);
    }
    return s;
  };
  return {
    name: 'onnx',
    description: `onnxruntime-node ${ort.env.versions.common} (${provider}, ${threads} intra-op threads, graphs built by cosrank, opset 17)`,
    async score(spec, params, input) {
      checkRanker(spec, params);
      return scoreRanker(spec, input, await inferenceSession(spec, params), maxSlots);
    },
    async createTrainSession(sessionOptions) {
      const s = new OnnxTrainSession(sessionOptions, open);
      return s;
    },
  };
}

/** Feeds for w, β, c of the inference graph. */
function conditioningFeeds(spec: RankerSpec, input: ScoreInput): Feeds {
  const which = inferenceInputs(spec);
  const feeds: Feeds = {};
  const issues: ConfigIssue[] = [];
  const m = spec.cos?.net.conditioning.weights ?? 0;
  if (which.w) {
    if (input.weights === undefined || input.weights.length !== m) issues.push({ path: 'weights', value: input.weights?.length, expected: `a trade-off vector of length ${m}` });
    else feeds.w = f32(input.weights, [m]);
  }
  if (which.beta) {
    const beta = input.beta ?? new Float32Array(Math.max(m, 1)).fill(1);
    if (m > 0 && beta.length !== m) issues.push({ path: 'beta', value: beta.length, expected: `length ${m}` });
    else if (!beta.every((b) => b > 0)) issues.push({ path: 'beta', value: Array.from(beta), expected: 'positive temperatures' });
    else feeds.beta = f32(beta, [beta.length]);
  }
  if (which.c) {
    const c = input.c ?? 1;
    if (!(c > 0)) issues.push({ path: 'c', value: c, expected: 'a number > 0' });
    else feeds.c = f32(Float32Array.of(c), []);
  }
  if (issues.length > 0) throw new ConfigError(issues, 'score input');
  return feeds;
}

async function scoreRanker(spec: RankerSpec, input: ScoreInput, session: Session, maxSlots: number): Promise<Float32Array> {
  const f = spec.base.inputSize;
  const offsets = input.queryOffsets;
  const nDocs = offsets.length > 0 ? offsets[offsets.length - 1] : 0;
  if (input.features.length !== nDocs * f) {
    throw new ConfigError([{ path: 'features', value: input.features.length, expected: `${nDocs} × ${f} values` }], 'score input');
  }
  const cond = conditioningFeeds(spec, input);
  const out = new Float32Array(nDocs);
  if (nDocs === 0) return out;
  if (inferenceLayout(spec) === 'rows') {
    for (let r0 = 0; r0 < nDocs; r0 += maxSlots) {
      const r1 = Math.min(nDocs, r0 + maxSlots);
      const res = await session.run({ ...cond, features: f32(input.features.subarray(r0 * f, r1 * f), [r1 - r0, f]) });
      out.set(res.scores.data as Float32Array, r0);
    }
    return out;
  }
  // lists: longest queries first, packed while B·Nmax stays within maxSlots
  const nQ = offsets.length - 1;
  const order = Array.from({ length: nQ }, (_, q) => q).sort((a, b) => offsets[b + 1] - offsets[b] - (offsets[a + 1] - offsets[a]) || a - b);
  let i = 0;
  while (i < nQ) {
    const n = Math.max(1, offsets[order[i] + 1] - offsets[order[i]]);
    const bCount = Math.max(1, Math.min(nQ - i, Math.floor(maxSlots / n)));
    const chunk = order.slice(i, i + bCount);
    i += bCount;
    const feats = new Float32Array(bCount * n * f);
    const mask = new Float32Array(bCount * n);
    chunk.forEach((q, b) => {
      const len = offsets[q + 1] - offsets[q];
      feats.set(input.features.subarray(offsets[q] * f, offsets[q + 1] * f), b * n * f);
      mask.fill(1, b * n, b * n + len);
    });
    const res = await session.run({ ...cond, features: f32(feats, [bCount, n, f]), mask: f32(mask, [bCount, n]) });
    const s = res.scores.data as Float32Array;
    chunk.forEach((q, b) => out.set(s.subarray(b * n, b * n + offsets[q + 1] - offsets[q]), offsets[q]));
  }
  return out;
}

const copyParams = (p: Parameters): Parameters =>
  Object.fromEntries(Object.entries(p).map(([k, t]) => [k, { shape: t.shape.slice(), data: Float32Array.from(t.data) }]));

class OnnxTrainSession implements TrainSession {
  private params: Parameters;
  private m: Parameters = {};
  private v: Parameters = {};
  private stepCount = 0;
  private readonly rng: Rng;
  private readonly scorer: ScorerSpec;
  private readonly cm: number;
  private readonly sessions = new Map<string, Promise<{ session: Session; layout: TrainGraphLayout }>>();

  constructor(
    private readonly options: TrainSessionOptions,
    private readonly open: (bytes: Uint8Array) => Promise<Session>,
  ) {
    const { spec, params, target, loss } = options;
    checkRanker(spec, params);
    const issues: ConfigIssue[] = [];
    if (target === 'cos' && !spec.cos) issues.push({ path: 'target', value: target, expected: "'base' (the spec has no cos network)" });
    if (target === 'base' && loss.kind === 'lipo') issues.push({ path: 'loss.kind', value: loss.kind, expected: "'listnet' or 'listmle' for target 'base'" });
    this.cm = spec.cos ? spec.cos.net.conditioning.weights : 0;
    if (loss.kind === 'lipo' && loss.targets.length !== this.cm) issues.push({ path: 'loss.targets', value: loss.targets, expected: `${this.cm} entries (one per auxiliary objective)` });
    if (issues.length > 0) throw new ConfigError(issues, 'onnx train session');
    this.scorer = trainedScorer(spec, target);
    this.params = copyParams((target === 'base' ? params.base : params.cos) as Parameters);
    for (const [name, t] of Object.entries(this.params)) {
      this.m[name] = { shape: t.shape.slice(), data: new Float32Array(t.data.length) };
      this.v[name] = { shape: t.shape.slice(), data: new Float32Array(t.data.length) };
    }
    this.rng = new Rng(options.seed);
  }

  private graph(mode: 'step' | 'loss', batch: ListBatch) {
    const key = `${mode}:${batch.batchSize}x${batch.listSize}`;
    let s = this.sessions.get(key);
    if (s === undefined) {
      const o = this.options;
      const layout = buildTrainGraph({
        spec: o.spec,
        target: o.target,
        loss: o.loss,
        optimizer: o.optimizer,
        frozen: o.target === 'cos' ? o.params.base : null,
        batchSize: batch.batchSize,
        listSize: batch.listSize,
        conditioningLength: this.cm,
        mode,
        dropout: this.scorer.dropout,
      });
      s = this.open(layout.graph.toModel()).then((session) => ({ session, layout }));
      this.sessions.set(key, s);
    }
    return s;
  }

  private batchFeeds(batch: ListBatch, layout: TrainGraphLayout): Feeds {
    const { batchSize: B, listSize: N } = batch;
    const f = this.options.spec.base.inputSize;
    const issues: ConfigIssue[] = [];
    if (batch.inputSize !== f || batch.features.length !== B * N * f) issues.push({ path: 'batch.features', value: batch.features.length, expected: `${B} × ${N} × ${f} values` });
    if (batch.mask.length !== B * N) issues.push({ path: 'batch.mask', value: batch.mask.length, expected: `${B * N} values` });
    if (batch.labels.length < layout.labelCount || batch.labels.some((l) => l.length !== B * N)) issues.push({ path: 'batch.labels', value: batch.labels.length, expected: `${layout.labelCount} arrays of ${B * N} values` });
    const m = this.cm;
    if (layout.needsW && (batch.weights === undefined || batch.weights.length !== B * m)) issues.push({ path: 'batch.weights', value: batch.weights?.length, expected: `${B} × ${m} values` });
    if (layout.needsBeta && batch.beta !== undefined && batch.beta.length !== B * m) issues.push({ path: 'batch.beta', value: batch.beta.length, expected: `${B} × ${m} values` });
    if (issues.length > 0) throw new ConfigError(issues, 'list batch');
    const feeds: Feeds = {
      features: f32(batch.features, [B, N, f]),
      mask: f32(Float32Array.from(batch.mask), [B, N]),
    };
    for (let j = 0; j < layout.labelCount; j++) feeds[`label.${j}`] = f32(batch.labels[j], [B, N]);
    if (layout.needsW) feeds.w = f32(batch.weights as Float32Array, [B, m]);
    if (layout.needsBeta) feeds.beta = f32(batch.beta ?? new Float32Array(B * m).fill(1), [B, m]);
    if (layout.needsPerm) feeds.perm = new ort.Tensor('int64', listmlePermutation(batch.labels[0], batch.mask, B, N), [B, N]);
    for (const name of layout.paramNames) feeds[`p.${name}`] = f32(this.params[name].data, this.params[name].shape);
    return feeds;
  }

  async step(batch: ListBatch): Promise<number> {
    const { session, layout } = await this.graph('step', batch);
    const feeds = this.batchFeeds(batch, layout);
    const p = this.scorer.dropout;
    layout.dropoutShapes.forEach((shape, k) => {
      const mult = new Float32Array(shape.reduce((a, b) => a * b, 1));
      const threshold = p * 4294967296;
      const keep = 1 / (1 - p);
      for (let i = 0; i < mult.length; i++) mult[i] = this.rng.nextUint32() < threshold ? 0 : keep;
      feeds[`drop.${k}`] = f32(mult, shape);
    });
    for (const name of layout.trainableNames) {
      feeds[`m.${name}`] = f32(this.m[name].data, this.m[name].shape);
      feeds[`v.${name}`] = f32(this.v[name].data, this.v[name].shape);
    }
    feeds.step = f32(Float32Array.of(this.stepCount + 1), []);
    const out = await session.run(feeds);
    this.stepCount += 1;
    for (const name of layout.trainableNames) {
      this.params[name].data = out[`new.p.${name}`].data as Float32Array;
      this.m[name].data = out[`new.m.${name}`].data as Float32Array;
      this.v[name].data = out[`new.v.${name}`].data as Float32Array;
    }
    return (out.loss.data as Float32Array)[0];
  }

  async evaluateLoss(batch: ListBatch): Promise<number> {
    const { session, layout } = await this.graph('loss', batch);
    const out = await session.run(this.batchFeeds(batch, layout));
    return (out.loss.data as Float32Array)[0];
  }

  parameters(): Parameters {
    return copyParams(this.params);
  }

  optimizerState(): OptimizerState {
    const trainable = (p: Parameters) => Object.fromEntries(Object.entries(p).filter(([k]) => isTrainable(k)));
    return { step: this.stepCount, m: copyParams(trainable(this.m)), v: copyParams(trainable(this.v)) };
  }

  restore(params: Parameters, state: OptimizerState): void {
    const issues: ConfigIssue[] = [];
    for (const [name, t] of Object.entries(this.params)) {
      const src = params[name];
      if (src === undefined || src.data.length !== t.data.length) issues.push({ path: `params.${name}`, value: src?.shape, expected: `shape [${t.shape.join(', ')}]` });
      if (isTrainable(name) && (state.m[name]?.data.length !== t.data.length || state.v[name]?.data.length !== t.data.length)) {
        issues.push({ path: `state.${name}`, value: undefined, expected: 'Adam moments of the same shape' });
      }
    }
    if (issues.length > 0) throw new ConfigError(issues, 'restore');
    for (const name of Object.keys(this.params)) {
      this.params[name].data = Float32Array.from(params[name].data);
      if (!isTrainable(name)) continue;
      this.m[name].data = Float32Array.from(state.m[name].data);
      this.v[name].data = Float32Array.from(state.v[name].data);
    }
    this.stepCount = state.step;
  }

  dispose(): void {
    for (const s of this.sessions.values()) void s.then(({ session }) => session.release());
    this.sessions.clear();
  }
}
