/**
 * What a baseline job keeps on disk so an interrupted run resumes where it stopped, through the one
 * checkpoint format (checkpoint.ts: atomic, checksummed). A job's folder `<root>/job-<hash>` holds:
 *
 *   record/checkpoint.bin  the job's snapshots so far (parameters and validation NDCG at each step of
 *                          the validation grid), rewritten before each loop checkpoint; once the job is
 *                          done, its whole result (`finished`), which later runs load instead of training
 *   loop/checkpoint.bin    the training loop's own checkpoint (trainer.ts) while the job runs
 *
 * A job resumed from the loop checkpoint at step c takes the record's snapshots up to c and redoes the
 * rest, so its weights and snapshots are those of an uninterrupted job (trainer.ts's resume guarantee);
 * its seconds add the earlier processes' seconds as recorded (approximate: steps after c are timed twice).
 */
import { rm } from 'node:fs/promises';
import * as path from 'node:path';
import type { TrainingLogEntry } from '../../eval/trainingLog';
import type { Parameters } from '../../model/spec';
import { CheckpointError, checkpointPath, readCheckpoint, writeCheckpoint } from '../checkpoint';

/** Where a run's baseline jobs keep their records and loop checkpoints. */
export interface JobCheckpointOptions {
  /** Root folder; each job gets `job-<hash>` inside it. */
  dir: string;
  /** Loop checkpoint every this many steps (0 = only finished jobs are recorded). */
  every: number;
  /** Continue an unfinished job from its loop checkpoint. */
  resume: boolean;
}

export interface JobSnapshot {
  step: number;
  params: Parameters;
  /** Validation NDCG@k of every objective (main first) of this job's model. */
  ndcg: number[];
}

/** A job's recorded state: its snapshots and figures, finished or as of its last record. */
export interface JobProgress {
  snapshots: JobSnapshot[];
  trainSeconds: number;
  validationSeconds: number;
  /** Set once the job is done. */
  done?: { steps: number; stoppedEarly: boolean; history: TrainingLogEntry[]; failure?: string };
}

const STAGE = 'baseline-job';

interface RecordState {
  finished: boolean;
  steps: number[];
  ndcg: number[][];
  trainSeconds: number;
  validationSeconds: number;
  jobSteps?: number;
  stoppedEarly?: boolean;
  history?: TrainingLogEntry[];
  failure?: string;
}

/** The record and loop checkpoint of one job (identified by `hash`, see fixedJob.ts). */
export class JobStore {
  readonly dir: string;

  constructor(
    readonly options: JobCheckpointOptions,
    readonly hash: string,
  ) {
    this.dir = path.join(options.dir, `job-${hash.slice(0, 16)}`);
  }

  get loopDir(): string {
    return path.join(this.dir, 'loop');
  }

  private get recordDir(): string {
    return path.join(this.dir, 'record');
  }

  private async readRecord(): Promise<{ state: RecordState; progress: JobProgress } | null> {
    const saved = await readCheckpoint(this.recordDir);
    if (saved === null || saved.stage !== STAGE || saved.configHash !== this.hash) return null;
    const s = saved.state as unknown as RecordState;
    const snapshots = s.steps.map((step, i) => {
      const params = saved.tensors[`step-${step}`];
      if (!params) throw new CheckpointError(checkpointPath(this.recordDir), `no parameters for the snapshot at step ${step}`);
      return { step, params, ndcg: s.ndcg[i] };
    });
    const done = s.finished ? { steps: s.jobSteps ?? 0, stoppedEarly: s.stoppedEarly === true, history: s.history ?? [], ...(s.failure ? { failure: s.failure } : {}) } : undefined;
    return { state: s, progress: { snapshots, trainSeconds: s.trainSeconds, validationSeconds: s.validationSeconds, ...(done ? { done } : {}) } };
  }

  /** The finished job's result, when an earlier run recorded it. */
  async finished(): Promise<JobProgress | null> {
    const r = await this.readRecord();
    return r?.progress.done ? r.progress : null;
  }

  /**
   * With `resume` and a loop checkpoint at step c: the recorded snapshots up to c (the grid steps
   * `stepOf(0..)` ≤ c, all of which must be there) and the recorded seconds; otherwise null (fresh start).
   */
  async resumable(stepOf: (i: number) => number): Promise<JobProgress | null> {
    if (!this.options.resume) return null;
    const loop = await readCheckpoint(this.loopDir);
    if (loop === null) return null;
    const r = await this.readRecord();
    const expected: number[] = [];
    for (let i = 0; stepOf(i) <= loop.step && (i === 0 || stepOf(i) > stepOf(i - 1)); i++) expected.push(stepOf(i));
    const snapshots = (r?.progress.snapshots ?? []).filter((s) => s.step <= loop.step);
    if (snapshots.map((s) => s.step).join(',') !== expected.join(',')) {
      throw new CheckpointError(
        checkpointPath(this.recordDir),
        `the loop checkpoint is at step ${loop.step} but the record holds snapshots at steps [${snapshots.map((s) => s.step).join(', ')}]; delete ${this.dir} to train this job again`,
      );
    }
    return { snapshots, trainSeconds: r?.progress.trainSeconds ?? 0, validationSeconds: r?.progress.validationSeconds ?? 0 };
  }

  /** Whether a loop checkpoint falls in [step, step + validateEvery): the record must be current before it. */
  recordDue(step: number, validateEvery: number): boolean {
    const every = this.options.every;
    return every > 0 && Math.floor((step + validateEvery - 1) / every) * every >= step;
  }

  /** Writes the record (atomically); a finished job's loop checkpoint is removed after it. */
  async write(progress: JobProgress): Promise<void> {
    const { snapshots, done } = progress;
    const state: RecordState = {
      finished: done !== undefined,
      steps: snapshots.map((s) => s.step),
      ndcg: snapshots.map((s) => s.ndcg),
      trainSeconds: progress.trainSeconds,
      validationSeconds: progress.validationSeconds,
      ...(done ? { jobSteps: done.steps, stoppedEarly: done.stoppedEarly, history: done.history, ...(done.failure ? { failure: done.failure } : {}) } : {}),
    };
    const tensors = Object.fromEntries(snapshots.map((s) => [`step-${s.step}`, s.params]));
    const last = snapshots.length > 0 ? snapshots[snapshots.length - 1].step : 0;
    await writeCheckpoint(this.recordDir, { stage: STAGE, configHash: this.hash, step: last, state: state as unknown as Record<string, unknown>, tensors });
    if (done) await rm(this.loopDir, { recursive: true, force: true });
  }
}
