/**
 * One baseline training job: an UNCONDITIONED network (no w input) fine-tuned against frozen s0 for one
 * fixed trade-off w — a DPO-LS job (loss Σ_j w_j·L_j), a single-objective job (w = e_j) or an MO-DPO job
 * (the focus objective's LiPO loss on the margin r, see moDpo.ts). The job runs its whole step budget and
 * keeps its parameters at every validation of the common step grid (every `validateEvery` steps, plus
 * step 0 and the last step), so a METHOD can choose one step for all its jobs by the hypervolume of its
 * whole front (select.ts) instead of each job stopping on its own figure.
 *
 * Seeds: every job of a run starts from the same initial network and sees the same batch order (drawn
 * from a baseline stream mixed from the run seed, distinct from the COS stage's), so the single-objective
 * models share their initialisation, which parameter mixing (DPO Soup) relies on.
 */
import type { RankingDataset } from '../../data/dataset';
import type { Engine, ListBatch } from '../../engine/engine';
import { evaluateObjectives, type MetricOptions } from '../../eval/metrics';
import type { RankerParameters } from '../../model/rankerParameters';
import { initParameters, type Parameters, type RankerSpec } from '../../model/spec';
import type { ProgressCallback } from '../../util/progress';
import { Rng } from '../../util/rng';
import { BatchStream, perListWeights, type BatchStreamState } from '../batching';
import { scorerSpecOf, stageSteps, type CosConfig } from '../config';
import { NonFiniteLossError, runTrainingLoop, type BatchSource, type LoopResult } from '../trainer';

/** Mixes the run seed so baseline jobs never replay the COS stage's draws. */
const BASELINE_STREAM = 0x0ba5e11;

/** What every job of one run shares: s0, data, the COS stage settings and the seeds. */
export interface JobContext {
  engine: Engine;
  base: { spec: RankerSpec; params: RankerParameters };
  train: RankingDataset;
  validation: RankingDataset;
  cos: CosConfig;
  seed: number;
  targets: ('sparse' | 'dense')[];
  metric: MetricOptions & { k: number };
  onProgress?: ProgressCallback;
}

/** The MO-DPO part of a job: focus objective, scale 1/w_i and the offset per TRAINING document. */
export interface JobMargin {
  focus: number;
  scale: number;
  offset: Float32Array;
}

export interface JobSnapshot {
  step: number;
  params: Parameters;
  /** Validation NDCG@k of every objective (main first) of this job's model. */
  ndcg: number[];
}

export interface JobResult {
  weights: number[];
  spec: RankerSpec;
  snapshots: JobSnapshot[];
  /** Optimiser time (wall time of the loop minus validation) and validation time. */
  trainSeconds: number;
  validationSeconds: number;
  steps: number;
  /** Mean training loss per validation interval (instabilities show here). */
  losses: number[];
  /** Set when the loss became non-finite: the job stopped there and keeps the snapshots before it. */
  failure?: string;
}

export function auxiliaryCount(ds: RankingDataset): number {
  return ds.labels.length - 1;
}

/** The spec of a baseline ranker: s0 plus an unconditioned augmentation/scratch network. */
export function baselineSpec(ctx: JobContext): RankerSpec {
  const net = scorerSpecOf(ctx.cos.net, ctx.train.nFeatures, { weights: 0, beta: false });
  return { base: ctx.base.spec.base, cos: { net, parametrisation: ctx.cos.parametrisation, temperature: false } };
}

function seeds(seed: number): { init: number; batches: number; session: number } {
  const master = new Rng((seed ^ BASELINE_STREAM) >>> 0);
  return { init: master.nextUint32(), batches: master.nextUint32(), session: master.nextUint32() };
}

/** The shared initial network of every baseline job of a run (input normalisation copied from s0). */
function initialNet(ctx: JobContext, spec: RankerSpec): Parameters {
  const netSpec = (spec.cos as NonNullable<RankerSpec['cos']>).net;
  const net = initParameters(netSpec, new Rng(seeds(ctx.seed).init), ctx.cos.parametrisation === 'augment' ? 0 : 1);
  for (const name of ['input.mean', 'input.scale']) {
    const t = ctx.base.params.base[name];
    net[name] = { shape: [...t.shape], data: t.data.slice() };
  }
  return net;
}

/** Batches with the job's constant loss weights and temperatures and, for MO-DPO, the margin offset. */
class JobBatches implements BatchSource {
  constructor(
    private readonly stream: BatchStream,
    private readonly weights: Float32Array,
    private readonly beta: Float32Array,
    private readonly withMargin: boolean,
  ) {}

  next(): ListBatch {
    const batch = this.stream.next();
    const row = { w: this.weights, beta: this.beta };
    const { weights, beta } = perListWeights(batch.batchSize, this.weights.length, () => row);
    if (!this.withMargin) return { ...batch, weights, beta };
    // the offset travels as the last label column (so slate cuts keep it aligned with its documents)
    const labels = batch.labels.slice(0, -1);
    return { ...batch, labels, weights, beta, margin: batch.labels[batch.labels.length - 1] };
  }

  getState(): BatchStreamState {
    return this.stream.getState();
  }

  setState(state: unknown): void {
    this.stream.setState(state as BatchStreamState);
  }
}

/** Validation NDCG@k of every objective of a fixed (unconditioned) ranker. */
export async function fixedRankerNdcg(engine: Engine, spec: RankerSpec, params: RankerParameters, ds: RankingDataset, metric: MetricOptions): Promise<number[]> {
  const scores = await engine.score(spec, params, { features: ds.features, queryOffsets: ds.queryOffsets });
  return evaluateObjectives(scores, ds, { ...metric, metrics: ['ndcg'] }).map((o) => o.mean);
}

/**
 * Trains one job at trade-off `weights` for the full step budget of `ctx.cos`, keeping a snapshot at
 * every validation. With `margin` the job is MO-DPO's: loss weights e_focus, temperature β_focus·scale
 * and the offset subtracted from Δ inside the softmax.
 */
export async function trainFixedJob(ctx: JobContext, weights: number[], label: string, margin?: JobMargin): Promise<JobResult> {
  const m = auxiliaryCount(ctx.train);
  const spec = baselineSpec(ctx);
  const s = seeds(ctx.seed);
  const beta = Float32Array.from(ctx.cos.beta ?? new Array<number>(m).fill(1));
  let lossWeights = Float32Array.from(weights);
  let data = ctx.train;
  const labelColumns = Array.from({ length: m }, (_, j) => j + 1);
  if (margin) {
    lossWeights = Float32Array.from({ length: m }, (_, j) => (j === margin.focus ? 1 : 0));
    beta[margin.focus] *= margin.scale;
    data = { ...ctx.train, labels: [...ctx.train.labels, margin.offset], labelNames: [...ctx.train.labelNames, 'mo-dpo margin'] };
    labelColumns.push(m + 1);
  }
  const stream = new BatchStream(data, { listsPerBatch: ctx.cos.listsPerBatch, slateLength: ctx.cos.slateLength, labelColumns }, new Rng(s.batches));
  const totalSteps = stageSteps(ctx.cos, stream.batchesPerEpoch);
  const snapshots: JobSnapshot[] = [];
  const session = await ctx.engine.createTrainSession({
    spec,
    params: { base: ctx.base.params.base, cos: initialNet(ctx, spec) },
    target: 'cos',
    loss: { kind: 'lipo', targets: ctx.targets, lambda: 0, ...(margin ? { margin: true } : {}) },
    optimizer: ctx.cos.optimizer,
    seed: s.session,
  });
  const started = Date.now();
  let validationMs = 0;
  const stepOf = (i: number) => (i === 0 ? 0 : Math.min(i * ctx.cos.validateEvery, totalSteps));
  const onProgress = ctx.onProgress;
  try {
    let result: LoopResult | null = null;
    let failure: string | undefined;
    try {
      result = await runTrainingLoop({
        stage: 'train-cos',
        session,
        batches: new JobBatches(stream, lossWeights, beta, margin !== undefined),
        totalSteps,
        validateEvery: ctx.cos.validateEvery,
        patience: 0,
        figureName: 'weighted auxiliary NDCG',
        validate: async (params) => {
          const t0 = Date.now();
          const ndcg = await fixedRankerNdcg(ctx.engine, spec, { base: ctx.base.params.base, cos: params }, ctx.validation, ctx.metric);
          snapshots.push({ step: stepOf(snapshots.length), params, ndcg });
          validationMs += Date.now() - t0;
          const figure = weights.reduce((a, w, j) => a + w * ndcg[j + 1], 0);
          return { figure, metrics: { 'weighted auxiliary NDCG': figure } };
        },
        onProgress: onProgress && ((e) => onProgress({ ...e, stage: label })),
      });
    } catch (err) {
      if (!(err instanceof NonFiniteLossError)) throw err;
      failure = `${label}: the loss became ${err.loss} at step ${err.step}; the job kept its snapshots up to step ${stepOf(snapshots.length - 1)}`;
    }
    const seconds = (Date.now() - started) / 1000;
    return {
      weights,
      spec,
      snapshots,
      trainSeconds: seconds - validationMs / 1000,
      validationSeconds: validationMs / 1000,
      steps: result?.steps ?? stepOf(snapshots.length - 1),
      losses: result ? result.history.slice(1).map((h) => h.loss ?? NaN) : [],
      ...(failure ? { failure } : {}),
    };
  } finally {
    session.dispose();
  }
}
