/**
 * COS-DPO fine-tuning (DESIGN.md §1) of a conditioned network against a frozen base ranker s0:
 *
 * - `wcos`  (Weight-COS): each step draws w ~ Dirichlet(α) (one per step, or one per query with
 *           `weightSampling: 'query'`) and minimises Σ_j w_j·L_j(β_j) − λ·cos(w, L); β is the fixed vector.
 * - `tcos`  (Temperature-COS): as wcos, and each β_j ~ U[betaRange] is drawn with w; β̄ = β/‖β‖₁ is a
 *           network input and the output is mixed with s0 by 1/‖β‖₁ (the engine applies the spec).
 * - `dpo-ls` is refused here: a fixed-w model takes no w input, so it is trained by
 *           baselines/fixedWeights.ts (one w) or baselines/methods.ts (the DPO-LS front).
 *
 * Auxiliary objectives are `labels[1..m]` of the datasets (`labels[0]`, the main objective, is only
 * reported). With the default augmentation parametrisation the network's output layer starts at 0, so
 * training starts exactly at s0. Early stopping maximises the hypervolume (reference point 0) of the
 * auxiliary validation NDCG@k over the weight grid (11 points for m = 2), with the mean main NDCG@k over
 * the same points reported beside it; the best parameters are returned.
 */
import type { RankingDataset } from '../data/dataset';
import type { Engine, ListBatch } from '../engine/engine';
import type { RankerParameters } from '../model/rankerParameters';
import { weightPoints, type SweepTable } from '../eval/sweep';
import type { ResolvedObjective } from '../data/objectives';
import { initParameters, type Parameters, type RankerSpec } from '../model/spec';
import { ConfigError } from '../util/errors';
import { Rng } from '../util/rng';
import { BatchStream, perListWeights, type BatchStreamState } from './batching';
import { loopCheckpoint, loopReport, type TrainOptions, type TrainResult } from './baseTraining';
import { configHash, DEFAULT_DIRICHLET_ALPHA, scorerSpecOf, stageSteps, type TrainConfig } from './config';
import { datasetHash, parametersHash } from '../util/hash';
import { frozenBaseScores } from './frozenBase';
import { evaluateCos } from './sweepScoring';
import { runTrainingLoop, type BatchSource, type Validation } from './trainer';

/** A trained base ranker s0 (only `spec.base` and `params.base` are used). */
export interface BaseModel {
  spec: RankerSpec;
  params: RankerParameters;
}

export interface CosTrainOptions extends TrainOptions {
  /** Loss target per auxiliary objective; default from `train.metadata.objectives`, else 'sparse'. */
  targets?: ('sparse' | 'dense')[];
}

export interface CosTrainResult extends TrainResult {
  /** Validation sweep of the returned model (rows: weights, NDCG main first). */
  sweep: SweepTable;
  /** Hypervolume of the auxiliary NDCGs of `sweep` (reference point 0). */
  hypervolume: number;
}

/** Mixes generator streams so the COS stage never replays the base stage's draws for the same seed. */
const COS_STREAM = 0x0c05d90;

/** Key of the early-stopping figure and of the reported main figure. */
export const HYPERVOLUME_KEY = 'hypervolume';
export function meanMainKey(ds: RankingDataset, k: number): string {
  return `mean ${ds.labelNames[0]} NDCG@${k}`;
}

/** Number of auxiliary objectives of a dataset (label columns after the main one). */
export function auxiliaryCount(ds: RankingDataset): number {
  return ds.labels.length - 1;
}

function targetsOf(ds: RankingDataset, m: number, given?: ('sparse' | 'dense')[]): ('sparse' | 'dense')[] {
  if (given) return given;
  const objectives = ds.metadata?.objectives as ResolvedObjective[] | undefined;
  if (Array.isArray(objectives) && objectives.length === m + 1) return objectives.slice(1).map((o) => o.target);
  return new Array<'sparse' | 'dense'>(m).fill('sparse');
}

/** Checks the per-objective vectors of the config against m; returns them filled. */
function vectorsFor(config: TrainConfig, m: number): { alpha: number[]; beta: number[] } {
  const issues = [];
  if (config.cos.mode === 'dpo-ls') {
    // a conditioned network trained at one w would not be the DPO-LS baseline (its net takes no w input)
    issues.push({ path: 'cos.mode', value: 'dpo-ls', expected: `'wcos' or 'tcos' for trainCos (dpo-ls: trainFixedWeights, or the methods stage for the front)` });
  }
  for (const [path, v] of [['cos.alpha', config.cos.alpha], ['cos.beta', config.cos.beta]] as const) {
    if (v !== null && v.length !== m) issues.push({ path, value: v, expected: `${m} entries, one per auxiliary objective` });
  }
  if (issues.length) throw new ConfigError(issues, 'config');
  return { alpha: config.cos.alpha ?? new Array<number>(m).fill(DEFAULT_DIRICHLET_ALPHA), beta: config.cos.beta ?? new Array<number>(m).fill(1) };
}

/**
 * Adds the trade-off `weights` and temperatures `beta` (`[B, m]` each) to the batches of a stream;
 * saves and restores its generator together with the stream's.
 */
class CosBatchSource implements BatchSource {
  constructor(
    private readonly stream: BatchStream,
    private readonly draw: (rng: Rng) => { w: ArrayLike<number>; beta: ArrayLike<number> },
    private readonly perQuery: boolean,
    private readonly m: number,
    private readonly rng: Rng,
  ) {}

  next(): ListBatch {
    const batch = this.stream.next();
    // one draw for the whole batch, or one per list: list 0 draws first, then each later list in order
    let sample = this.draw(this.rng);
    const row = (b: number) => {
      if (this.perQuery && b > 0) sample = this.draw(this.rng);
      return sample;
    };
    return { ...batch, ...perListWeights(batch.batchSize, this.m, row) };
  }

  getState(): { stream: BatchStreamState; rng: ReturnType<Rng['getState']> } {
    return { stream: this.stream.getState(), rng: this.rng.getState() };
  }

  setState(state: { stream: BatchStreamState; rng: ReturnType<Rng['getState']> }): void {
    this.stream.setState(state.stream);
    this.rng.setState(state.rng);
  }
}

/** Checks the data against each other and s0; returns m, the number of auxiliary objectives. */
function checkCosData(base: BaseModel, train: RankingDataset, validation: RankingDataset): number {
  const m = auxiliaryCount(train);
  if (m < 1) throw new Error(`COS training needs at least one auxiliary objective; the training data has only '${train.labelNames[0]}'`);
  if (auxiliaryCount(validation) !== m || validation.nFeatures !== train.nFeatures) {
    throw new Error(`validation must have the training data's objectives and features (${train.labelNames.join(', ')}; ${train.nFeatures} features)`);
  }
  if (base.spec.base.inputSize !== train.nFeatures) {
    throw new Error(`the base ranker takes ${base.spec.base.inputSize} features, the training data has ${train.nFeatures}`);
  }
  return m;
}

/** The COS ranker's spec and its network's initial parameters (drawn from `initRng`). */
function initialCosRanker(base: BaseModel, config: TrainConfig, nFeatures: number, m: number, initRng: Rng): { spec: RankerSpec; net: Parameters } {
  const c = config.cos;
  const temperature = c.mode === 'tcos';
  // DPO-LS nets take w too (constant within a run): the engine's LiPO loss reads the batch's w per list.
  const netSpec = scorerSpecOf(c.net, nFeatures, { weights: m, beta: temperature });
  const spec: RankerSpec = { base: base.spec.base, cos: { net: netSpec, parametrisation: c.parametrisation, temperature } };
  const net = initParameters(netSpec, initRng, c.parametrisation === 'augment' ? 0 : 1);
  // The network sees the same standardised features as s0.
  net['input.mean'] = { shape: [...base.params.base['input.mean'].shape], data: base.params.base['input.mean'].data.slice() };
  net['input.scale'] = { shape: [...base.params.base['input.scale'].shape], data: base.params.base['input.scale'].data.slice() };
  return { spec, net };
}

/**
 * Validation of a COS run: the sweep over the weight grid, its early-stopping figure (the hypervolume)
 * and the mean main NDCG beside it.
 */
function cosValidation(engine: Engine, spec: RankerSpec, base: BaseModel, validation: RankingDataset, config: TrainConfig, m: number, beta: number[]) {
  const c = config.cos;
  const points = weightPoints(m, c.sweepPoints, c.sweepDivisions, 'cos.sweepPoints');
  const mainKey = meanMainKey(validation, c.metricK);
  const evaluate = (p: Parameters) => evaluateCos(engine, spec, { base: base.params.base, cos: p }, validation, points, { k: c.metricK, beta });
  const validate = async (p: Parameters): Promise<Validation> => {
    const e = await evaluate(p);
    const metrics: Record<string, number> = { [HYPERVOLUME_KEY]: e.hypervolume, [mainKey]: e.meanMain };
    return { figure: e.hypervolume, metrics };
  };
  return { evaluate, validate };
}

/**
 * Fine-tunes a COS network on top of `base` (see the module comment). `train` and `validation` hold the
 * main objective first and the m auxiliary objectives after it.
 */
export async function trainCos(
  engine: Engine,
  base: BaseModel,
  train: RankingDataset,
  validation: RankingDataset,
  config: TrainConfig,
  options: CosTrainOptions = {},
): Promise<CosTrainResult> {
  const m = checkCosData(base, train, validation);
  const c = config.cos;
  const { alpha, beta } = vectorsFor(config, m);
  const temperature = c.mode === 'tcos';

  const master = new Rng((config.seed ^ COS_STREAM) >>> 0);
  const initRng = master.fork();
  const batchRng = master.fork();
  const sampleRng = master.fork();
  const sessionSeed = master.nextUint32();

  const { spec, net } = initialCosRanker(base, config, train.nFeatures, m, initRng);

  const draw = (rng: Rng): { w: ArrayLike<number>; beta: ArrayLike<number> } => ({
    w: rng.dirichlet(alpha),
    beta: temperature ? beta.map(() => rng.uniformIn(c.betaRange[0], c.betaRange[1])) : beta,
  });
  const labelColumns = Array.from({ length: m }, (_, j) => j + 1);
  // s0 is frozen: scored once per training document, gathered into each batch (not run in the step)
  const s0 = (await frozenBaseScores(engine, base, train, c.slateLength)) ?? undefined;
  const stream = new BatchStream(train, { listsPerBatch: c.listsPerBatch, slateLength: c.slateLength, labelColumns, s0 }, batchRng);
  const batches = new CosBatchSource(stream, draw, c.weightSampling === 'query', m, sampleRng);
  const totalSteps = stageSteps(c, stream.batchesPerEpoch);
  const targets = targetsOf(train, m, options.targets);
  // the loss targets come from the data's metadata (not in datasetHash) or the options: hashed explicitly;
  // the objective declarations act only through the data and targets hashed here
  const hash = configHash(
    config,
    { stage: 'train-cos', base: parametersHash(base.params.base), train: datasetHash(train), validation: datasetHash(validation), targets },
    ['objectives'],
  );

  const { evaluate, validate } = cosValidation(engine, spec, base, validation, config, m, beta);

  const session = await engine.createTrainSession({
    spec,
    params: { base: base.params.base, cos: net },
    target: 'cos',
    loss: { kind: 'lipo', targets, lambda: c.lambda },
    optimizer: c.optimizer,
    seed: sessionSeed,
  });
  try {
    const result = await runTrainingLoop({
      stage: 'train-cos',
      session,
      batches,
      totalSteps,
      validateEvery: c.validateEvery,
      patience: c.patience,
      figureName: HYPERVOLUME_KEY,
      validate,
      checkpoint: loopCheckpoint(options, config, hash),
      onProgress: options.onProgress,
      signal: options.signal,
    });
    const final = await evaluate(result.best.params);
    return {
      spec,
      params: { base: base.params.base, cos: result.best.params },
      ...loopReport(result, hash),
      sweep: final.table,
      hypervolume: final.hypervolume,
    };
  } finally {
    session.dispose();
  }
}
