/**
 * cosrank — multi-objective learning to rank with COS-DPO. Public API.
 */
export * from './data/dataset';
export * from './model/spec';
export * from './engine/engine';
export { Rng } from './util/rng';
export { DataError, ConfigError, type ConfigIssue } from './util/errors';
export type { ProgressCallback, ProgressEvent } from './util/progress';
