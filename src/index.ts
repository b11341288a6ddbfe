/**
 * cosrank — multi-objective learning to rank with COS-DPO. Public API (the package's main entry).
 *
 * Layers (docs/architecture.md; each imports only itself and those below): util (errors, atomic writes,
 * hashing, RNG, config validation) ← data (readers, objectives, generator, splits) ← model (specs,
 * parameters, model files) and eval (metrics, sweeps, Pareto, reports) ← engine (ONNX; tfjs optional) ←
 * train (trainers, baselines, sweep scoring) and serve (runtime, HTTP) ← pipeline (the one orchestrator:
 * `runPipeline`, the stage functions, `train`) ← this entry ← cli.
 * The subpath entries `cosrank/data`, `cosrank/eval` and `cosrank/serve` hold the data, evaluation and serving parts alone; this entry has them all plus
 * training and the pipeline. Heavy libraries (onnxruntime, Arrow, Parquet, fastify, Vega, mathjs) load
 * on first use, not at import. The tfjs engine (`createEngine('tfjs')`) needs the optional
 * `@tensorflow/tfjs` package; none of this API's types come from it.
 */
import type * as OnnxEngine from './engine/onnx/engine';
import type * as OnnxExport from './engine/onnx/export';
import type * as ExportRanker from './serve/exportRanker';
import type * as Pipeline from './pipeline/run';
import type * as RunConfigModule from './pipeline/runConfig';
import type * as Pick from './pipeline/pick';
import { lazy } from './entries/lazy';

export * from './entries/data';
export * from './entries/eval';
export * from './entries/serve';
export * from './model/spec';
export * from './engine/engine';
export type { RankerParameters } from './model/rankerParameters';
export { Rng } from './util/rng';
export { DataError, ConfigError, type ConfigIssue } from './util/errors';
export { CATALOGUE as DATASET_CATALOGUE, datasetEntry, DatasetError, type DatasetEntry } from './data/datasets/catalogue';
export { fetchDataset, type FetchDatasetOptions, type FetchResult } from './data/datasets/fetch';
export type { ProgressCallback, ProgressEvent } from './util/progress';
export { createEngine, exportOnnxRanker, MissingPackageError, type EngineOptions, type OnnxExportOptions } from './engine/select';
export { makeBatch, makeBatches, BatchStream, type BatchingOptions } from './train/batching';
export {
  DEFAULTS as TRAIN_DEFAULTS,
  parseTrainConfig,
  applyOverrides,
  configReference,
  configHash,
  type TrainConfig,
  type NetConfig,
  type StageConfig,
  type BaseConfig,
  type CosConfig,
} from './train/config';
export { trainBase, validationNdcg, type TrainOptions, type TrainResult } from './train/baseTraining';
export { trainCos, type BaseModel, type CosTrainResult } from './train/cosTraining';
export { trainFixedWeights } from './train/baselines/fixedWeights';
export { sweepRanker, evaluateCos, type RankerSweepOptions } from './train/sweepScoring';
export { NonFiniteLossError, TrainingAbortedError } from './train/trainer';
export { datasetHash } from './util/hash';
export { packageVersions } from './pipeline/manifest';
export { readDatasets, prepareDatasets } from './pipeline/datasets';
export { saveModel, loadModel, ModelFileError, MODEL_FORMAT_VERSION, type SavedModel } from './model/modelFile';
export type { RunOptions, RunResult } from './pipeline/run';
export type { RunConfig } from './pipeline/runConfig';

export type { ExportReport, ExportOptions } from './serve/exportRanker';

const onnxEngine = lazy(() => require('./engine/onnx/engine') as typeof OnnxEngine);
const onnxExport = lazy(() => require('./engine/onnx/export') as typeof OnnxExport);
const exportRankerModule = lazy(() => require('./serve/exportRanker') as typeof ExportRanker);
const pipeline = lazy(() => require('./pipeline/run') as typeof Pipeline);
const runConfig = lazy(() => require('./pipeline/runConfig') as typeof RunConfigModule);

/** The ONNX engine (onnxruntime-node), loaded on first call; `createEngine()` picks it by default. */
export const createOnnxEngine: typeof OnnxEngine.createOnnxEngine = (...args) => onnxEngine().createOnnxEngine(...args);
/** Writes a ranker as one ONNX inference graph (no verification; see `exportOnnxRanker`). */
export const exportOnnx: typeof OnnxExport.exportOnnx = (...args) => onnxExport().exportOnnx(...args);
/** Exports a saved model folder to ONNX and verifies it (`cosrank export`). */
export const exportRanker: typeof ExportRanker.exportRanker = (...args) => exportRankerModule().exportRanker(...args);
/** The inputs and outputs of the exported graph of a ranker. */
export const exportInterface: typeof ExportRanker.exportInterface = (...args) => exportRankerModule().exportInterface(...args);
/** Runs the whole pipeline of a run config (`cosrank run`): data, base ranker, COS model, sweep, report. */
export const runPipeline: typeof Pipeline.runPipeline = (...args) => pipeline().runPipeline(...args);
/** The stages `runPipeline` would run for a config, and what each costs. */
export const planRun: typeof Pipeline.planRun = (...args) => pipeline().planRun(...args);
/** A run plan as text. */
export const formatPlan: typeof Pipeline.formatPlan = (...args) => pipeline().formatPlan(...args);
const pickModule = lazy(() => require('./pipeline/pick') as typeof Pick);
/** Chooses an operating point under constraints and stores it in the model (`cosrank pick`). */
export const pickOperatingPoint: typeof Pick.pickOperatingPoint = (...args) => pickModule().pickOperatingPoint(...args);
/** Stores request routes in a model, checked against its operating points (`cosrank pick MODEL --routes FILE`). */
export const storeRoutes: typeof Pick.storeRoutes = (...args) => pickModule().storeRoutes(...args);
export type { PickOptions, PickResult, PickFigures } from './pipeline/pick';
export type { OperatingPoint, OperatingPointProvenance, Route } from './model/operatingPoints';
/** Validates a run config (JSON value), reporting every problem at once as a `ConfigError`. */
export const parseRunConfig: typeof RunConfigModule.parseRunConfig = (...args) => runConfig().parseRunConfig(...args);

// Training from a script (src/pipeline/api.ts), loaded on first call like the pipeline above.
import type * as PipelineApi from './pipeline/api';
export type { RunConfigInput, TrainRankerOptions, TrainRankerResult, FrontPoint } from './pipeline/api';
const pipelineApi = lazy(() => require('./pipeline/api') as typeof PipelineApi);
/** Runs the whole pipeline from a config object; returns the models, the front and the report paths. */
export const trainRanker: typeof PipelineApi.trainRanker = (...args) => pipelineApi().trainRanker(...args);
