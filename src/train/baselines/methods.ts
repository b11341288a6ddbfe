/**
 * The three baselines COS-DPO is judged against (DESIGN.md §1), trained from the same s0, data, weight
 * points and per-job step budget:
 *
 * - `dpo-ls`: one unconditioned model per weight point, trained on Σ_j w_j·L_j at that fixed w;
 * - `soup`:   the m single-objective models (w = e_j), mixed by w in parameter space (soup.ts);
 * - `mo-dpo`: the m single-objective models, then one job per non-corner point with MO-DPO's margin
 *             (moDpo.ts); corner points use the single-objective model.
 *
 * The single-objective jobs are trained once per run and shared (a DPO-LS job at a corner e_j is the same
 * job: same initialisation, batches and loss); each method's `trainSeconds` still counts every job its
 * front needs. Each method's step is chosen jointly over its front (select.ts).
 */
import type { SweepRow } from '../../eval/sweep';
import type { RankerParameters } from '../../model/rankerParameters';
import { parameterCount, type Parameters, type RankerSpec } from '../../model/spec';
import { fixedRankerNdcg, trainFixedJob, auxiliaryCount, baselineSpec, type JobContext, type JobResult } from './fixedJob';
import { moDpoFocus, moDpoOffset } from './moDpo';
import { chooseCommonStep, type StepChoice } from './select';
import { mixParameters } from './soup';

export type BaselineMethod = 'dpo-ls' | 'soup' | 'mo-dpo';

/** One point of a method's front: its weights and the ranker that serves it. */
export interface FrontPoint {
  weights: number[];
  spec: RankerSpec;
  params: RankerParameters;
}

export interface BaselineFront {
  method: BaselineMethod;
  points: FrontPoint[];
  /** Validation rows at the chosen step (one per point) and that step's figures. */
  validation: SweepRow[];
  chosenStep: number;
  /** Steps the jobs ran (the step budget, unless a job failed). */
  steps: number;
  validationHypervolume: number;
  /** Optimiser time of every job the front needs; validation and checkpoint selection time. */
  trainSeconds: number;
  validationSeconds: number;
  jobs: number;
  /** Trainable parameters of every network the front needs. */
  parameters: number;
  /** Per-job facts worth reading (MO-DPO focus and 1/w_i, failures). */
  notes: string[];
}

/**
 * The point serving the default trade-off of a front of fixed-w models: the centre of the simplex
 * (w_j = 1/m), or the point nearest to it (the first on ties).
 */
export function defaultPointIndex(points: ArrayLike<number>[]): number {
  const dist = (w: ArrayLike<number>) => Array.from(w).reduce((a, v) => a + (v - 1 / w.length) ** 2, 0);
  return points.reduce((best, w, k) => (dist(w) < dist(points[best]) ? k : best), 0);
}

const isCorner = (w: ArrayLike<number>) => Array.from(w).filter((v) => v !== 0).length === 1;
const cornerOf = (w: ArrayLike<number>) => Array.from(w).findIndex((v) => v !== 0);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Number of grid steps every job reached (fewer than the grid only after a failure). */
function commonSteps(jobs: JobResult[]): number[] {
  const n = Math.min(...jobs.map((j) => j.snapshots.length));
  return jobs[0].snapshots.slice(0, n).map((s) => s.step);
}

export class BaselineRunner {
  private single: Promise<JobResult[]> | null = null;
  private readonly m: number;
  private readonly spec: RankerSpec;

  constructor(
    private readonly ctx: JobContext,
    private readonly points: ArrayLike<number>[],
  ) {
    this.m = auxiliaryCount(ctx.train);
    this.spec = baselineSpec(ctx);
  }

  /** The m single-objective jobs (w = e_j), trained once and shared by the three methods. */
  singleObjective(): Promise<JobResult[]> {
    this.single ??= (async () => {
      const jobs: JobResult[] = [];
      for (let j = 0; j < this.m; j++) {
        const w = Array.from({ length: this.m }, (_, i) => (i === j ? 1 : 0));
        jobs.push(await trainFixedJob(this.ctx, w, `single-objective ${j + 1}/${this.m}`));
      }
      return jobs;
    })();
    return this.single;
  }

  private point(weights: ArrayLike<number>, params: Parameters): FrontPoint {
    return { weights: Array.from(weights), spec: this.spec, params: { base: this.ctx.base.params.base, cos: params } };
  }

  private front(method: BaselineMethod, choice: StepChoice, points: FrontPoint[], jobs: JobResult[], extraValidation: number, notes: string[]): BaselineFront {
    const perNet = parameterCount((points[0].params.cos ?? {}) as Parameters);
    return {
      method,
      points,
      validation: choice.rows,
      chosenStep: choice.step,
      steps: Math.max(...jobs.map((j) => j.steps)),
      validationHypervolume: choice.hypervolume,
      trainSeconds: sum(jobs.map((j) => j.trainSeconds)),
      validationSeconds: sum(jobs.map((j) => j.validationSeconds)) + extraValidation,
      jobs: jobs.length,
      parameters: perNet * jobs.length,
      notes: [...notes, ...jobs.flatMap((j) => (j.failure ? [j.failure] : []))],
    };
  }

  /** DPO-LS: one job per point (corners shared with the single-objective jobs), one common step. */
  async dpoLs(): Promise<BaselineFront> {
    const single = await this.singleObjective();
    const jobs: JobResult[] = [];
    for (let p = 0; p < this.points.length; p++) {
      const w = Array.from(this.points[p]);
      jobs.push(isCorner(w) ? single[cornerOf(w)] : await trainFixedJob(this.ctx, w, `dpo-ls ${p + 1}/${this.points.length}`));
    }
    const steps = commonSteps(jobs);
    const choice = await chooseCommonStep(steps, (k) => jobs.map((j) => ({ weights: j.weights, ndcg: j.snapshots[k].ndcg })));
    const points = jobs.map((j) => this.point(j.weights, j.snapshots[choice.index].params));
    return this.front('dpo-ls', choice, points, jobs, 0, []);
  }

  /** DPO Soup: the single-objective models at one common step, mixed by w at every point. */
  async soup(): Promise<BaselineFront> {
    const single = await this.singleObjective();
    const steps = commonSteps(single);
    const started = Date.now();
    const mixed = (k: number, w: ArrayLike<number>) => mixParameters(single.map((j) => j.snapshots[k].params), w);
    const choice = await chooseCommonStep(steps, async (k) => {
      const rows: SweepRow[] = [];
      for (const w of this.points) {
        const ndcg = await fixedRankerNdcg(this.ctx.engine, this.spec, { base: this.ctx.base.params.base, cos: mixed(k, w) }, this.ctx.validation, this.ctx.metric);
        rows.push({ weights: Array.from(w), ndcg });
      }
      return rows;
    });
    const points = this.points.map((w) => this.point(w, mixed(choice.index, w)));
    return this.front('soup', choice, points, single, (Date.now() - started) / 1000, []);
  }

  /**
   * MO-DPO: margin models = the single-objective models at the step where their m corner points have the
   * largest hypervolume; one margin job per non-corner point; the jobs' common step chosen over the front.
   */
  async moDpo(): Promise<BaselineFront> {
    const single = await this.singleObjective();
    const corner = await chooseCommonStep(commonSteps(single), (k) => single.map((j) => ({ weights: j.weights, ndcg: j.snapshots[k].ndcg })));
    const singleParams = single.map((j) => j.snapshots[corner.index].params);
    const started = Date.now();
    const s0 = await this.ctx.engine.score({ base: this.ctx.base.spec.base }, { base: this.ctx.base.params.base }, { features: this.ctx.train.features, queryOffsets: this.ctx.train.queryOffsets });
    const singleDeltas: Float32Array[] = [];
    for (const params of singleParams) {
      const s = await this.ctx.engine.score(this.spec, { base: this.ctx.base.params.base, cos: params }, { features: this.ctx.train.features, queryOffsets: this.ctx.train.queryOffsets });
      singleDeltas.push(Float32Array.from(s, (v, i) => v - s0[i]));
    }
    const marginSeconds = (Date.now() - started) / 1000;
    const notes = [`margin models: the single-objective models at step ${corner.step} (largest hypervolume of their ${this.m} corner points)`];
    const jobs: (JobResult | null)[] = [];
    for (let p = 0; p < this.points.length; p++) {
      const w = Array.from(this.points[p]);
      const focus = moDpoFocus(w);
      if (focus.corner) {
        jobs.push(null);
        continue;
      }
      notes.push(`w = (${w.map((x) => x.toFixed(2)).join(', ')}): focus objective ${focus.objective + 1}, 1/w_i = ${focus.scale.toFixed(3)}`);
      const offset = moDpoOffset(w, focus.objective, singleDeltas);
      jobs.push(await trainFixedJob(this.ctx, w, `mo-dpo ${p + 1}/${this.points.length}`, { margin: { focus: focus.objective, scale: focus.scale, offset } }));
    }
    const trained = jobs.filter((j): j is JobResult => j !== null);
    const steps = trained.length > 0 ? commonSteps(trained) : [corner.step];
    const paramsAt = (p: number, k: number): Parameters => {
      const job = jobs[p];
      return job ? job.snapshots[k].params : singleParams[cornerOf(this.points[p])];
    };
    const cornerRows = single.map((j) => j.snapshots[corner.index].ndcg);
    const choice = await chooseCommonStep(steps, (k) =>
      this.points.map((w, p) => ({ weights: Array.from(w), ndcg: jobs[p]?.snapshots[k].ndcg ?? cornerRows[cornerOf(w)] })),
    );
    const points = this.points.map((w, p) => this.point(w, paramsAt(p, choice.index)));
    return this.front('mo-dpo', choice, points, [...single, ...trained], marginSeconds, notes);
  }
}
