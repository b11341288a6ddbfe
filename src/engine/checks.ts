/**
 * The one check of every engine input, shared by both engines (issue 10): a ranker's spec/parameters
 * pairing, a scoring input, training-session options and a training batch. Each check lists every
 * problem at once in one `ConfigError` naming the field and what was expected, so code above the
 * engines fails the same way whichever engine runs. Checks are O(size of the metadata) except the
 * offsets scan, which is O(queries).
 */
import type { RankerParameters } from '../model/rankerParameters';
import { isTrainable, parameterShapes, type Parameters, type RankerSpec, type ScorerSpec } from '../model/spec';
import { ConfigError, type ConfigIssue } from '../util/errors';
import type { ListBatch, OptimizerState, ScoreInput, TrainSessionOptions } from './engine';

/** Issues of one scorer's named parameters against its spec's layout (paths under `where`). */
function parameterIssues(spec: ScorerSpec, params: Parameters | undefined, where: string): ConfigIssue[] {
  if (params === undefined) return [{ path: where, value: undefined, expected: 'parameters of the scorer' }];
  const issues: ConfigIssue[] = [];
  for (const [name, shape] of parameterShapes(spec)) {
    const t = params[name];
    if (!t) issues.push({ path: `${where}.${name}`, value: undefined, expected: `a tensor of shape [${shape}]` });
    else if (t.shape.join(',') !== shape.join(',') || t.data.length !== shape.reduce((a, b) => a * b, 1)) {
      issues.push({ path: `${where}.${name}`, value: t.shape, expected: `shape [${shape}] with matching data length` });
    }
  }
  return issues;
}

/** Checks one scorer's parameters against its spec (e.g. parameters restored into a training session). */
export function checkScorerParameters(spec: ScorerSpec, params: Parameters, where: string): void {
  const issues = parameterIssues(spec, params, where);
  if (issues.length > 0) throw new ConfigError(issues, 'parameters');
}

/** Every problem with a ranker's spec/parameters pairing, as one ConfigError. */
export function checkRanker(spec: RankerSpec, params: RankerParameters): void {
  const issues: ConfigIssue[] = [];
  if (spec.base.conditioning.weights !== 0) issues.push({ path: 'spec.base.conditioning.weights', value: spec.base.conditioning.weights, expected: '0 (s0 is unconditioned)' });
  for (const [s, path] of [[spec.base, 'spec.base'], ...(spec.cos ? [[spec.cos.net, 'spec.cos.net'] as const] : [])] as const) {
    if (s.kind === 'transformer' && s.dModel % s.nHeads !== 0) issues.push({ path: `${path}.nHeads`, value: s.nHeads, expected: `a divisor of dModel ${s.dModel}` });
  }
  if (spec.cos && spec.cos.net.inputSize !== spec.base.inputSize) {
    issues.push({ path: 'spec.cos.net.inputSize', value: spec.cos.net.inputSize, expected: `${spec.base.inputSize} (= spec.base.inputSize)` });
  }
  issues.push(...parameterIssues(spec.base, params.base, 'params.base'));
  if (spec.cos) issues.push(...parameterIssues(spec.cos.net, params.cos, 'params.cos'));
  if (issues.length > 0) throw new ConfigError(issues, 'ranker');
}

/** Length m of a ranker's trade-off (0 for a base ranker). */
export function tradeOffLength(spec: RankerSpec): number {
  return spec.cos?.net.conditioning.weights ?? 0;
}

/** Whether a checked scoring input gives one trade-off per query (`weights` of nQueries·m values, nQueries ≠ 1). */
export function weightsPerQuery(spec: RankerSpec, input: ScoreInput): boolean {
  const m = tradeOffLength(spec);
  return spec.cos !== undefined && m > 0 && input.weights !== undefined && input.weights.length !== m;
}

/**
 * Checks a scoring input against the ranker: offsets start at 0 and never decrease, features hold
 * nDocs × inputSize values, and for a COS ranker w has length m or nQueries·m (required when m > 0), β (when given)
 * has length m and positive entries, c (when given) is > 0. A base ranker ignores w, β and c.
 * Returns the number of documents.
 */
export function checkScoreInput(spec: RankerSpec, input: ScoreInput): number {
  const issues: ConfigIssue[] = [];
  const f = spec.base.inputSize;
  const offsets = input.queryOffsets;
  let ordered = offsets.length === 0 || offsets[0] === 0;
  for (let q = 1; q < offsets.length && ordered; q++) if (offsets[q] < offsets[q - 1]) ordered = false;
  if (!ordered) issues.push({ path: 'queryOffsets', value: Array.from(offsets.subarray(0, 8)), expected: 'offsets starting at 0 that never decrease' });
  const nDocs = offsets.length > 0 ? offsets[offsets.length - 1] : 0;
  if (input.features.length !== nDocs * f) issues.push({ path: 'features', value: input.features.length, expected: `${nDocs} × ${f} values` });
  if (spec.cos) {
    const m = tradeOffLength(spec);
    const nQ = Math.max(0, offsets.length - 1);
    if (m > 0 && (input.weights === undefined || (input.weights.length !== m && input.weights.length !== nQ * m))) {
      issues.push({ path: 'weights', value: input.weights?.length, expected: `a trade-off vector of length ${m}, or one per query (${nQ} × ${m} values)` });
    }
    const beta = input.beta;
    if (beta !== undefined) {
      if (m > 0 && beta.length !== m) issues.push({ path: 'beta', value: beta.length, expected: `length ${m}` });
      else if (!beta.every((b) => b > 0)) issues.push({ path: 'beta', value: Array.from(beta), expected: 'positive temperatures' });
    }
    if (input.c !== undefined && !(input.c > 0)) issues.push({ path: 'c', value: input.c, expected: 'a number > 0' });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'score input');
  return nDocs;
}

/** Checks training-session options (the ranker, and the target and loss against the spec). */
export function checkTrainOptions(options: TrainSessionOptions): void {
  const { spec, params, target, loss } = options;
  checkRanker(spec, params);
  const issues: ConfigIssue[] = [];
  if (target === 'cos' && !spec.cos) issues.push({ path: 'target', value: target, expected: "'base' (the spec has no cos network)" });
  if (target === 'base' && loss.kind === 'lipo') issues.push({ path: 'loss.kind', value: loss.kind, expected: "'listnet' or 'listmle' for target 'base'" });
  // a conditioned net's w has one entry per objective; an unconditioned one (DPO-LS, MO-DPO) reads w in the loss only
  const m = tradeOffLength(spec);
  if (loss.kind === 'lipo' && (m > 0 ? loss.targets.length !== m : loss.targets.length < 1)) {
    issues.push({ path: 'loss.targets', value: loss.targets, expected: m > 0 ? `${m} entries (one per auxiliary objective)` : 'at least one entry' });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'train session');
}

/** What a training batch must carry for a session: label arrays, and whether w and β are read. */
export interface BatchNeeds {
  labels: number;
  weights: boolean;
  beta: boolean;
  /** Trade-off length m of the rows of `weights` and `beta`. */
  m: number;
  /** Whether `margin` `[B, N]` is read (LiPO with the margin option). */
  margin: boolean;
  /** Whether precomputed frozen-s0 scores `s0` `[B, N]` may be given (target 'cos': s0 is frozen). */
  s0: boolean;
}

/** The batch inputs a session with these options reads. */
export function batchNeeds(options: TrainSessionOptions): BatchNeeds {
  const { spec, target, loss } = options;
  const lipo = loss.kind === 'lipo';
  const cos = target === 'cos' ? spec.cos : undefined;
  return {
    labels: lipo ? loss.targets.length : 1,
    weights: lipo || (cos !== undefined && cos.net.conditioning.weights > 0),
    beta: lipo || (cos !== undefined && (cos.temperature || cos.net.conditioning.beta)),
    m: lipo ? loss.targets.length : tradeOffLength(spec),
    margin: lipo && loss.margin === true,
    s0: target === 'cos',
  };
}

/** Checks a training batch's array sizes against its shape, the model's input size and `needs`. */
export function checkListBatch(batch: ListBatch, inputSize: number, needs: BatchNeeds): void {
  const { batchSize: B, listSize: N } = batch;
  const issues: ConfigIssue[] = [];
  if (!(Number.isInteger(B) && B >= 1 && Number.isInteger(N) && N >= 1)) issues.push({ path: 'batch.batchSize', value: [B, N], expected: 'positive integer batch and list sizes' });
  if (batch.inputSize !== inputSize || batch.features.length !== B * N * inputSize) issues.push({ path: 'batch.features', value: batch.features.length, expected: `${B} × ${N} × ${inputSize} values` });
  if (batch.mask.length !== B * N) issues.push({ path: 'batch.mask', value: batch.mask.length, expected: `${B * N} values` });
  if (batch.labels.length < needs.labels || batch.labels.some((l) => l.length !== B * N)) {
    issues.push({ path: 'batch.labels', value: batch.labels.map((l) => l.length), expected: `at least ${needs.labels} arrays of ${B * N} values` });
  }
  const m = needs.m;
  if (needs.weights && (batch.weights === undefined || batch.weights.length !== B * m)) issues.push({ path: 'batch.weights', value: batch.weights?.length, expected: `${B} × ${m} values` });
  if (needs.beta && batch.beta !== undefined && batch.beta.length !== B * m) issues.push({ path: 'batch.beta', value: batch.beta.length, expected: `${B} × ${m} values` });
  if (needs.margin && (batch.margin === undefined || batch.margin.length !== B * N || !batch.margin.every(Number.isFinite))) {
    issues.push({ path: 'batch.margin', value: batch.margin?.length, expected: `${B} × ${N} finite values` });
  }
  if (batch.s0 !== undefined) {
    if (!needs.s0) issues.push({ path: 'batch.s0', value: batch.s0.length, expected: "nothing: precomputed s0 scores are for target 'cos' (here s0 is trained)" });
    else if (batch.s0.length !== B * N || !batch.s0.every(Number.isFinite)) issues.push({ path: 'batch.s0', value: batch.s0.length, expected: `${B} × ${N} finite values` });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'list batch');
}

/**
 * Checks parameters and optimizer state restored into a session training `spec`: the parameters match
 * the spec's layout and every trainable tensor has Adam moments of its size.
 */
export function checkRestore(spec: ScorerSpec, params: Parameters, state: OptimizerState): void {
  const issues = parameterIssues(spec, params, 'params');
  for (const [name, shape] of parameterShapes(spec)) {
    if (!isTrainable(name)) continue;
    const size = shape.reduce((a, b) => a * b, 1);
    if (state.m[name]?.data.length !== size || state.v[name]?.data.length !== size) {
      issues.push({ path: `state.${name}`, value: undefined, expected: `Adam moments of shape [${shape}]` });
    }
  }
  if (!(Number.isInteger(state.step) && state.step >= 0)) issues.push({ path: 'state.step', value: state.step, expected: 'an integer ≥ 0' });
  if (issues.length > 0) throw new ConfigError(issues, 'restore');
}
