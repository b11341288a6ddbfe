/**
 * The methods stage as `cosrank run` calls it: the config's `methods` (compare.ts) trained on the run's
 * data and s0, scored on the test split at the sweep's weight points, written as compare.json /
 * compare.md / compare.svg+png (compareReport.ts). A run whose `cos.mode` is `dpo-ls` without fixed
 * weights has no single conditioned model: its cos stage is the DPO-LS front of this stage, its model
 * folder the DPO-LS model of the default trade-off (the centre of the simplex, or the point nearest to
 * it) and `model-points/point-<i>` the model of every point (dpoLsAsCosStage).
 */
import * as path from 'node:path';
import type { Engine } from '../engine/engine';
import { frontSummary } from '../eval/hypervolume';
import { evaluateObjectives } from '../eval/metrics';
import { saveModel, type SavedModel } from '../model/modelFile';
import { defaultPointIndex } from '../train/baselines/methods';
import type { TrainConfig } from '../train/config';
import { datasetHash } from '../util/hash';
import type { ProgressCallback } from '../util/progress';
import { stageKey, type TrainedStage } from './cache';
import { trainMethods, type CosStageResult, type TrainedMethod } from './compare';
import { compareMethods, writeComparison, type MethodComparison } from './compareReport';
import type { PreparedData } from './loadData';
import type { MethodName, RunConfig } from './runConfig';
import type { SweepOutcome } from './sweepStage';
import { sweepMetricOptions, sweepPoints, sweepReference } from './sweepStage';
import { modelInputs } from './training';
import { sweepDivisions } from './plan';

export interface MethodsOutcome {
  trained: TrainedMethod[];
  methods: MethodComparison[];
  tables: Awaited<ReturnType<typeof compareMethods>>['tables'];
  files: string[];
}

/**
 * The cos stage as a method: its model and validation figures (from its record), when it trained a
 * conditioned network and its record has them (records of older runs lack `validationSeconds`).
 */
function cosStageResult(config: TrainConfig, cos: TrainedStage | null | undefined): CosStageResult | undefined {
  const mode = config.cos.mode;
  if (!cos || (mode !== 'wcos' && mode !== 'tcos')) return undefined;
  const d = cos.record.details as { bestStep?: number; steps?: number; stoppedEarly?: boolean; validationSeconds?: number; validationSweep?: { rows: CosStageResult['validation'] } };
  if (d.validationSeconds === undefined || !d.validationSweep || d.bestStep === undefined || d.steps === undefined) return undefined;
  return {
    mode,
    model: { spec: cos.model.spec, params: cos.model.params },
    validation: d.validationSweep.rows,
    bestStep: d.bestStep,
    steps: d.steps,
    stoppedEarly: d.stoppedEarly === true,
    seconds: cos.record.seconds,
    validationSeconds: d.validationSeconds,
  };
}

/**
 * Where the methods stage keeps its jobs' records and loop checkpoints: none when checkpoints are off
 * (`checkpoint.every` 0), else one folder per comparison (base, data, seed, engine, cos settings, points)
 * in the configured checkpoint folder or the cache, so `cosrank run` again resumes an interrupted stage.
 */
function methodsCheckpoint(config: RunConfig & TrainConfig, cacheRoot: string, parts: Record<string, unknown>): { dir: string; every: number; resume: boolean } | undefined {
  if (config.checkpoint.every <= 0) return undefined;
  const { seed, engine, backend, cos } = config;
  const name = `methods-${stageKey({ stage: 'methods', version: 1, ...parts, seed, engine, backend, cos }).slice(0, 16)}`;
  return { dir: config.checkpoint.dir !== null ? path.join(config.checkpoint.dir, name) : path.join(cacheRoot, name), every: config.checkpoint.every, resume: true };
}

/**
 * Trains (or reuses) every method and writes the comparison into `out`. The method matching the run's
 * cos stage (`run.cos`, same mode and validation grid) takes that stage's model instead of training again.
 */
export async function methodsStage(
  config: RunConfig & TrainConfig,
  methods: readonly MethodName[],
  run: { engine: Engine; data: PreparedData; base: TrainedStage; cos?: TrainedStage | null; out: string; cacheRoot: string; onProgress: ProgressCallback },
): Promise<MethodsOutcome> {
  const { engine, data, base } = run;
  const m = data.objectives.length - 1;
  const metric = { ...sweepMetricOptions(config.sweep), k: config.sweep.k };
  const reference = sweepReference(m, config.sweep);
  const dataHashes = { train: datasetHash(data.train), validation: datasetHash(data.validation) };
  const points = sweepPoints(m, config.sweep);
  const checkpoint = methodsCheckpoint(config, run.cacheRoot, { base: base.outcome.key, data: dataHashes, points: points.map((p) => Array.from(p)), metric });
  const trained = await trainMethods(
    {
      engine,
      base: { spec: base.model.spec, params: base.model.params },
      baseKey: base.outcome.key,
      train: data.train,
      validation: data.validation,
      config,
      targets: data.objectives.slice(1).map((o) => o.target),
      points,
      divisions: sweepDivisions(m, config.sweep.divisions),
      pointsSpec: config.sweep.points,
      metric,
      dataHashes,
      ...(checkpoint ? { checkpoint } : {}),
      cacheRoot: run.cacheRoot,
      onProgress: run.onProgress,
      cosStage: cosStageResult(config, run.cos),
    },
    methods,
  );
  const result = await compareMethods(engine, trained, data.test, metric, reference);
  const split = data.testIsValidation ? 'test split = the validation split (the config gives no test files)' : 'test split';
  const files = await writeComparison(run.out, result, { title: `Methods compared${config.description ? `: ${config.description}` : ''}`, split: `Figures on the ${split}; ${data.source}`, k: config.sweep.k, reference, pngScale: config.report.pngScale });
  return { trained, methods: result.methods, tables: result.tables, files };
}

/**
 * A `cos.mode: "dpo-ls"` run's cos stage and sweep from its DPO-LS front: the default trade-off's model
 * as the run's model, every point's model under `<out>/model-points/point-<i>`, the test table as the sweep.
 */
export async function dpoLsAsCosStage(
  outcome: MethodsOutcome,
  run: { engine: Engine; data: PreparedData; base: TrainedStage; out: string; config: RunConfig },
): Promise<{ cos: TrainedStage; sweep: SweepOutcome }> {
  const i = outcome.trained.findIndex((t) => t.method === 'dpo-ls');
  const t = outcome.trained[i];
  const table = outcome.tables[i].table;
  const m = run.data.objectives.length - 1;
  const centre = defaultPointIndex(t.points.map((p) => p.weights));
  const model = (k: number): SavedModel => ({
    ...t.models[t.points[k].model],
    ...modelInputs(run.data),
    defaultWeights: [],
    metrics: { ...run.base.model.metrics, 'dpo-ls.weights': t.points[k].weights[0], 'dpo-ls.validation.hypervolume': outcome.methods[i].validation.hypervolume },
    info: { stage: 'cos', method: 'dpo-ls', weights: t.points[k].weights, chosenStep: t.chosenStep },
  });
  for (let k = 0; k < t.points.length; k++) await saveModel(path.join(run.out, 'model-points', `point-${k}`), model(k));
  const reference = sweepReference(m, run.config.sweep);
  const metricOptions = sweepMetricOptions(run.config.sweep);
  const baseScores = await run.engine.score(run.base.model.spec, run.base.model.params, { features: run.data.test.features, queryOffsets: run.data.test.queryOffsets });
  const createdAt = new Date().toISOString();
  const seconds = t.trainSeconds + t.validationSeconds;
  const message = `DPO-LS front: ${t.jobs} models (${t.reused ? 'reused from the methods cache' : 'trained'}), common step ${t.chosenStep}; the run's model is w = (${t.points[centre].weights.join(', ')}), every point's model in model-points/`;
  return {
    cos: {
      model: model(centre),
      record: { stage: 'cos', key: 'dpo-ls', createdAt, seconds, details: { bestStep: t.chosenStep, steps: t.chosenStep, stoppedEarly: false, history: [] } },
      outcome: { stage: 'cos', key: 'dpo-ls', dir: path.join(run.out, 'model-points'), reused: t.reused === true, seconds, createdAt, message },
    },
    sweep: { table, front: frontSummary(table, reference), reference, baseTest: evaluateObjectives(baseScores, run.data.test, metricOptions) },
  };
}
