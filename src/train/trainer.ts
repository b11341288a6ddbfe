/**
 * The training loop shared by base and COS training: steps, periodic validation with early stopping
 * (the BEST parameters are kept, not the last), progress events, atomic checkpoints and exact resume.
 *
 * Determinism: every random draw of a run comes from generators saved in the checkpoint (the batch
 * stream's and the trade-off sampler's), validation draws nothing, and the engine session is restored
 * with its parameters and optimizer state, so a resumed run produces bit-identical weights to an
 * uninterrupted one with the same seed (dropout 0; with dropout the engine's mask stream must be
 * step-derived for this to hold).
 *
 * Order within step t (1-based): batch → optimizer step (batch t+1 drawn while it runs, unless a checkpoint
 * follows step t) → loss check → validation if `t % validateEvery == 0` or t is the last step → checkpoint if
 * `t % every == 0` → progress.
 * Validation also runs once before the first step, so "no training" competes as the best.
 * Stopping follows earlyStopping.ts: `patience` validations without a new best 3-validation moving average
 * of the figure (noise-robust); the parameters kept are those of the best raw figure.
 */
import type { ListBatch, TrainSession } from '../engine/engine';
import type { TrainingLogEntry } from '../eval/trainingLog';
import type { Parameters } from '../model/spec';
import { noProgress, type ProgressCallback } from '../util/progress';
import type { RngState } from '../util/rng';
import { readCheckpoint, writeCheckpoint, checkpointPath } from './checkpoint';
import { initialStoppingState, observeFigure, type StoppingState } from './earlyStopping';

/** A resumable source of training batches. */
export interface BatchSource {
  next(): ListBatch;
  getState(): unknown;
  setState(state: unknown): void;
}

/** One validation: the figure early stopping maximises, and figures reported beside it. */
export interface Validation {
  figure: number;
  metrics: Record<string, number>;
}

/** The loss of a step was NaN or ±Inf: training stops; the last checkpoint (if any) is left as it was. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly stage: string,
    readonly step: number,
    readonly loss: number,
    readonly lastCheckpointStep: number | null,
  ) {
    super(
      `${stage}: the loss became ${loss} at step ${step}; training stopped` +
        (lastCheckpointStep === null ? ' (no checkpoint was written)' : ` (the last good checkpoint, step ${lastCheckpointStep}, is kept)`) +
        '. Lower the learning rate or check the inputs for infinite values.',
    );
    this.name = 'NonFiniteLossError';
  }
}

/** The run was cancelled through its AbortSignal; the last checkpoint is kept. */
export class TrainingAbortedError extends Error {
  constructor(
    readonly stage: string,
    readonly step: number,
  ) {
    super(`${stage}: aborted after step ${step}`);
    this.name = 'TrainingAbortedError';
  }
}

export interface CheckpointOptions {
  dir: string;
  /** Write every this many steps (0 = never). */
  every: number;
  /** Hash of config + data; a checkpoint with another hash is refused. */
  configHash: string;
  /** Continue from `<dir>/checkpoint.bin` when it exists. */
  resume: boolean;
}

export interface LoopOptions {
  stage: 'train-base' | 'train-cos';
  session: TrainSession;
  batches: BatchSource;
  totalSteps: number;
  validateEvery: number;
  /** Validations without a new best smoothed figure before stopping (earlyStopping.ts); 0 = never stop early. */
  patience: number;
  /** Name of the early-stopping figure in progress events, e.g. `ndcg@10`. */
  figureName: string;
  validate(params: Parameters): Promise<Validation>;
  checkpoint?: CheckpointOptions;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
  /**
   * Draw batch t+1 while step t is in flight (default true): it overlaps the engine's work on other threads
   * (data-parallel parts on worker threads); the batches and the numbers are the same either way.
   */
  prefetch?: boolean;
}

export interface LoopResult {
  /** Parameters at the best validation, the step they were taken at and their figures. */
  best: { step: number; figure: number; metrics: Record<string, number>; params: Parameters };
  /** Steps actually run (≤ totalSteps when stopped early). */
  steps: number;
  stoppedEarly: boolean;
  /** One entry per validation: mean training loss since the previous one, and the validation figures. */
  history: TrainingLogEntry[];
  /** Wall time of this process's part of the run, and the step it resumed from (null = fresh start). */
  seconds: number;
  /** The part of `seconds` spent in `validate` (so seconds − validationSeconds is the optimiser's share). */
  validationSeconds: number;
  /** Where the wall time went (seconds per part of the loop). */
  phases: LoopPhases;
  resumedFrom: number | null;
}

interface Best {
  step: number;
  figure: number;
  metrics: Record<string, number>;
  params: Parameters;
}

interface LoopState {
  batches: unknown;
  best: Omit<Best, 'params'> | null;
  sinceBest: number;
  /** The early-stopping rule's memory (absent in checkpoints written before the smoothed rule). */
  stopping?: StoppingState;
  history: TrainingLogEntry[];
  lossSum: number;
  lossCount: number;
}

function improves(figure: number, best: Best | null): boolean {
  if (best === null) return true;
  if (Number.isNaN(best.figure)) return !Number.isNaN(figure);
  return figure > best.figure;
}

function allFinite(params: Parameters): string | null {
  for (const [name, t] of Object.entries(params)) {
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i])) return name;
  }
  return null;
}

/** Wall time of a loop's parts, in seconds (the loop's own profile; the engine's step is one part). */
export interface LoopPhases {
  /** `batches.next()`: batch assembly. */
  batch: number;
  /** `session.step()`: transfer, engine and optimiser. */
  step: number;
  validation: number;
  checkpoint: number;
  /** Everything else: loss checks, progress events, the loop itself. */
  bookkeeping: number;
}

/** Runs the loop; see the module comment for the order of events and the resume guarantee. */
export async function runTrainingLoop(o: LoopOptions): Promise<LoopResult> {
  const run = new LoopRun(o);
  await run.start();
  while (run.step < o.totalSteps && !run.stoppedEarly) await run.next();
  return run.result();
}

/** The state of one run of the training loop, advanced one step at a time by `runTrainingLoop`. */
class LoopRun {
  step = 0;
  stoppedEarly = false;
  private best: Best | null = null;
  private sinceBest = 0;
  private stopping: StoppingState = initialStoppingState();
  private history: TrainingLogEntry[] = [];
  private lossSum = 0;
  private lossCount = 0;
  private lastCheckpoint: number | null = null;
  private resumedFrom: number | null = null;
  private lastFigure = NaN;
  private stepsThisRun = 0;
  private readonly started = Date.now();
  private readonly startedAt = performance.now();
  private readonly phases: LoopPhases = { batch: 0, step: 0, validation: 0, checkpoint: 0, bookkeeping: 0 };
  private readonly onProgress: ProgressCallback;
  /** The next step's batch, drawn while the current step ran (null: draw it when needed). */
  private prefetched: ListBatch | null = null;

  constructor(private readonly o: LoopOptions) {
    this.onProgress = o.onProgress ?? noProgress;
  }

  /** Times `fn` into `phase`. */
  private async timed<T>(phase: keyof LoopPhases, fn: () => Promise<T> | T): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      this.phases[phase] += (performance.now() - t0) / 1000;
    }
  }

  private validate(params: Parameters): Promise<Validation> {
    return this.timed('validation', () => this.o.validate(params));
  }

  /** Resumes from the checkpoint when asked and present; otherwise validates the starting parameters. */
  async start(): Promise<void> {
    const { o } = this;
    const ck = o.checkpoint;
    const saved = ck?.resume ? await readCheckpoint(ck.dir) : null;
    if (saved && ck) {
      if (saved.stage !== o.stage || saved.configHash !== ck.configHash) {
        throw new Error(
          `${checkpointPath(ck.dir)} belongs to another run (stage ${saved.stage}, config hash ${saved.configHash.slice(0, 12)}…; ` +
            `this run: ${o.stage}, ${ck.configHash.slice(0, 12)}…). Delete it or use another checkpoint folder.`,
        );
      }
      const s = saved.state as unknown as LoopState;
      o.session.restore(saved.tensors.params, { step: saved.step, m: saved.tensors.m, v: saved.tensors.v, ...optimizerStateOf(saved.state) });
      o.batches.setState(s.batches);
      this.best = s.best ? { ...s.best, params: saved.tensors.best } : null;
      this.sinceBest = s.sinceBest;
      this.stopping = s.stopping ?? { recent: [], bestSmoothed: null, sinceBest: s.sinceBest };
      this.history = s.history;
      this.lossSum = s.lossSum;
      this.lossCount = s.lossCount;
      this.step = saved.step;
      this.resumedFrom = this.lastCheckpoint = saved.step;
      this.lastFigure = this.best?.figure ?? NaN;
      this.onProgress({ stage: o.stage, done: this.step, total: o.totalSteps, message: `resuming from the checkpoint at step ${this.step}` });
    } else {
      const v = await this.validate(o.session.parameters());
      this.best = { step: 0, figure: v.figure, metrics: v.metrics, params: o.session.parameters() };
      this.history.push({ step: 0, validation: v.metrics });
      this.lastFigure = v.figure;
      this.stopping = observeFigure(this.stopping, v.figure, o.patience).state;
    }
    this.stoppedEarly = this.stopping.sinceBest >= o.patience && o.patience > 0;
  }

  /** One step t: batch → optimizer step → loss check → validation if due → checkpoint if due → progress. */
  async next(): Promise<void> {
    const { o } = this;
    if (o.signal?.aborted) throw new TrainingAbortedError(o.stage, this.step);
    const batch = this.prefetched ?? (await this.timed('batch', () => o.batches.next()));
    this.prefetched = null;
    const t0 = performance.now();
    const stepping = o.session.step(batch);
    // the next batch while this step runs, unless a checkpoint after this step must save the stream before it
    // (or there is no next step); the stream is drawn in the same order either way
    const t = this.step + 1;
    const checkpointDue = o.checkpoint !== undefined && o.checkpoint.every > 0 && t % o.checkpoint.every === 0;
    if (o.prefetch !== false && !checkpointDue && t < o.totalSteps) {
      const b0 = performance.now();
      try {
        this.prefetched = o.batches.next();
      } catch (err) {
        await stepping.catch(() => undefined); // the step's own failure, if any, is not left unhandled
        throw err;
      } finally {
        this.phases.batch += (performance.now() - b0) / 1000;
        this.phases.step -= (performance.now() - b0) / 1000;
      }
    }
    const loss = await stepping;
    this.phases.step += (performance.now() - t0) / 1000;
    this.step++;
    this.stepsThisRun++;
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(o.stage, this.step, loss, this.lastCheckpoint);
    this.lossSum += loss;
    this.lossCount++;
    if (this.step % o.validateEvery === 0 || this.step === o.totalSteps) await this.validateStep();
    if (o.checkpoint && o.checkpoint.every > 0 && this.step % o.checkpoint.every === 0) await this.timed('checkpoint', () => this.writeCheckpoint(o.checkpoint as CheckpointOptions));
    const seconds = (Date.now() - this.started) / 1000;
    this.onProgress({
      stage: o.stage,
      done: this.step,
      total: o.totalSteps,
      info: { loss, 'steps/s': seconds > 0 ? this.stepsThisRun / seconds : 0, [o.figureName]: this.lastFigure },
    });
  }

  /** Validates the current parameters, records the figures and updates the best and early stopping. */
  private async validateStep(): Promise<void> {
    const { o } = this;
    const params = o.session.parameters();
    const v = await this.validate(params);
    this.history.push({ step: this.step, loss: this.lossSum / this.lossCount, validation: v.metrics });
    this.lossSum = 0;
    this.lossCount = 0;
    this.lastFigure = v.figure;
    if (improves(v.figure, this.best)) {
      this.best = { step: this.step, figure: v.figure, metrics: v.metrics, params };
      this.sinceBest = 0;
    } else this.sinceBest++;
    // stop on the smoothed figure (earlyStopping.ts); the best RAW figure's parameters are kept
    const r = observeFigure(this.stopping, v.figure, o.patience);
    this.stopping = r.state;
    if (r.stop) this.stoppedEarly = true;
  }

  /** Writes the checkpoint of the current step (refusing non-finite parameters). */
  private async writeCheckpoint(ck: CheckpointOptions): Promise<void> {
    const { o, best } = this;
    const params = o.session.parameters();
    if (allFinite(params) !== null) throw new NonFiniteLossError(o.stage, this.step, NaN, this.lastCheckpoint);
    const opt = o.session.optimizerState();
    const state: LoopState = {
      batches: o.batches.getState(),
      best: best && { step: best.step, figure: best.figure, metrics: best.metrics },
      sinceBest: this.sinceBest,
      stopping: this.stopping,
      history: this.history,
      lossSum: this.lossSum,
      lossCount: this.lossCount,
    };
    await writeCheckpoint(ck.dir, {
      stage: o.stage,
      configHash: ck.configHash,
      step: this.step,
      state: { ...state, optimizerStep: opt.step, dropoutRng: opt.dropoutRng ?? null },
      tensors: { params, m: opt.m, v: opt.v, ...(best ? { best: best.params } : {}) },
    });
    this.lastCheckpoint = this.step;
  }

  result(): LoopResult {
    if (this.best === null) throw new Error(`${this.o.stage}: no validation was run`);
    const p = this.phases;
    return {
      best: this.best,
      steps: this.step,
      stoppedEarly: this.stoppedEarly,
      history: this.history,
      seconds: (Date.now() - this.started) / 1000,
      validationSeconds: this.phases.validation,
      phases: { ...p, bookkeeping: Math.max(0, (performance.now() - this.startedAt) / 1000 - p.batch - p.step - p.validation - p.checkpoint) },
      resumedFrom: this.resumedFrom,
    };
  }
}

/**
 * The optimizer's own step count (saved beside the loop step: they differ only if a session counts
 * differently) and the session's dropout generator, as a checkpoint's JSON state holds them.
 */
function optimizerStateOf(state: Record<string, unknown>): { step?: number; dropoutRng?: RngState } {
  return {
    ...(typeof state.optimizerStep === 'number' ? { step: state.optimizerStep } : {}),
    ...(state.dropoutRng ? { dropoutRng: state.dropoutRng as RngState } : {}),
  };
}
