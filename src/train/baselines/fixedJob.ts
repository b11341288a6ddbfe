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
import type { TrainingLogEntry } from '../../eval/trainingLog';
import type { RankerParameters } from '../../model/rankerParameters';
import { initParameters, type Parameters, type RankerSpec } from '../../model/spec';
import { datasetHash, parametersHash, sha256, sha256Json } from '../../util/hash';
import type { ProgressCallback } from '../../util/progress';
import { Rng } from '../../util/rng';
import { BatchStream, perListWeights, type BatchStreamState } from '../batching';
import { frozenBaseScores } from '../frozenBase';
import { scorerSpecOf, stageSteps, type CosConfig } from '../config';
import { NonFiniteLossError, runTrainingLoop, type BatchSource, type LoopResult } from '../trainer';
import { JobStore, type JobCheckpointOptions, type JobProgress, type JobSnapshot } from './jobRecord';

export type { JobCheckpointOptions, JobSnapshot } from './jobRecord';

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
  /** Job records and loop checkpoints (jobRecord.ts): finished jobs are loaded, an unfinished one resumed. */
  checkpoint?: JobCheckpointOptions;
  /** Cancels the running job (the loop throws TrainingAbortedError; its last checkpoint is kept). */
  signal?: AbortSignal;
}

/** The MO-DPO part of a job: focus objective, scale 1/w_i and the offset per TRAINING document. */
export interface JobMargin {
  focus: number;
  scale: number;
  offset: Float32Array;
}

export interface JobResult {
  weights: number[];
  spec: RankerSpec;
  snapshots: JobSnapshot[];
  /** Optimiser time (wall time of the loop minus validation) and validation time. */
  trainSeconds: number;
  validationSeconds: number;
  steps: number;
  /** Whether early stopping (`JobOptions.patience`) ended the job before its budget. */
  stoppedEarly: boolean;
  /** Mean training loss per validation interval (instabilities show here). */
  losses: number[];
  /** One entry per validation (the loop's log; empty after a failure). */
  history: TrainingLogEntry[];
  /** The loop step this process resumed the job from (null: trained from the start, or loaded finished). */
  resumedFrom: number | null;
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


/** The options of one job. */
export interface JobOptions {
  /** MO-DPO: the focus objective, 1/w_i and the offset (moDpo.ts). */
  margin?: JobMargin;
  /**
   * Early stopping on the job's own w-weighted validation NDCG (earlyStopping.ts); 0 (default) runs the
   * whole budget, as the methods' common step grid needs.
   */
  patience?: number;
}

const contextHashes = new WeakMap<JobContext, string>();

/** Everything in a run's context that determines a job's weights (hashed once per context). */
function contextHash(ctx: JobContext): string {
  let h = contextHashes.get(ctx);
  if (h === undefined) {
    const { engine, base, train, validation, cos, seed, targets, metric } = ctx;
    h = sha256Json({ engine: engine.name, baseSpec: base.spec.base, base: parametersHash(base.params.base), train: datasetHash(train), validation: datasetHash(validation), cos, seed, targets, metric });
    contextHashes.set(ctx, h);
  }
  return h;
}

/** The name of a job's record: its context, trade-off, patience and MO-DPO margin. */
function jobHash(ctx: JobContext, weights: number[], options: JobOptions): string {
  const m = options.margin;
  const margin = m ? { focus: m.focus, scale: m.scale, offset: sha256(m.offset) } : null;
  return sha256Json({ job: 'baseline', version: 1, context: contextHash(ctx), weights, patience: options.patience ?? 0, margin });
}

/** A job's network, loss weights, temperatures and batches. */
interface JobSetup {
  spec: RankerSpec;
  batches: JobBatches;
  totalSteps: number;
  stepOf: (validation: number) => number;
}

function setUpJob(ctx: JobContext, weights: number[], s0: Float32Array | null, margin?: JobMargin): JobSetup {
  const m = auxiliaryCount(ctx.train);
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
  const stream = new BatchStream(data, { listsPerBatch: ctx.cos.listsPerBatch, slateLength: ctx.cos.slateLength, labelColumns, s0: s0 ?? undefined }, new Rng(seeds(ctx.seed).batches));
  const totalSteps = stageSteps(ctx.cos, stream.batchesPerEpoch);
  const stepOf = (i: number) => (i === 0 ? 0 : Math.min(i * ctx.cos.validateEvery, totalSteps));
  return { spec: baselineSpec(ctx), batches: new JobBatches(stream, lossWeights, beta, margin !== undefined), totalSteps, stepOf };
}

function jobResult(weights: number[], spec: RankerSpec, p: JobProgress, done: NonNullable<JobProgress['done']>, resumedFrom: number | null): JobResult {
  return {
    weights,
    spec,
    snapshots: p.snapshots,
    trainSeconds: p.trainSeconds,
    validationSeconds: p.validationSeconds,
    steps: done.steps,
    stoppedEarly: done.stoppedEarly === true,
    losses: done.history.slice(1).map((h) => h.loss ?? NaN),
    history: done.history,
    resumedFrom,
    ...(done.failure ? { failure: done.failure } : {}),
  };
}

/**
 * Trains one job at trade-off `weights` for the step budget of `ctx.cos`, keeping a snapshot at every
 * validation. With `options.margin` the job is MO-DPO's: loss weights e_focus, temperature β_focus·scale
 * and the offset subtracted from Δ inside the softmax. With `ctx.checkpoint` a job an earlier run finished
 * is loaded from its record, and an unfinished one continues from its last loop checkpoint.
 */
export async function trainFixedJob(ctx: JobContext, weights: number[], label: string, options: JobOptions = {}): Promise<JobResult> {
  // s0 is frozen: its scores of the training documents are gathered into the batches (frozenBase.ts)
  const job = setUpJob(ctx, weights, await frozenBaseScores(ctx.engine, ctx.base, ctx.train, ctx.cos.slateLength), options.margin);
  const store = ctx.checkpoint ? new JobStore(ctx.checkpoint, jobHash(ctx, weights, options)) : null;
  const finished = store ? await store.finished() : null;
  if (store && finished?.done) {
    ctx.onProgress?.({ stage: label, done: finished.done.steps, total: job.totalSteps, message: `${label}: the finished job recorded in ${store.dir}` });
    return jobResult(weights, job.spec, finished, finished.done, null);
  }
  const earlier = store ? await store.resumable(job.stepOf) : null;
  const progress: JobProgress = { snapshots: earlier?.snapshots ?? [], trainSeconds: earlier?.trainSeconds ?? 0, validationSeconds: earlier?.validationSeconds ?? 0 };
  const { done, resumedFrom } = await runJob(ctx, job, { weights, label, options, store, progress, resume: earlier !== null });
  await store?.write({ ...progress, done });
  return jobResult(weights, job.spec, progress, done, resumedFrom);
}

/** Runs the job's training loop from `progress` (fresh or resumed); updates its snapshots and seconds. */
async function runJob(
  ctx: JobContext,
  job: JobSetup,
  run: { weights: number[]; label: string; options: JobOptions; store: JobStore | null; progress: JobProgress; resume: boolean },
): Promise<{ done: NonNullable<JobProgress['done']>; resumedFrom: number | null }> {
  const { weights, label, store, progress } = run;
  const s = seeds(ctx.seed);
  const session = await ctx.engine.createTrainSession({
    spec: job.spec,
    params: { base: ctx.base.params.base, cos: initialNet(ctx, job.spec) },
    target: 'cos',
    loss: { kind: 'lipo', targets: ctx.targets, lambda: 0, ...(run.options.margin ? { margin: true } : {}) },
    optimizer: ctx.cos.optimizer,
    seed: s.session,
  });
  const started = Date.now();
  const before = { train: progress.trainSeconds, validation: progress.validationSeconds };
  let validationMs = 0;
  let recordMs = 0;
  // optimiser seconds so far: wall time less validation and record writing (and the loop's checkpoints)
  const account = (checkpointSeconds = 0) => {
    progress.validationSeconds = before.validation + validationMs / 1000;
    progress.trainSeconds = before.train + (Date.now() - started - validationMs - recordMs) / 1000 - checkpointSeconds;
  };
  const onProgress = ctx.onProgress;
  try {
    let result: LoopResult | null = null;
    let failure: string | undefined;
    try {
      result = await runTrainingLoop({
        stage: 'train-cos',
        session,
        batches: job.batches,
        totalSteps: job.totalSteps,
        validateEvery: ctx.cos.validateEvery,
        patience: run.options.patience ?? 0,
        figureName: 'weighted auxiliary NDCG',
        validate: async (params) => {
          const t0 = Date.now();
          const step = job.stepOf(progress.snapshots.length);
          const ndcg = await fixedRankerNdcg(ctx.engine, job.spec, { base: ctx.base.params.base, cos: params }, ctx.validation, ctx.metric);
          progress.snapshots.push({ step, params, ndcg });
          validationMs += Date.now() - t0;
          if (store?.recordDue(step, ctx.cos.validateEvery)) {
            const t1 = Date.now();
            account();
            await store.write(progress);
            recordMs += Date.now() - t1;
          }
          const figure = weights.reduce((a, w, j) => a + w * ndcg[j + 1], 0);
          return { figure, metrics: { 'weighted auxiliary NDCG': figure } };
        },
        ...(store && store.options.every > 0 ? { checkpoint: { dir: store.loopDir, every: store.options.every, configHash: store.hash, resume: run.resume } } : {}),
        onProgress: onProgress && ((e) => onProgress({ ...e, stage: label })),
        signal: ctx.signal,
      });
    } catch (err) {
      if (!(err instanceof NonFiniteLossError)) throw err;
      const kept = job.stepOf(progress.snapshots.length - 1);
      failure = `${label}: the loss became ${err.loss} at step ${err.step}; the job kept its snapshots up to step ${kept}`;
    }
    account(result?.phases.checkpoint ?? 0);
    const steps = result?.steps ?? job.stepOf(progress.snapshots.length - 1);
    const done = { steps, stoppedEarly: result?.stoppedEarly === true, history: result?.history ?? [], ...(failure ? { failure } : {}) };
    return { done, resumedFrom: result?.resumedFrom ?? null };
  } finally {
    session.dispose();
  }
}
