/**
 * cosrank — multi-objective learning to rank with COS-DPO. Public API.
 *
 * Stages: data (readers, objectives, generator, splits) → model (specs, parameters, model files)
 * → engine (tfjs, ONNX) → train (losses, COS-DPO trainer) → eval (metrics, sweeps, Pareto, reports)
 * → serve (runtime, HTTP).
 */
export * from './data/dataset';
export { readDataset, writeDataset, formatFromPath, DATA_FORMATS, type DataFormat, type ReadOptions } from './data/read';
export { readLetor, writeLetor, type LetorReadOptions } from './data/letor';
export { readArrow, writeArrow, type ArrowReadOptions } from './data/arrow';
export { readCsv, type CsvReadOptions } from './data/csv';
export { readParquet, writeParquet } from './data/parquet';
export { inspectDataset, formatSummary, type DatasetSummary } from './data/inspect';
export * from './model/spec';
export * from './engine/engine';
export type { RankerParameters } from './model/rankerParameters';
export * from './eval/metrics';
export * from './eval/sweep';
export * from './eval/pareto';
export * from './eval/hypervolume';
export { Rng } from './util/rng';
export { DataError, ConfigError, type ConfigIssue } from './util/errors';
export type { ProgressCallback, ProgressEvent } from './util/progress';
export { frontPlotSpec, scatterMatrixSpec, trainingCurvesSpec } from './eval/plots';
export { renderSvg, renderPng, svgToPng } from './eval/render';
export { buildReport, writeReport, type ReportInput } from './eval/report';
export { readScores, formatScores } from './eval/scoresFile';
export { readTrainingLog, type TrainingLogEntry } from './eval/trainingLog';
export { createEngine, exportOnnxRanker, type OnnxExportOptions } from './engine/select';
export { createTfjsEngine, type TfjsEngineOptions } from './engine/tfjs/engine';
export { selectBackend, type BackendRequest } from './engine/tfjs/backend';
export { listNetLoss, listMleLoss, lipoLoss, cosinePenalty, cosDpoLoss } from './engine/tfjs/losses';
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
export { trainCos, trainDpoLs, type BaseModel, type CosTrainResult, type DpoLsResult } from './train/cosTraining';
export { sweepRanker, evaluateCos, type RankerSweepOptions } from './train/sweepScoring';
export { NonFiniteLossError, TrainingAbortedError } from './train/trainer';
export { datasetHash } from './util/hash';
export { packageVersions } from './pipeline/manifest';
export { readDatasets, prepareDatasets } from './pipeline/datasets';
export { concatDatasets } from './data/concat';
export { saveModel, loadModel, ModelFileError, MODEL_FORMAT_VERSION, type SavedModel } from './model/modelFile';
export {
  parseObjectives,
  applyObjectives,
  objectiveInputMapping,
  gradeValue,
  type ObjectiveDef,
  type ResolvedObjective,
} from './data/objectives';
export { presetObjectives, objectiveDefsOf, PRESET_NAMES, type PresetName } from './data/presets';
export { splitByQuery } from './data/split';
export { generateSynthetic, generateToArrow, type GeneratorOptions } from './data/generate';
export {
  Ranker,
  type ServingModel,
  type CandidateDocument,
  type TradeOff,
  type RerankOptions,
  type RankedDocument,
  type RankerLoadOptions,
} from './serve/ranker';
export { RequestError, resolveWeights, resolveBeta, resolveFactor, type WeightsInput } from './serve/tradeoff';
export { loadServingModel, servingModelOf } from './serve/loadServingModel';
export { createServer, type ServerOptions } from './serve/http';
export { exportRanker, exportInterface, type ExportReport, type ExportOptions, type GraphValue } from './serve/exportRanker';
export { runPipeline, planRun, formatPlan } from './pipeline/run';
export { parseRunConfig, type RunConfig } from './pipeline/runConfig';
export { createOnnxEngine } from './engine/onnx/engine';
export { exportOnnx } from './engine/onnx/export';
