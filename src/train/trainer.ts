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
 * Order within step t (1-based): batch → optimizer step → loss check → validation if
 * `t % validateEvery == 0` or t is the last step → checkpoint if `t % every == 0` → progress.
 * Validation also runs once before the first step, so "no training" competes as the best.
 */
import type { ListBatch, TrainSession } from '../engine/engine';
import type { TrainingLogEntry } from '../eval/trainingLog';
import type { Parameters } from '../model/spec';
import { noProgress, type ProgressCallback } from '../util/progress';
import type { RngState } from '../util/rng';
import { readCheckpoint, writeCheckpoint, checkpointPath } from './checkpoint';

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
  /** Validations without improvement before stopping; 0 = never stop early. */
  patience: number;
  /** Name of the early-stopping figure in progress events, e.g. `ndcg@10`. */
  figureName: string;
  validate(params: Parameters): Promise<Validation>;
  checkpoint?: CheckpointOptions;
  onProgress?: ProgressCallback;
  signal?: AbortSignal;
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

/** Runs the loop; see the module comment for the order of events and the resume guarantee. */
export async function runTrainingLoop(o: LoopOptions): Promise<LoopResult> {
  const onProgress = o.onProgress ?? noProgress;
  const started = Date.now();
  let step = 0;
  let best: Best | null = null;
  let sinceBest = 0;
  let history: TrainingLogEntry[] = [];
  let lossSum = 0;
  let lossCount = 0;
  let lastCheckpoint: number | null = null;
  let resumedFrom: number | null = null;
  let lastFigure = NaN;
  let validationMs = 0;
  const validate = async (params: Parameters): Promise<Validation> => {
    const t0 = Date.now();
    try {
      return await o.validate(params);
    } finally {
      validationMs += Date.now() - t0;
    }
  };

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
    best = s.best ? { ...s.best, params: saved.tensors.best } : null;
    sinceBest = s.sinceBest;
    history = s.history;
    lossSum = s.lossSum;
    lossCount = s.lossCount;
    step = saved.step;
    resumedFrom = lastCheckpoint = saved.step;
    lastFigure = best?.figure ?? NaN;
    onProgress({ stage: o.stage, done: step, total: o.totalSteps, message: `resuming from the checkpoint at step ${step}` });
  } else {
    const v = await validate(o.session.parameters());
    best = { step: 0, figure: v.figure, metrics: v.metrics, params: o.session.parameters() };
    history.push({ step: 0, validation: v.metrics });
    lastFigure = v.figure;
  }

  const validationDue = (t: number) => t % o.validateEvery === 0 || t === o.totalSteps;
  let stoppedEarly = sinceBest >= o.patience && o.patience > 0;
  let stepsThisRun = 0;
  while (step < o.totalSteps && !stoppedEarly) {
    if (o.signal?.aborted) throw new TrainingAbortedError(o.stage, step);
    const batch = o.batches.next();
    const loss = await o.session.step(batch);
    step++;
    stepsThisRun++;
    if (!Number.isFinite(loss)) throw new NonFiniteLossError(o.stage, step, loss, lastCheckpoint);
    lossSum += loss;
    lossCount++;

    if (validationDue(step)) {
      const params = o.session.parameters();
      const v = await validate(params);
      history.push({ step, loss: lossSum / lossCount, validation: v.metrics });
      lossSum = 0;
      lossCount = 0;
      lastFigure = v.figure;
      if (improves(v.figure, best)) {
        best = { step, figure: v.figure, metrics: v.metrics, params };
        sinceBest = 0;
      } else sinceBest++;
      if (o.patience > 0 && sinceBest >= o.patience) stoppedEarly = true;
    }

    if (ck && ck.every > 0 && step % ck.every === 0) {
      const params = o.session.parameters();
      const bad = allFinite(params);
      if (bad !== null) throw new NonFiniteLossError(o.stage, step, NaN, lastCheckpoint);
      const opt = o.session.optimizerState();
      const state: LoopState = {
        batches: o.batches.getState(),
        best: best && { step: best.step, figure: best.figure, metrics: best.metrics },
        sinceBest,
        history,
        lossSum,
        lossCount,
      };
      await writeCheckpoint(ck.dir, {
        stage: o.stage,
        configHash: ck.configHash,
        step,
        state: { ...state, optimizerStep: opt.step, dropoutRng: opt.dropoutRng ?? null },
        tensors: { params, m: opt.m, v: opt.v, ...(best ? { best: best.params } : {}) },
      });
      lastCheckpoint = step;
    }

    const seconds = (Date.now() - started) / 1000;
    onProgress({
      stage: o.stage,
      done: step,
      total: o.totalSteps,
      info: { loss, 'steps/s': seconds > 0 ? stepsThisRun / seconds : 0, [o.figureName]: lastFigure },
    });
  }
  if (best === null) throw new Error(`${o.stage}: no validation was run`);
  return { best, steps: step, stoppedEarly, history, seconds: (Date.now() - started) / 1000, validationSeconds: validationMs / 1000, resumedFrom };
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
