/**
 * The stage commands as library functions: `cosrank train-base` (read → objectives → base) and
 * `cosrank train` (read → objectives checked against the base model → COS or DPO-LS), each writing a
 * model folder with `run.json` (the one manifest shape) and `training-log.jsonl`. They run the same
 * stage functions as `cosrank run` (datasets.ts, training.ts); the CLI only parses and prints.
 */
import * as path from 'node:path';
import { objectiveDefsOf } from '../data/presets';
import type { Engine } from '../engine/engine';
import { createEngine } from '../engine/select';
import type { SweepTable } from '../eval/sweep';
import type { TrainingLogEntry } from '../eval/trainingLog';
import { loadModel, saveModel, type SavedModel } from '../model/modelFile';
import type { TrainResult } from '../train/baseTraining';
import { configHash, type TrainConfig } from '../train/config';
import { writeFileAtomic } from '../util/atomicWrite';
import { ConfigError } from '../util/errors';
import { noProgress, type ProgressCallback } from '../util/progress';
import { checkWritableFolder, removeCheckpoints } from './cache';
import { prepareDatasets, readDatasets, type TrainingData } from './datasets';
import { latticeDivisions } from './plan';
import { datasetSummary, packageVersions, writeManifest } from './manifest';
import { BaselineRunner, defaultPointIndex, type BaselineFront } from '../train/baselines/methods';
import { describePolicy, evaluateObjectives, resolveMetricOptions } from '../eval/metrics';
import { weightPoints } from '../eval/sweep';
import { datasetHash } from '../util/hash';
import { modelInputs, prefixed, trainBaseModel, trainCosModel } from './training';

/** What a stage command is asked to do. */
export interface StageRequest {
  config: TrainConfig;
  /** The config file it came from (recorded in the manifest), or null. */
  configFile: string | null;
  /** Data files, each split concatenated in order. */
  train: string[];
  validation: string[];
  /** Model folder to write (`cosrank train` with DPO-LS: one `point-<i>` subfolder per weight point). */
  out: string;
  /** Continue from the checkpoint in the checkpoint folder. */
  resume?: boolean;
  onProgress?: ProgressCallback;
}

/** What a stage command did. */
export interface StageResult {
  /** The figures of the trained model (validation metrics, best step …). */
  result: TrainResult;
  /** The saved model(s) and their folders. */
  models: { dir: string; model: SavedModel }[];
  /** The validation sweep (COS stages). */
  sweep: SweepTable | null;
  engine: { name: string; description: string };
  /** The checkpoint folder removed after the finished run, or null (checkpoints off). */
  checkpointsRemoved: string | null;
  seconds: number;
}

/** The checkpoint folder of a stage command (undefined when checkpoints are off). */
export function checkpointDirOf(config: TrainConfig, out: string, resume: boolean): string | undefined {
  if (config.checkpoint.every <= 0 && !resume) return undefined;
  return config.checkpoint.dir ?? `${path.resolve(out)}.checkpoints`;
}

/** Read → objectives: the training and validation files with the declared objectives applied. */
async function readStage(request: StageRequest, onProgress: ProgressCallback, base?: SavedModel): Promise<TrainingData> {
  const trainRaw = await readDatasets(request.train, { onProgress });
  const validationRaw = await readDatasets(request.validation, { onProgress });
  if (!base) return prepareDatasets(trainRaw, validationRaw, objectiveDefsOf(request.config.objectives, trainRaw.labelNames));
  checkBaseObjectives(request, trainRaw.labelNames, base);
  return prepareDatasets(trainRaw, validationRaw, base.objectives, base.objectives);
}

/** A COS stage trains the base model's objectives (declared again in the config, they must match). */
function checkBaseObjectives(request: StageRequest, labelNames: string[], base: SavedModel): void {
  const used = base.objectives.map((o) => o.name);
  if (request.config.objectives !== null) {
    const declared = objectiveDefsOf(request.config.objectives, labelNames).map((d) => d.name);
    if (declared.join(',') !== used.join(',')) {
      throw new ConfigError([{ path: 'objectives', value: declared, expected: `the base model's objectives (${used.join(', ')}) or null` }], request.configFile ?? 'config');
    }
  }
  if (used.length < 2) {
    throw new ConfigError([{ path: 'objectives', value: used, expected: 'auxiliary objectives after the main one, declared when the base model was trained' }], 'the base model');
  }
}

async function engineOf(config: TrainConfig, onProgress: ProgressCallback, stage: string): Promise<Engine> {
  const engine = await createEngine(config.engine, { tfjs: { backend: config.backend } });
  onProgress({ stage, done: 0, message: `engine ${engine.description}` });
  return engine;
}

/** Writes the model folder, then `training-log.jsonl` and `run.json` into it. */
async function writeStageOutput(
  request: StageRequest,
  dir: string,
  model: SavedModel,
  run: { command: string; engine: Engine; data: TrainingData; history: TrainingLogEntry[]; result: TrainResult; base: string | null; started: number; extra?: Record<string, unknown> },
): Promise<void> {
  await saveModel(dir, model);
  await writeFileAtomic(path.join(dir, 'training-log.jsonl'), run.history.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const r = run.result;
  await writeManifest(dir, {
    command: run.command,
    createdAt: new Date().toISOString(),
    seed: request.config.seed,
    config: request.config,
    configFile: request.configFile,
    engine: { name: run.engine.name, description: run.engine.description },
    packages: packageVersions(),
    data: { train: datasetSummary(run.data.train, request.train.join(',')), validation: datasetSummary(run.data.validation, request.validation.join(',')) },
    base: run.base,
    stages: [{ stage: run.base === null ? 'base' : 'cos', reused: false, seconds: r.seconds, createdAt: new Date().toISOString() }],
    results: { ...model.metrics, bestStep: r.bestStep, steps: r.steps, stoppedEarly: r.stoppedEarly, resumedFrom: r.resumedFrom, ...run.extra },
    timings: { startedAt: new Date(run.started).toISOString(), trainSeconds: r.seconds, totalSeconds: (Date.now() - run.started) / 1000 },
  });
}

/** Removes the finished run's checkpoints; returns the folder (null when there were none). */
async function finishCheckpoints(dir: string | undefined): Promise<string | null> {
  if (!dir) return null;
  await removeCheckpoints(dir);
  return dir;
}

/** `cosrank train-base`: read → objectives → base ranker s0 → model folder. */
export async function trainBaseStage(request: StageRequest): Promise<StageResult> {
  const started = Date.now();
  const onProgress = request.onProgress ?? noProgress;
  await checkWritableFolder(request.out);
  const data = await readStage(request, onProgress);
  const engine = await engineOf(request.config, onProgress, 'train-base');
  const checkpointDir = checkpointDirOf(request.config, request.out, request.resume ?? false);
  const { model, result } = await trainBaseModel(engine, data, request.config, { onProgress, checkpointDir, resume: request.resume });
  await writeStageOutput(request, request.out, model, { command: 'cosrank train-base', engine, data, history: result.history, result, base: null, started });
  const checkpointsRemoved = await finishCheckpoints(checkpointDir);
  return { result, models: [{ dir: request.out, model }], sweep: null, engine: { name: engine.name, description: engine.description }, checkpointsRemoved, seconds: (Date.now() - started) / 1000 };
}

/** `cosrank train`: read → objectives (the base model's) → COS ranker (or one DPO-LS model per weight point) → model folder(s). */
export async function trainCosStage(request: StageRequest & { base: string }): Promise<StageResult> {
  const started = Date.now();
  const onProgress = request.onProgress ?? noProgress;
  await checkWritableFolder(request.out);
  const base = await loadModel(request.base);
  const data = await readStage(request, onProgress, base);
  const engine = await engineOf(request.config, onProgress, 'train-cos');
  const checkpointDir = checkpointDirOf(request.config, request.out, request.resume ?? false);
  const options = { onProgress, checkpointDir, resume: request.resume };
  const command = `cosrank train (${request.config.cos.mode})`;
  const engineInfo = { name: engine.name, description: engine.description };
  if (request.config.cos.mode === 'dpo-ls' && request.config.cos.fixedWeights === null) {
    return dpoLsStage(request, { base, data, engine, onProgress, checkpointDir, started });
  }
  const { model, result } = await trainCosModel(engine, base, data, request.config, options);
  await writeStageOutput(request, request.out, model, { command, engine, data, history: result.history, result, base: request.base, started, extra: { hypervolume: result.hypervolume, sweep: result.sweep } });
  const checkpointsRemoved = await finishCheckpoints(checkpointDir);
  return { result, models: [{ dir: request.out, model }], sweep: result.sweep, engine: engineInfo, checkpointsRemoved, seconds: (Date.now() - started) / 1000 };
}

/** The front's validation rows as a sweep table (query counts depend on the labels only). */
function validationTable(data: TrainingData, k: number, front: BaselineFront): SweepTable {
  const ds = data.validation;
  const resolved = resolveMetricOptions({ k });
  const counts = evaluateObjectives(new Float32Array(ds.queryOffsets[ds.queryOffsets.length - 1]), ds, { k, metrics: ['ndcg'] }).map((e) => ({ queries: e.queries, skipped: e.skippedQueries }));
  return { objectives: [...ds.labelNames], k: resolved.k, policy: describePolicy(resolved), counts, rows: front.validation };
}

/** The saved model of point `k` of a DPO-LS front: an unconditioned network, its w in `info`. */
function dpoLsModel(base: SavedModel, data: TrainingData, front: BaselineFront, k: number, engine: string): SavedModel {
  const p = front.points[k];
  const figures = Object.fromEntries(data.objectives.map((o, j) => [`${o.name} NDCG`, front.validation[k].ndcg[j]]));
  return {
    spec: p.spec,
    params: p.params,
    ...modelInputs(data),
    defaultWeights: [],
    metrics: { ...base.metrics, ...prefixed('dpo-ls.validation.', { ...figures, 'front hypervolume': front.validationHypervolume }) },
    info: { stage: 'cos', method: 'dpo-ls', weights: p.weights, chosenStep: front.chosenStep, engine, baseInfo: base.info ?? null },
  };
}

/**
 * `cosrank train` with cos.mode "dpo-ls" and no fixed w: the DPO-LS front of the methods comparison
 * (src/train/baselines: one unconditioned network per point of the validation grid, own seed streams, one
 * common step chosen by the front's validation hypervolume). Writes the default trade-off's model (the
 * point nearest the simplex centre) to `out` and every point's model to `out/point-<i>`. With checkpoints
 * each job keeps its record and loop checkpoints in the checkpoint folder, and `--resume` continues.
 */
async function dpoLsStage(
  request: StageRequest & { base: string },
  run: { base: SavedModel; data: TrainingData; engine: Engine; onProgress: ProgressCallback; checkpointDir: string | undefined; started: number },
): Promise<StageResult> {
  const { base, data, engine, started } = run;
  const c = request.config;
  const m = data.objectives.length - 1;
  const points = weightPoints(m, c.cos.sweepPoints, latticeDivisions(m, c.cos.sweepPoints, c.cos.sweepDivisions, 'cos.sweepDivisions'), 'cos.sweepPoints');
  const targets = data.objectives.slice(1).map((o) => o.target);
  const checkpoint = run.checkpointDir ? { checkpoint: { dir: run.checkpointDir, every: c.checkpoint.every, resume: request.resume ?? false } } : {};
  const ctx = { engine, base: { spec: base.spec, params: base.params }, train: data.train, validation: data.validation, cos: c.cos, seed: c.seed, targets, metric: { k: c.cos.metricK }, onProgress: run.onProgress, ...checkpoint };
  const front = await new BaselineRunner(ctx, points).dpoLs();
  const centre = defaultPointIndex(front.points.map((p) => p.weights));
  const seconds = front.trainSeconds + front.validationSeconds;
  const main = `mean ${data.objectives[0].name} NDCG@${c.cos.metricK}`;
  const meanMain = front.validation.reduce((a, r) => a + r.ndcg[0], 0) / front.validation.length;
  const history = [{ step: front.chosenStep, validation: { hypervolume: front.validationHypervolume, [main]: meanMain } }];
  const result: TrainResult = {
    spec: front.points[centre].spec,
    params: front.points[centre].params,
    bestStep: front.chosenStep,
    steps: front.steps,
    stoppedEarly: false,
    metrics: { hypervolume: front.validationHypervolume, [main]: meanMain },
    history,
    seconds,
    validationSeconds: front.validationSeconds,
    phases: { batch: 0, step: front.trainSeconds, validation: front.validationSeconds, checkpoint: 0, bookkeeping: 0 },
    resumedFrom: null,
    configHash: configHash(c, { method: 'dpo-ls', data: [datasetHash(data.train), datasetHash(data.validation)] }),
  };
  const sweep = validationTable(data, c.cos.metricK, front);
  const command = 'cosrank train (dpo-ls)';
  const extra = { sweep, jobs: front.jobs, trainSeconds: front.trainSeconds, notes: front.notes };
  const models = [{ dir: request.out, model: dpoLsModel(base, data, front, centre, engine.name) }];
  for (let k = 0; k < front.points.length; k++) models.push({ dir: path.join(request.out, `point-${k}`), model: dpoLsModel(base, data, front, k, engine.name) });
  for (const m of models) await writeStageOutput(request, m.dir, m.model, { command, engine, data, history, result, base: request.base, started, extra: { ...extra, weights: (m.model.info as { weights: number[] }).weights } });
  const checkpointsRemoved = await finishCheckpoints(run.checkpointDir);
  return { result, models, sweep, engine: { name: engine.name, description: engine.description }, checkpointsRemoved, seconds: (Date.now() - started) / 1000 };
}
