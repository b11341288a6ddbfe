/**
 * The methods stage of `cosrank run` (config `methods`): every listed method trained from the same s0,
 * data, weight points and per-job step budget (`cos` settings), each cached on its own:
 *
 *   wcos, tcos   one conditioned network (trainCos with that mode; its early stopping on the validation
 *                hypervolume over the weight points)
 *   dpo-ls, soup, mo-dpo   the baselines of src/train/baselines (one common step per method, chosen by the
 *                validation hypervolume of its whole front)
 *
 * Cache: `<out>/cache/method-<key>/method.json` (the front's networks and figures), key = sha256 of the
 * method, the base key, the data hashes, the loss targets, seed, engine, the cos settings and the points.
 * With checkpoints (`CompareContext.checkpoint`) an interrupted stage resumes: methods already cached are
 * loaded, baseline jobs already finished are loaded from their records (jobRecord.ts), the running job (or
 * W-/T-COS network) continues from its last loop checkpoint; the folder is removed once every method is done.
 * compareReport.ts scores the fronts on the test split and writes compare.json / compare.md / the plot.
 */
import { mkdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { sameWeightPoints, type SweepRow, type WeightPoints } from '../eval/sweep';
import type { RankerParameters } from '../model/rankerParameters';
import { parameterCount, type Parameters, type RankerSpec } from '../model/spec';
import { BaselineRunner, type BaselineFront } from '../train/baselines/methods';
import type { JobContext } from '../train/baselines/fixedJob';
import type { TrainConfig } from '../train/config';
import { trainCos } from '../train/cosTraining';
import { writeJsonAtomic } from '../util/atomicWrite';
import { removeCheckpoints, stageKey } from './cache';
import type { MethodName } from './runConfig';


/** A trained method: its networks, which serves each weight point, and how it was trained. */
export interface TrainedMethod {
  method: MethodName;
  models: { spec: RankerSpec; params: RankerParameters }[];
  /** One entry per weight point: its weights and the index of the model that serves it. */
  points: { weights: number[]; model: number }[];
  /** T-COS: temperatures β passed when scoring. */
  beta?: number[];
  /** Validation rows at the chosen step (main NDCG first). */
  validation: SweepRow[];
  chosenStep: number;
  trainSeconds: number;
  validationSeconds: number;
  jobs: number;
  parameters: number;
  notes: string[];
  /** Whether this run loaded the method from its cache. */
  reused?: boolean;
}

/** A baseline job's context (s0, data, engine, targets, metric, progress), with `cos` and `seed` taken from `config`. */
export interface CompareContext extends Omit<JobContext, 'cos' | 'seed'> {
  /** Key of the base stage (part of every method key). */
  baseKey: string;
  config: TrainConfig;
  /** The weight points of the comparison (validation and test): `weightPoints(m, pointsSpec, divisions)`. */
  points: Float64Array[];
  divisions: number;
  /** How `points` were chosen (the lattice of `divisions` or seeded Dirichlet points); W-/T-COS validate on them. */
  pointsSpec: WeightPoints;
  /** Content hashes of train and validation. */
  dataHashes: Record<string, string>;
  cacheRoot: string;
  /**
   * The run's cos stage, when it trained a conditioned network: the method of the same mode reuses it
   * instead of training it again (same s0, data, seed, engine and cos settings by construction, since
   * the run passes its own config) when it was validated on the comparison's weight points.
   */
  cosStage?: CosStageResult;
}

/** What the methods stage needs of a trained cos stage. */
export interface CosStageResult {
  mode: 'wcos' | 'tcos';
  model: { spec: RankerSpec; params: RankerParameters };
  validation: SweepRow[];
  bestStep: number;
  steps: number;
  stoppedEarly: boolean;
  seconds: number;
  validationSeconds: number;
}

function methodKey(ctx: CompareContext, method: MethodName): string {
  const c = ctx.config;
  return stageKey({
    stage: 'method',
    version: 1,
    method,
    base: ctx.baseKey,
    data: ctx.dataHashes,
    targets: ctx.targets,
    seed: c.seed,
    engine: c.engine,
    backend: c.backend,
    // baselines run every job's full budget: early stopping's patience does not change them
    cos: { ...c.cos, mode: method === 'tcos' ? 'tcos' : 'wcos', fixedWeights: null, sweepDivisions: ctx.divisions, sweepPoints: ctx.pointsSpec, ...(method === 'wcos' || method === 'tcos' ? {} : { patience: null }) },
    points: ctx.points.map((p) => Array.from(p)),
    metric: ctx.metric,
  });
}

/** Trains a conditioned COS network (wcos or tcos) as one method. */
async function trainConditioned(ctx: CompareContext, mode: 'wcos' | 'tcos', key: string): Promise<TrainedMethod> {
  // validated (and its checkpoint chosen) on the comparison's points
  const config: TrainConfig = { ...ctx.config, cos: { ...ctx.config.cos, mode, fixedWeights: null, sweepDivisions: ctx.divisions, sweepPoints: ctx.pointsSpec } };
  const ck = ctx.checkpoint;
  const checkpoint = ck && ck.every > 0 ? { checkpointDir: path.join(ck.dir, `method-${key.slice(0, 16)}`), resume: ck.resume } : {};
  const r = await trainCos(ctx.engine, ctx.base, ctx.train, ctx.validation, config, { targets: ctx.targets, onProgress: ctx.onProgress, signal: ctx.signal, ...checkpoint });
  // the cos stage trained this very method, but validated on other points: say why it ran twice
  const twice = ctx.cosStage?.mode === mode ? [`trained again: the run's cos stage was validated on other weight points than the comparison's (set cos.sweepPoints / cos.sweepDivisions as sweep.points / sweep.divisions to reuse it)`] : [];
  return conditionedMethod(ctx, mode, { model: { spec: r.spec, params: r.params }, validation: r.sweep.rows, bestStep: r.bestStep, steps: r.steps, stoppedEarly: r.stoppedEarly, seconds: r.seconds, validationSeconds: r.validationSeconds }, twice);
}

/** The cos stage's result, when it is this method trained with the same settings (CompareContext.cosStage). */
function reusableCosStage(ctx: CompareContext, method: MethodName): CosStageResult | null {
  const c = ctx.cosStage;
  // validated (and early-stopped) on exactly the comparison's points
  return c && c.mode === method && sameWeightPoints(c.validation.map((r) => r.weights), ctx.points) ? c : null;
}

function conditionedMethod(ctx: CompareContext, mode: 'wcos' | 'tcos', r: Omit<CosStageResult, 'mode'>, notes: string[]): TrainedMethod {
  const beta = mode === 'tcos' && ctx.config.cos.beta ? ctx.config.cos.beta : undefined;
  return {
    method: mode,
    models: [r.model],
    points: ctx.points.map((p) => ({ weights: Array.from(p), model: 0 })),
    ...(beta ? { beta } : {}),
    validation: r.validation,
    chosenStep: r.bestStep,
    trainSeconds: r.seconds - r.validationSeconds,
    validationSeconds: r.validationSeconds,
    jobs: 1,
    parameters: parameterCount((r.model.params.cos ?? {}) as Parameters),
    notes: [`best validation at step ${r.bestStep} of ${r.steps}${r.stoppedEarly ? ' (stopped early)' : ''}`, ...notes],
  };
}

function fromBaseline(f: BaselineFront): TrainedMethod {
  return {
    method: f.method,
    models: f.points.map((p) => ({ spec: p.spec, params: p.params })),
    points: f.points.map((p, i) => ({ weights: p.weights, model: i })),
    validation: f.validation,
    chosenStep: f.chosenStep,
    trainSeconds: f.trainSeconds,
    validationSeconds: f.validationSeconds,
    jobs: f.jobs,
    parameters: f.parameters,
    notes: [`one common step for all jobs: ${f.chosenStep}`, ...f.notes],
  };
}

// --- cache (float32 values survive a JSON round trip exactly: each is a double) --------------------

type Stored = Omit<TrainedMethod, 'models' | 'reused'> & { key: string; models: { spec: RankerSpec; params: Record<string, Record<string, { shape: number[]; data: number[] }>> }[] };

function toStored(t: TrainedMethod, key: string): Stored {
  const { models, reused: _r, ...rest } = t;
  const tensors = (p: Parameters | undefined) => Object.fromEntries(Object.entries(p ?? {}).map(([n, v]) => [n, { shape: v.shape, data: Array.from(v.data) }]));
  return { ...rest, key, models: models.map((m) => ({ spec: m.spec, params: { base: tensors(m.params.base), ...(m.params.cos ? { cos: tensors(m.params.cos) } : {}) } })) };
}

function fromStored(s: Stored): TrainedMethod {
  const { key: _k, models, ...rest } = s;
  const tensors = (p: Record<string, { shape: number[]; data: number[] }>): Parameters => Object.fromEntries(Object.entries(p).map(([n, v]) => [n, { shape: v.shape, data: Float32Array.from(v.data) }]));
  return { ...rest, reused: true, models: models.map((m) => ({ spec: m.spec, params: { base: tensors(m.params.base), ...(m.params.cos ? { cos: tensors(m.params.cos) } : {}) } })) };
}

async function readCached(file: string, key: string): Promise<TrainedMethod | null> {
  try {
    const s = JSON.parse(await readFile(file, 'utf8')) as Stored;
    return s.key === key ? fromStored(s) : null;
  } catch {
    return null;
  }
}

/**
 * Trains (or loads from the cache) every method in `methods`, in order. The baselines share their
 * single-objective jobs within this call.
 */
export async function trainMethods(ctx: CompareContext, methods: readonly MethodName[]): Promise<TrainedMethod[]> {
  const onProgress = ctx.onProgress;
  const { engine, base, train, validation, targets, metric, checkpoint, signal } = ctx;
  const jobContext = { engine, base, train, validation, cos: ctx.config.cos, seed: ctx.config.seed, targets, metric, onProgress, ...(checkpoint ? { checkpoint } : {}), ...(signal ? { signal } : {}) };
  const runner = new BaselineRunner(jobContext, ctx.points);
  const out: TrainedMethod[] = [];
  for (const method of methods) {
    const key = methodKey(ctx, method);
    const dir = path.join(ctx.cacheRoot, `method-${key.slice(0, 16)}`);
    const file = path.join(dir, 'method.json');
    const cached = await readCached(file, key);
    if (cached) {
      onProgress?.({ stage: `method ${method}`, done: 1, total: 1, message: `${method}: reusing cache method-${key.slice(0, 16)}` });
      out.push(cached);
      continue;
    }
    const fromCos = reusableCosStage(ctx, method);
    if (fromCos) {
      // the cos stage already trained this method: its figures, not a second training
      const trained = conditionedMethod(ctx, fromCos.mode, fromCos, ["the run's cos stage (same s0, data, budget and mode), not trained again"]);
      onProgress?.({ stage: `method ${method}`, done: 1, total: 1, message: `${method}: reusing the run's cos stage (same settings)` });
      out.push(trained);
      continue;
    }
    const trained =
      method === 'wcos' || method === 'tcos'
        ? await trainConditioned(ctx, method, key)
        : fromBaseline(method === 'dpo-ls' ? await runner.dpoLs() : method === 'soup' ? await runner.soup() : await runner.moDpo());
    await mkdir(dir, { recursive: true });
    await writeJsonAtomic(file, toStored(trained, key));
    onProgress?.({ stage: `method ${method}`, done: 1, total: 1, message: `${method}: trained (${trained.jobs} job${trained.jobs > 1 ? 's' : ''}, ${trained.trainSeconds.toFixed(1)} s of optimiser steps), cached as method-${key.slice(0, 16)}` });
    out.push(trained);
  }
  if (checkpoint) await removeCheckpoints(checkpoint.dir);
  return out;
}
