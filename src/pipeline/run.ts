/**
 * `cosrank run`: the whole pipeline from one config (see runConfig.ts), as a pure plan and its execution.
 *
 *   data      read / generate, split by query, declare objectives          cache <out>/cache/data-<key>
 *   base      train s0 on the main objective (or reuse)                    cache <out>/cache/base-<key>
 *   cos       train the COS-DPO ranker against frozen s0 (or reuse)        cache <out>/cache/cos-<key>
 *   sweep     NDCG@k of every objective at each weight point of the test split; Pareto front, hypervolume
 *   outputs   <out>/model (the COS model, s0 inside), sweep.csv + sweep.json, front.json, front.png/.svg,
 *             training.png/.svg, report.md, summary.json, run.json (manifest)
 *
 * Cache keys chain: data key = sha256(input bytes or generator options, reader options, split, objectives);
 * base key = sha256(train and validation content hashes, seed, engine, model, base settings); cos key =
 * sha256(base key, the same content hashes, seed, engine, cos settings). Changing only the sweep reuses
 * both models; changing only cos settings reuses the base ranker. Each reuse is reported through the
 * progress callback and in `RunOutcome.stages`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { documentCount, queryCount } from '../data/dataset';
import type { ResolvedObjective } from '../data/objectives';
import { objectiveInputMapping } from '../data/objectives';
import { objectiveDefsOf } from '../data/presets';
import { createEngine } from '../engine/select';
import type { Engine } from '../engine/engine';
import type { RankerParameters } from '../model/rankerParameters';
import { frontSummary, hypervolume, type FrontSummary } from '../eval/hypervolume';
import { evaluateObjectives, type ObjectiveMetric } from '../eval/metrics';
import { sweep, weightGrid, type SweepTable } from '../eval/sweep';
import { writeReport, type MethodSummary, type ReportInput } from '../eval/report';
import type { TrainingLogEntry } from '../eval/trainingLog';
import { loadModel, saveModel, type SavedModel } from '../model/modelFile';
import { parameterCount, type RankerSpec } from '../model/spec';
import { trainBase } from '../train/baseTraining';
import { trainCos } from '../train/cosTraining';
import { DEFAULTS as TRAIN_DEFAULTS, type NetConfig, type TrainConfig } from '../train/config';
import { datasetHash, datasetSummary, packageVersions, writeManifest } from '../train/manifest';
import { ConfigError } from '../util/errors';
import { noProgress, type ProgressCallback } from '../util/progress';
import { readStageRecord, resetStageDir, stageDir, stageKey, writeStageRecord, type CacheStage, type StageRecord } from './cache';
import { prepareData, type PreparedData } from './loadData';
import { DEFAULT_GENERATE, generatorOptions, type RunConfig } from './runConfig';

// ---------------------------------------------------------------------------------------------------
// Plan

export interface PlanStep {
  stage: 'data' | 'objectives' | 'base' | 'cos' | 'sweep' | 'outputs';
  /** What the stage will do, one line. */
  action: string;
}

/** What a run will do, derived from the config alone (no file is read, nothing is trained). */
export interface RunPlan {
  description: string;
  out: string | null;
  cacheDir: string | null;
  steps: PlanStep[];
}

/** Number of simplex-lattice points with H divisions in m dimensions: C(H + m − 1, m − 1). */
export function latticeSize(divisions: number, m: number): number {
  let n = 1;
  for (let i = 1; i < m; i++) n = (n * (divisions + i)) / i;
  return Math.round(n);
}

/** Sweep divisions: the configured H, else 10 when that gives ≤ 100 points, else the largest H that does. */
export function sweepDivisions(m: number, divisions: number | null): number {
  if (divisions !== null) return divisions;
  for (let h = 10; h > 1; h--) if (latticeSize(h, m) <= 100) return h;
  return 1;
}

function netText(net: NetConfig): string {
  return net.kind === 'mlp'
    ? `MLP [${net.hidden.join(', ')}] ${net.activation}`
    : `transformer ${net.nLayers} layers, d=${net.dModel}, ${net.nHeads} heads, ff ${net.ffHidden}, ${net.activation}`;
}

function stepsText(stage: TrainConfig['base'] | TrainConfig['cos']): string {
  const length = stage.epochs !== null ? `${stage.epochs} epochs` : `≤ ${stage.maxSteps} steps`;
  const stop = stage.patience > 0 ? `, early stop after ${stage.patience} without gain` : '';
  return `${length} × ${stage.listsPerBatch} lists, lr ${stage.optimizer.learningRate}, validate every ${stage.validateEvery}${stop}`;
}

function filesText(files: string[]): string {
  return files.map((f) => path.basename(f)).join(' + ');
}

/** Number of auxiliary objectives when the config fixes it (declared objectives or generated labels), else null. */
export function plannedAuxiliaryCount(config: RunConfig): number | null {
  if (config.objectives !== null) return objectiveDefsOf(config.objectives, []).length - 1;
  const sourceless = config.data.file === null && config.data.train === null;
  if (sourceless) {
    const g = generatorOptions(config.data.generate ?? DEFAULT_GENERATE, config.seed);
    return g.objectives ? g.objectives.length : 3;
  }
  return null;
}

/** The plan of a run (pure: reads no file). `--dry-run` prints it. */
export function planRun(config: RunConfig): RunPlan {
  const d = config.data;
  const splitSeed = d.split.seed ?? config.seed;
  const split = `split by query ${d.split.ratios.join('/')} (seed ${splitSeed})`;
  let data: string;
  if (d.train !== null) {
    const sameAsValidation = d.test === null || d.test.join('\u0000') === (d.validation ?? []).join('\u0000');
    const test = sameAsValidation ? `${filesText(d.validation ?? [])} (the validation files: the validation split doubles as test)` : filesText(d.test ?? []);
    data = `read train ${filesText(d.train)}; validation ${filesText(d.validation ?? [])}; test ${test}`;
  } else if (d.file !== null) {
    data = `read ${filesText(d.file)}, ${split}`;
  } else {
    const g = generatorOptions(d.generate ?? DEFAULT_GENERATE, config.seed);
    data = `generate ${g.queries} MSLR-shaped queries (${g.nFeatures} features, ~${g.meanListLength} documents each, seed ${g.seed}), ${split}`;
  }
  const defs = config.objectives === null ? null : objectiveDefsOf(config.objectives, []);
  const objectives = defs
    ? `${typeof config.objectives === 'string' ? `preset '${config.objectives}': ` : ''}${defs.map((o, i) => (i === 0 ? `${o.name} (main)` : o.name)).join(', ')}` +
      (defs.some((o) => o.grading.kind === 'quantile') ? '; quantile cut points fitted on train, frozen for validation and test' : '')
    : 'the label columns as they are (first = main)';
  const m = plannedAuxiliaryCount(config);
  const sweepText =
    m === null
      ? `simplex lattice over the auxiliary weights (${config.sweep.divisions === null ? 'divisions by m' : `H = ${config.sweep.divisions}`})`
      : `${latticeSize(sweepDivisions(m, config.sweep.divisions), m)} weight points (lattice H = ${sweepDivisions(m, config.sweep.divisions)}, m = ${m})`;
  const s = config.sweep;
  const cos = config.cos;
  const out = config.out;
  return {
    description: config.description,
    out,
    cacheDir: out === null ? null : path.join(out, 'cache'),
    steps: [
      { stage: 'data', action: data },
      { stage: 'objectives', action: objectives },
      { stage: 'base', action: `train s0: ${netText(config.model)}, ${config.base.loss}, ${stepsText(config.base)}; engine ${config.engine}; reused from the cache when unchanged` },
      {
        stage: 'cos',
        action:
          `train ${cos.mode === 'tcos' ? 'T-COS' : cos.mode === 'wcos' ? 'W-COS' : 'DPO-LS'} (${cos.parametrisation}): ${netText(cos.net)}, ${stepsText(cos)}, ` +
          `β ${cos.beta ? `[${cos.beta.join(', ')}]` : '1'}, α ${cos.alpha ? `[${cos.alpha.join(', ')}]` : '1'}, λ ${cos.lambda}, early stopping on validation hypervolume; reused when unchanged`,
      },
      { stage: 'sweep', action: `${sweepText} on the test split: NDCG@${s.k} (gain ${s.gain}, IDCG=0 ${s.idcgZero}, ties ${s.ties}), c = ${s.c}; Pareto front and hypervolume` },
      { stage: 'outputs', action: `${out ?? '<out>'}: model/, sweep.csv, sweep.json, front.json, front.png/.svg, training.png/.svg, report.md, summary.json, run.json` },
    ],
  };
}

/** The plan as text, one stage a line. */
export function formatPlan(plan: RunPlan): string {
  const lines = [`Plan${plan.description ? ` — ${plan.description}` : ''}`];
  for (const s of plan.steps) lines.push(`  ${s.stage.padEnd(11)}${s.action}`);
  if (plan.cacheDir) lines.push(`  ${'cache'.padEnd(11)}${plan.cacheDir} (each stage keyed by a content hash)`);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------------
// Execution

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
  files: { model: string; report: string; sweepCsv: string; sweepJson: string; frontJson: string; plots: string[]; manifest: string };
  /** Wall time of this run. */
  seconds: number;
}

export interface RunResult {
  plan: RunPlan;
  /** null for a dry run. */
  outcome: RunOutcome | null;
}

/** The training part of a run config, as the trainers take it. */
function trainConfigOf(config: RunConfig): TrainConfig {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(TRAIN_DEFAULTS)) out[k] = config[k as keyof TrainConfig];
  return out as unknown as TrainConfig;
}

const SHORT = 16;

/** What happened to a stage, without its label: `reusing cache base-3f2a… (trained in 12.3 s at …)`. */
function describeStage(stage: CacheStage, key: string, reused: boolean, record: StageRecord, verb: string): string {
  const id = `${stage}-${key.slice(0, SHORT)}`;
  return reused ? `reusing cache ${id} (${verb} in ${record.seconds.toFixed(1)} s at ${record.createdAt})` : `${verb} in ${record.seconds.toFixed(1)} s, cached as ${id}`;
}

function objectiveDefinition(o: ResolvedObjective, featureNames: string[]): string {
  const s = o.source;
  const from = 'label' in s ? `label column '${s.label}'` : 'feature' in s ? `feature ${s.feature} (${featureNames[s.feature - 1] ?? '?'})` : `expression \`${s.expression}\``;
  const g = o.grading;
  const grading =
    g.kind === 'asIs'
      ? `graded as is${g.max !== undefined ? ` (0..${g.max})` : ''}`
      : g.kind === 'clip'
        ? `clipped to 0..${g.max}`
        : `${g.buckets} quantile buckets, cut points fitted on train [${(o.cutPoints ?? []).map((c) => Number(c.toPrecision(4))).join(', ')}]`;
  const parts = [from, `${o.invert ? 'inverted (larger raw is worse), ' : ''}${grading}`, `${o.target} target`];
  if (o.droppedFeatures.length) parts.push(`feature${o.droppedFeatures.length > 1 ? 's' : ''} ${o.droppedFeatures.join(', ')} dropped from the input`);
  return parts.join('; ');
}

interface TrainedStage {
  model: SavedModel;
  record: StageRecord;
  outcome: StageOutcome;
}

/** Base model description for the model file. */
function savedModel(data: PreparedData, spec: RankerSpec, params: RankerParameters, metrics: Record<string, number>, info: Record<string, unknown>): SavedModel {
  const m = data.objectives.length - 1;
  return {
    spec,
    params,
    objectives: data.objectives,
    rawFeatureCount: data.rawFeatureCount,
    inputFeatures: Array.from(objectiveInputMapping(data.objectives, data.rawFeatureCount)),
    inputFeatureNames: [...data.train.featureNames],
    defaultWeights: spec.cos ? new Array<number>(m).fill(1 / m) : [],
    metrics,
    info,
  };
}

/** Runs a training stage or loads it from its cache folder. */
async function cachedTraining(
  cacheRoot: string,
  stage: 'base' | 'cos',
  key: string,
  label: string,
  onProgress: ProgressCallback,
  train: (dir: string) => Promise<{ model: SavedModel; seconds: number; details: Record<string, unknown> }>,
): Promise<TrainedStage> {
  const dir = stageDir(cacheRoot, stage, key);
  const modelDir = path.join(dir, 'model');
  let record = await readStageRecord(dir, key);
  // a record whose model no longer loads (deleted, corrupted) counts as a miss: the stage is rebuilt
  let model: SavedModel | null = record ? await loadModel(modelDir).catch(() => null) : null;
  const reused = record !== null && model !== null;
  if (!record || !model) {
    // without a record the folder may hold checkpoints of an interrupted run (resumed by the trainer): keep it
    if (record) await resetStageDir(dir);
    else await mkdir(dir, { recursive: true });
    const r = await train(dir);
    model = r.model;
    await saveModel(modelDir, model);
    record = { stage, key, createdAt: new Date().toISOString(), seconds: r.seconds, details: r.details };
    await writeStageRecord(dir, record);
  }
  const text = describeStage(stage, key, reused, record, 'trained');
  onProgress({ stage: label, done: 1, total: 1, message: text });
  return { model, record, outcome: { stage, key, dir, reused, seconds: record.seconds, createdAt: record.createdAt, message: `${label}: ${text}` } };
}

/**
 * Executes a run (or, with `dryRun`, only plans it). Library code: reports through `onProgress`, throws
 * ConfigError/DataError, prints nothing.
 */
export async function runPipeline(config: RunConfig, options: RunOptions = {}): Promise<RunResult> {
  const out = options.out ?? config.out;
  const plan = planRun({ ...config, out: out ?? null });
  if (options.dryRun) return { plan, outcome: null };
  if (out === null || out === undefined) throw new ConfigError([{ path: 'out', value: null, expected: 'an output folder (config "out" or --out)' }], 'run');
  const onProgress = options.onProgress ?? noProgress;
  const started = Date.now();
  const cacheRoot = path.join(out, 'cache');
  await mkdir(cacheRoot, { recursive: true });
  const trainConfig = trainConfigOf(config);

  // data
  const dataStage = await prepareData(config, cacheRoot, onProgress);
  const data = dataStage.data;
  const dataText = describeStage('data', dataStage.key, dataStage.reused, dataStage.record, 'prepared');
  onProgress({ stage: 'data', done: 1, total: 1, message: dataText });
  const dataMessage = `data: ${dataText}`;
  const m = data.objectives.length - 1;
  if (m < 1) {
    throw new ConfigError([{ path: 'objectives', value: data.objectives.map((o) => o.name), expected: 'a main objective and at least one auxiliary objective' }], 'run');
  }
  const hashes = { train: datasetHash(data.train), validation: datasetHash(data.validation) };

  const engine: Engine = await createEngine(config.engine, { tfjs: { backend: config.backend } });
  onProgress({ stage: 'engine', done: 1, total: 1, message: `${engine.name} — ${engine.description}` });
  // one checkpoint folder per stage and key: a configured folder gets a `<stage>-<key>` subfolder, so the base
  // and COS stages (and runs with other keys) never meet each other's checkpoint.bin
  const checkpoint = (dir: string) =>
    config.checkpoint.every > 0 ? { checkpointDir: config.checkpoint.dir !== null ? path.join(config.checkpoint.dir, path.basename(dir)) : path.join(dir, 'checkpoints'), resume: true } : {};

  // base ranker
  const baseKey = stageKey({ stage: 'base', version: 1, data: hashes, seed: config.seed, engine: config.engine, backend: config.backend, model: config.model, base: config.base });
  const base = await cachedTraining(cacheRoot, 'base', baseKey, 'base ranker', onProgress, async (dir) => {
    const r = await trainBase(engine, data.train, data.validation, trainConfig, { onProgress, ...checkpoint(dir) });
    const details = { steps: r.steps, bestStep: r.bestStep, stoppedEarly: r.stoppedEarly, metrics: r.metrics, history: r.history };
    return { model: savedModel(data, r.spec, r.params, prefixed('base.validation.', r.metrics), { stage: 'base', key: baseKey, engine: engine.name }), seconds: r.seconds, details };
  });

  // COS-DPO ranker
  const targets = data.objectives.slice(1).map((o) => o.target);
  const cosKey = stageKey({
    stage: 'cos',
    version: 1,
    base: baseKey,
    data: hashes,
    targets,
    seed: config.seed,
    engine: config.engine,
    backend: config.backend,
    cos: config.cos,
  });
  const cos = await cachedTraining(cacheRoot, 'cos', cosKey, 'COS-DPO ranker', onProgress, async (dir) => {
    const r = await trainCos(engine, { spec: base.model.spec, params: base.model.params }, data.train, data.validation, trainConfig, { targets, onProgress, ...checkpoint(dir) });
    const details = { steps: r.steps, bestStep: r.bestStep, stoppedEarly: r.stoppedEarly, metrics: r.metrics, history: r.history, validationSweep: r.sweep };
    const metrics = { ...base.model.metrics, ...prefixed('cos.validation.', r.metrics) };
    return { model: savedModel(data, r.spec, r.params, metrics, { stage: 'cos', key: cosKey, baseKey, engine: engine.name }), seconds: r.seconds, details };
  });

  // sweep on the test split
  const s = config.sweep;
  const metricOptions = { k: s.k, gain: s.gain, idcgZero: s.idcgZero, ties: s.ties };
  const reference = s.reference ?? new Array<number>(m).fill(0);
  if (reference.length !== m) throw new ConfigError([{ path: 'sweep.reference', value: s.reference, expected: `${m} numbers, one per auxiliary objective` }], 'run');
  const points = weightGrid(m, { divisions: sweepDivisions(m, s.divisions) });
  const cosModel = cos.model;
  // T-COS scores at the configured temperatures (all ones when none are given), as its validation did
  const beta = config.cos.mode === 'tcos' && config.cos.beta ? Float32Array.from(config.cos.beta) : undefined;
  const table = await sweep(
    (features, queryOffsets, weights) => engine.score(cosModel.spec, cosModel.params, { features, queryOffsets, weights, beta, c: s.c }),
    data.test,
    points,
    { ...metricOptions, onProgress },
  );
  const front = frontSummary(table, reference);
  const baseScores = await engine.score(base.model.spec, base.model.params, { features: data.test.features, queryOffsets: data.test.queryOffsets });
  const baseTest = evaluateObjectives(baseScores, data.test, metricOptions);

  // outputs
  await mkdir(out, { recursive: true });
  const modelDir = path.join(out, 'model');
  const testMetrics = { 'test.hypervolume': front.hypervolume, 'test.mainNdcg.mean': front.mainMean, 'test.mainNdcg.std': front.mainStd };
  await saveModel(modelDir, { ...cosModel, metrics: { ...cosModel.metrics, ...testMetrics } });
  const sweepJson = path.join(out, 'sweep.json');
  await writeFile(sweepJson, JSON.stringify({ ...table, front: front.front, hypervolume: front.hypervolume, reference, mainNdcg: { mean: front.mainMean, std: front.mainStd } }, null, 2) + '\n');
  const frontJson = path.join(out, 'front.json');
  await writeFile(
    frontJson,
    JSON.stringify(
      {
        objectives: table.objectives,
        k: table.k,
        reference,
        hypervolume: front.hypervolume,
        points: front.front.map((i) => ({ point: i, weights: table.rows[i].weights, ndcg: table.rows[i].ndcg })),
      },
      null,
      2,
    ) + '\n',
  );

  const stages: StageOutcome[] = [
    { stage: 'data', key: dataStage.key, dir: dataStage.dir, reused: dataStage.reused, seconds: dataStage.record.seconds, createdAt: dataStage.record.createdAt, message: dataMessage },
    base.outcome,
    cos.outcome,
  ];
  const baseParameters = parameterCount(base.model.params.base);
  const cosParameters = parameterCount(cosModel.params.cos ?? {});
  const baseAux = baseTest.slice(1).map((r) => r.mean);
  const baseline: MethodSummary = {
    method: 'base ranker s0 (one point)',
    hypervolume: baseAux.every((v) => Number.isFinite(v)) ? hypervolume([baseAux], reference) : undefined,
    mainNdcg: { mean: baseTest[0].mean, std: 0 },
    trainingSeconds: base.record.seconds,
    parameters: baseParameters,
  };
  const cosDetails = cos.record.details as { bestStep: number; steps: number; stoppedEarly: boolean; history: TrainingLogEntry[] };
  const reportInput: ReportInput = {
    title: config.report.title ?? `cosrank run${config.description ? `: ${config.description}` : ''}`,
    dataset: {
      source: data.source,
      'train (queries / documents)': `${queryCount(data.train)} / ${documentCount(data.train)}`,
      'validation (queries / documents)': `${queryCount(data.validation)} / ${documentCount(data.validation)}`,
      'test (queries / documents)': `${queryCount(data.test)} / ${documentCount(data.test)}${data.testIsValidation ? ' (= validation)' : ''}`,
      'features (raw / model input)': `${data.rawFeatureCount} / ${data.train.nFeatures}`,
    },
    objectives: data.objectives.map((o) => ({ name: o.name, definition: objectiveDefinition(o, data.rawFeatureNames) })),
    policy: {
      gain: s.gain,
      k: s.k,
      idcgZero: s.idcgZero,
      ties: s.ties,
      idcgZeroQueries: Object.fromEntries(table.objectives.map((o, j) => [o, table.counts[j]?.skipped ?? 0])),
    },
    metricTables: [{ title: 'Base ranker s0 on the test split', rows: baseTest }],
    sweep: table,
    reference,
    summary: front,
    method: `${config.cos.mode === 'tcos' ? 'T-COS' : config.cos.mode === 'wcos' ? 'W-COS' : 'DPO-LS'}-DPO (this run)`,
    training: { seconds: cos.record.seconds, parameters: cosParameters },
    baselines: [baseline],
    notes: [
      ...stages.map((st) => st.message),
      `COS model: best validation at step ${cosDetails.bestStep} of ${cosDetails.steps}${cosDetails.stoppedEarly ? ' (stopped early)' : ''}; training time and parameters in the summary are the COS network's (s0 is listed separately).`,
      `engine: ${engine.name} (${engine.description})`,
      ...(s.c !== 1 ? [`the sweep scores with the post-training temperature factor c = ${s.c} (s_c = (1 − 1/c)·s0 + (1/c)·s)`] : []),
      ...(data.testIsValidation ? ['the config gives no test files: the sweep is on the validation split, which also drove early stopping'] : []),
    ],
  };
  const written = await writeReport(out, reportInput, { trainingLog: cosDetails.history, png: { scale: config.report.pngScale } });
  const plots = written.files.filter((f) => /\.(png|svg)$/.test(f));

  const outcome: RunOutcome = {
    out,
    engine: { name: engine.name, description: engine.description },
    stages,
    source: data.source,
    objectives: data.objectives,
    splits: {
      train: { queries: queryCount(data.train), documents: documentCount(data.train) },
      validation: { queries: queryCount(data.validation), documents: documentCount(data.validation) },
      test: { queries: queryCount(data.test), documents: documentCount(data.test) },
    },
    baseTest,
    sweep: table,
    front,
    reference,
    training: { baseSeconds: base.record.seconds, cosSeconds: cos.record.seconds, baseParameters, cosParameters, cosBestStep: cosDetails.bestStep },
    files: { model: modelDir, report: written.report, sweepCsv: path.join(out, 'sweep.csv'), sweepJson, frontJson, plots, manifest: path.join(out, 'run.json') },
    seconds: (Date.now() - started) / 1000,
  };
  await writeManifest(out, {
    command: 'cosrank run',
    createdAt: new Date().toISOString(),
    config,
    seed: config.seed,
    engine: outcome.engine,
    packages: packageVersions(),
    data: { source: data.source, train: datasetSummary(data.train), validation: datasetSummary(data.validation), test: datasetSummary(data.test) },
    stages: stages.map(({ message: _m, ...st }) => st),
    figures: { hypervolume: front.hypervolume, reference, mainNdcg: { mean: front.mainMean, std: front.mainStd }, front: front.front },
    training: outcome.training,
    seconds: outcome.seconds,
  });
  await writeFile(path.join(out, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  return { plan, outcome };
}

function prefixed(prefix: string, metrics: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(metrics).map(([k, v]) => [prefix + k, v]));
}
