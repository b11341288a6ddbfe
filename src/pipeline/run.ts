/**
 * `cosrank run`: the whole pipeline from one config (see runConfig.ts), as a pure plan (plan.ts) and its
 * execution, stage by stage:
 *
 *   data      read / generate, split by query, declare objectives (loadData.ts)   cache <out>/cache/data-<key>
 *   base      train s0 on the main objective, or reuse it (training.ts)         cache <out>/cache/base-<key>
 *   cos       train the COS-DPO ranker against frozen s0, or reuse it           cache <out>/cache/cos-<key>
 *   sweep     NDCG@k of every objective at each weight point of the test split; Pareto front, hypervolume
 *             (sweepStage.ts)
 *   outputs   <out>/model (the COS model, s0 inside), sweep.csv + sweep.json, front.json, front.png/.svg,
 *             training.png/.svg, report.md, summary.json (outputs.ts), run.json (manifest.ts), config.json
 *
 * Cache keys chain: data key = sha256(input bytes or generator options, reader options, split, objectives);
 * base key = sha256(train and validation content hashes, seed, engine, model, base settings); cos key =
 * sha256(base key, the same content hashes, seed, engine, cos settings). Changing only the sweep reuses
 * both models; changing only cos settings reuses the base ranker. Each reuse is reported through the
 * progress callback and in `RunOutcome.stages`.
 */
import * as path from 'node:path';
import { documentCount, queryCount, type RankingDataset } from '../data/dataset';
import type { ResolvedObjective } from '../data/objectives';
import { createEngine } from '../engine/select';
import type { Engine } from '../engine/engine';
import type { FrontSummary } from '../eval/hypervolume';
import type { ObjectiveMetric } from '../eval/metrics';
import type { SweepTable } from '../eval/sweep';
import type { TrainingLogEntry } from '../eval/trainingLog';
import type { SavedModel } from '../model/modelFile';
import { parameterCount } from '../model/spec';
import { DEFAULTS as TRAIN_DEFAULTS, type TrainConfig } from '../train/config';
import { writeJsonAtomic } from '../util/atomicWrite';
import { datasetHash } from '../util/hash';
import { ConfigError } from '../util/errors';
import { noProgress, type ProgressCallback } from '../util/progress';

import { cachedTraining, checkWritableFolder, describeStage, stageKey, type CacheStage, type TrainedStage } from './cache';
import { prepareData, type DataStage, type PreparedData } from './loadData';
import { datasetSummary, packageVersions, writeManifest } from './manifest';
import { baseSummary, runReportInput, writeRunOutputs, type RunFiles } from './outputs';
import { planRun, type RunPlan } from './plan';
import type { RunConfig } from './runConfig';
import { sweepStage } from './sweepStage';
import { trainBaseModel, trainCosModel } from './training';
import type { MethodComparison } from './compareReport';
import { dpoLsAsCosStage, methodsStage } from './compareStage';

export { latticeSize, sweepDivisions, plannedAuxiliaryCount, planRun, formatPlan, type PlanStep, type RunPlan } from './plan';

export interface RunOptions {
  onProgress?: ProgressCallback;
  /** Plan only: nothing is read, trained or written. */
  dryRun?: boolean;
  /** Output folder; overrides `config.out`. */
  out?: string;
}

/** What happened to one cached stage. */
export interface StageOutcome {
  stage: CacheStage;
  key: string;
  dir: string;
  reused: boolean;
  /** Wall time the stage took when it was computed (for a reused stage: back then). */
  seconds: number;
  createdAt: string;
  /** e.g. `base ranker: reusing cache base-3f2a… (trained in 12.3 s at …)`. */
  message: string;
}

export interface RunOutcome {
  out: string;
  engine: { name: string; description: string };
  stages: StageOutcome[];
  source: string;
  objectives: ResolvedObjective[];
  splits: Record<'train' | 'validation' | 'test', { queries: number; documents: number }>;
  /** s0 on the test split: NDCG@k of every objective. */
  baseTest: ObjectiveMetric[];
  /** The sweep of the COS ranker on the test split, its front summary and the hypervolume reference point. */
  sweep: SweepTable;
  front: FrontSummary;
  reference: number[];
  training: { baseSeconds: number; cosSeconds: number; baseParameters: number; cosParameters: number; cosBestStep: number };
  files: RunFiles;
  /** The trained models (the COS model carries s0 inside). */
  models: { base: SavedModel; cos: SavedModel };
  /** With `methods`: every method's figures (compare.json) and the comparison files. */
  compare?: { methods: MethodComparison[]; files: string[] };
  /** Wall time of this run. */
  seconds: number;
}

export interface RunResult {
  plan: RunPlan;
  /** null for a dry run. */
  outcome: RunOutcome | null;
}

/** The training part of a run config, as the trainers take it. */
export function trainConfigOf(config: RunConfig): TrainConfig {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(TRAIN_DEFAULTS)) out[k] = config[k as keyof TrainConfig];
  return out as unknown as TrainConfig;
}

/** The data stage, reported through the progress callback; checks there is something to trade off. */
async function dataStep(config: RunConfig, cacheRoot: string, onProgress: ProgressCallback): Promise<{ stage: DataStage; outcome: StageOutcome }> {
  const stage = await prepareData(config, cacheRoot, onProgress);
  const text = describeStage('data', stage.key, stage.reused, stage.record, 'prepared');
  onProgress({ stage: 'data', done: 1, total: 1, message: text });
  const objectives = stage.data.objectives;
  if (objectives.length < 2) {
    throw new ConfigError([{ path: 'objectives', value: objectives.map((o) => o.name), expected: 'a main objective and at least one auxiliary objective' }], 'run');
  }
  const { key, dir, reused, record } = stage;
  return { stage, outcome: { stage: 'data', key, dir, reused, seconds: record.seconds, createdAt: record.createdAt, message: `data: ${text}` } };
}

/** One checkpoint folder per stage and key: a configured folder gets a `<stage>-<key>` subfolder, so stages never meet each other's checkpoint. */
function checkpointOf(config: RunConfig): (dir: string) => { checkpointDir?: string; resume?: boolean } {
  return (dir) =>
    config.checkpoint.every > 0 ? { checkpointDir: config.checkpoint.dir !== null ? path.join(config.checkpoint.dir, path.basename(dir)) : path.join(dir, 'checkpoints'), resume: true } : {};
}

/** The base and COS stages, each trained or reused from its cache folder. */
async function trainingSteps(
  config: RunConfig,
  engine: Engine,
  data: PreparedData,
  cacheRoot: string,
  onProgress: ProgressCallback,
  withCos = true,
): Promise<{ base: TrainedStage; cos: TrainedStage | null }> {
  const trainConfig = trainConfigOf(config);
  const hashes = { train: datasetHash(data.train), validation: datasetHash(data.validation) };
  const checkpoint = checkpointOf(config);
  const common = { seed: config.seed, engine: config.engine, backend: config.backend };
  const baseKey = stageKey({ stage: 'base', version: 1, data: hashes, ...common, model: config.model, base: config.base });
  const base = await cachedTraining(cacheRoot, 'base', baseKey, 'base ranker', onProgress, checkpoint, async (options) => {
    const { model, result: r } = await trainBaseModel(engine, data, trainConfig, { onProgress, ...options }, { key: baseKey });
    return { model, seconds: r.seconds, details: { steps: r.steps, bestStep: r.bestStep, stoppedEarly: r.stoppedEarly, metrics: r.metrics, history: r.history } };
  });
  if (!withCos) return { base, cos: null };
  const targets = data.objectives.slice(1).map((o) => o.target);
  // a fixed-w dpo-ls stage trains an unconditioned network since version 2 (older cached ones are conditioned)
  const version = config.cos.mode === 'dpo-ls' ? 2 : 1;
  const cosKey = stageKey({ stage: 'cos', version, base: baseKey, data: hashes, targets, ...common, cos: config.cos });
  const cos = await cachedTraining(cacheRoot, 'cos', cosKey, 'COS-DPO ranker', onProgress, checkpoint, async (options) => {
    const { model, result: r } = await trainCosModel(engine, base.model, data, trainConfig, { onProgress, ...options }, { key: cosKey, baseKey });
    const details = { steps: r.steps, bestStep: r.bestStep, stoppedEarly: r.stoppedEarly, metrics: r.metrics, history: r.history, validationSweep: r.sweep, validationSeconds: r.validationSeconds };
    return { model, seconds: r.seconds, details };
  });
  return { base, cos };
}

function splitSizes(ds: RankingDataset): { queries: number; documents: number } {
  return { queries: queryCount(ds), documents: documentCount(ds) };
}

/**
 * Executes a run (or, with `dryRun`, only plans it). Library code: reports through `onProgress`, throws
 * ConfigError/DataError, prints nothing. The output folder is checked for writing before anything is trained.
 */
export async function runPipeline(config: RunConfig, options: RunOptions = {}): Promise<RunResult> {
  const out = options.out ?? config.out;
  const plan = planRun({ ...config, out: out ?? null });
  if (options.dryRun) return { plan, outcome: null };
  if (out === null || out === undefined) throw new ConfigError([{ path: 'out', value: null, expected: 'an output folder (config "out" or --out)' }], 'run');
  const onProgress = options.onProgress ?? noProgress;
  const started = Date.now();
  const cacheRoot = path.join(out, 'cache');
  await checkWritableFolder(cacheRoot);

  const data = await dataStep(config, cacheRoot, onProgress);
  const engine = await createEngine(config.engine, { tfjs: { backend: config.backend } });
  onProgress({ stage: 'engine', done: 1, total: 1, message: `${engine.name} — ${engine.description}` });
  // a DPO-LS run (no fixed w) has no single conditioned model: its cos stage is the methods stage's DPO-LS front
  const dpoLs = config.cos.mode === 'dpo-ls' && config.cos.fixedWeights === null;
  const methods = dpoLs ? [...new Set([...(config.methods ?? []), 'dpo-ls' as const])] : config.methods;
  const trained = await trainingSteps(config, engine, data.stage.data, cacheRoot, onProgress, !dpoLs);
  const base = trained.base;
  // the method of the cos stage's mode reuses that stage's model (compareStage.ts)
  const run = { engine, data: data.stage.data, base, cos: trained.cos, out, cacheRoot, onProgress, config };
  const compared = methods ? await methodsStage(config, methods, run) : null;
  const { cos, sweep } =
    compared && dpoLs
      ? await dpoLsAsCosStage(compared, run)
      : { cos: trained.cos as TrainedStage, sweep: await sweepStage(engine, (trained.cos as TrainedStage).model, base.model, data.stage.data.test, config, onProgress) };

  const stages = [data.outcome, base.outcome, cos.outcome];
  const outcome = await reportStep(config, out, engine, data.stage.data, { base, cos }, sweep, stages);
  if (compared) outcome.compare = { methods: compared.methods, files: compared.files };
  outcome.seconds = (Date.now() - started) / 1000;
  await writeRunManifest(config, outcome, data.stage.data, new Date(started).toISOString());
  await writeJsonAtomic(path.join(out, 'config.json'), config);
  return { plan, outcome };
}

/** Writes the model, tables and report; returns the outcome (its `seconds` set by the caller). */
async function reportStep(
  config: RunConfig,
  out: string,
  engine: Engine,
  data: PreparedData,
  trained: { base: TrainedStage; cos: TrainedStage },
  sweep: Awaited<ReturnType<typeof sweepStage>>,
  stages: StageOutcome[],
): Promise<RunOutcome> {
  const { base, cos } = trained;
  const baseParameters = parameterCount(base.model.params.base);
  const cosParameters = parameterCount(cos.model.params.cos ?? {});
  const details = cos.record.details as { bestStep: number; steps: number; stoppedEarly: boolean; history: TrainingLogEntry[] };
  const engineInfo = { name: engine.name, description: engine.description };
  const report = runReportInput(config, data, sweep, { ...details, seconds: cos.record.seconds, parameters: cosParameters }, {
    baselines: [baseSummary(sweep.baseTest, sweep.reference, base.record.seconds, baseParameters)],
    notes: stages.map((st) => st.message),
    engine: engineInfo,
  });
  // the training plot shows the base ranker's curves beside the COS model's
  const baseHistory = (base.record.details as { history?: TrainingLogEntry[] } | undefined)?.history ?? [];
  const logs = [{ stage: 'base s0', log: baseHistory }, { stage: report.method ?? 'COS', log: details.history }];
  const files = await writeRunOutputs(out, cos.model, sweep, report, logs, config.report.pngScale);
  return {
    out,
    engine: engineInfo,
    stages,
    source: data.source,
    objectives: data.objectives,
    splits: { train: splitSizes(data.train), validation: splitSizes(data.validation), test: splitSizes(data.test) },
    baseTest: sweep.baseTest,
    sweep: sweep.table,
    front: sweep.front,
    reference: sweep.reference,
    training: { baseSeconds: base.record.seconds, cosSeconds: cos.record.seconds, baseParameters, cosParameters, cosBestStep: details.bestStep },
    files,
    models: { base: base.model, cos: cos.model },
    seconds: 0,
  };
}

/** `run.json` of a run (the one manifest shape, see manifest.ts). */
async function writeRunManifest(config: RunConfig, o: RunOutcome, data: PreparedData, startedAt: string): Promise<void> {
  await writeManifest(o.out, {
    command: 'cosrank run',
    createdAt: new Date().toISOString(),
    seed: config.seed,
    config,
    configFile: null,
    engine: o.engine,
    packages: packageVersions(),
    data: { source: data.source, train: datasetSummary(data.train), validation: datasetSummary(data.validation), test: datasetSummary(data.test) },
    base: null,
    stages: o.stages.map(({ message: _m, ...st }) => st),
    results: { hypervolume: o.front.hypervolume, reference: o.reference, mainNdcg: { mean: o.front.mainMean, std: o.front.mainStd }, front: o.front.front, training: o.training },
    timings: { startedAt, totalSeconds: o.seconds },
  });
}
