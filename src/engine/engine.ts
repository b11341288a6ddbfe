/**
 * The small interface every engine (tfjs, ONNX) implements. Code above the engines — trainer,
 * sweeps, serving — talks only to this (DESIGN.md §5, STYLE.md §9).
 */
import type { RankerParameters } from '../model/rankerParameters';
import type { Parameters, RankerSpec } from '../model/spec';
import type { RngState } from '../util/rng';

/** Documents to score: ragged lists by offsets, as in the ranking dataset. */
export interface ScoreInput {
  /** Row-major `[nDocs × inputSize]` raw model-input features. */
  features: Float32Array;
  queryOffsets: Int32Array;
  /**
   * Trade-off w for a COS ranker: length m (every query), or nQueries·m (row q is query q's w, so one call
   * can score many weight points, the documents repeated once per point); ignored by a base ranker.
   */
  weights?: Float32Array;
  /** Per-objective temperatures β (length m) for a T-COS ranker; defaults to all ones. */
  beta?: Float32Array;
  /** Post-training temperature factor c (> 0); 1 = as trained. */
  c?: number;
}

/** A padded batch of lists for training: B lists of N slots, mask 1 = real document. */
export interface ListBatch {
  batchSize: number;
  listSize: number;
  inputSize: number;
  /** `[B, N, inputSize]`, zeros in padded slots. */
  features: Float32Array;
  /** `[B, N]`, 1 for a real document, 0 for padding. */
  mask: Uint8Array;
  /** Loss targets, each `[B, N]`: the main label for ListNet/ListMLE, the m auxiliary labels for LiPO. */
  labels: Float32Array[];
  /** `[B, m]` trade-off per list (COS training). */
  weights?: Float32Array;
  /** `[B, m]` temperatures per list (COS training; for W-COS every row is the fixed β vector). */
  beta?: Float32Array;
  /**
   * `[B, N]` per-document offset subtracted from Δ = s − s0 inside every LiPO softmax (loss option
   * `margin`; MO-DPO's Σ_{i′≠i} w_{i′}(s_{e_i′} − s0), with its 1/w_i carried by the list's β).
   */
  margin?: Float32Array;
  /**
   * `[B, N]` the frozen s0's score of each slot (target 'cos' only; any finite value in padded slots). When
   * given, the engine reads it instead of running s0 in the step: s0 never changes while a COS net trains,
   * so the trainer scores every document once (`frozenBaseScores`) and gathers the scores into each batch.
   */
  s0?: Float32Array;
}

/**
 * Training losses. Each is computed per list and averaged over the B lists of a batch (lists whose
 * target is all zero contribute 0 and still count in the mean).
 * - `listnet`: softmax cross-entropy between softmax(labels[0]) ... see src/engine/tfjs/losses.ts for the exact formulas.
 * - `listmle`: Plackett-Luce negative log-likelihood of the order of labels[0] (ties broken by position).
 * - `lipo`: Σ_j w_j · L_j − λ·cos(w, L) with L_j the listwise DPO loss of objective j on s − s0 (DESIGN.md §1).
 */
export type LossSpec =
  | { kind: 'listnet' }
  | { kind: 'listmle' }
  | { kind: 'lipo'; targets: ('sparse' | 'dense')[]; lambda: number; margin?: boolean };

/** Adam with decoupled weight decay (AdamW) and optional global-norm gradient clipping. */
export interface OptimizerConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** Decoupled weight decay coefficient (0 = plain Adam). */
  weightDecay: number;
  /** Clip the global gradient norm to this value (0 = no clipping). */
  clipNorm: number;
}

export const DEFAULT_OPTIMIZER: OptimizerConfig = {
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0,
  clipNorm: 0,
};

/** Adam moments and step count, keyed like the trained parameters. */
export interface OptimizerState {
  step: number;
  m: Parameters;
  v: Parameters;
  /** The session's dropout generator, so a resumed run draws the same masks (absent = leave it as is). */
  dropoutRng?: RngState;
}

/** What a training session trains: s0 alone (`base`), or the COS network against frozen s0 (`cos`). */
export interface TrainSessionOptions {
  spec: RankerSpec;
  params: RankerParameters;
  target: 'base' | 'cos';
  loss: LossSpec;
  optimizer: OptimizerConfig;
  /** Seed for dropout masks; the same seed and batches give the same parameters. */
  seed: number;
}

/** A stateful training session on one engine. */
export interface TrainSession {
  /** One optimizer step on a batch; resolves to the batch loss (mean over lists). */
  step(batch: ListBatch): Promise<number>;
  /** Loss on a batch without updating (dropout off). */
  evaluateLoss(batch: ListBatch): Promise<number>;
  /** Current parameters of the trained network (copies). */
  parameters(): Parameters;
  optimizerState(): OptimizerState;
  /** Restores parameters and optimizer state saved from a session of the same options. */
  restore(params: Parameters, state: OptimizerState): void;
  dispose(): void;
}

/** An execution engine for ranker specs. */
export interface Engine {
  /** e.g. `tfjs-wasm`, `tfjs-node`, `onnx`. */
  readonly name: string;
  /** Why this engine/backend was chosen and why others were skipped, for run logs. */
  readonly description: string;
  /** Scores every document (inference mode: no dropout). Returns `[nDocs]`. */
  score(spec: RankerSpec, params: RankerParameters, input: ScoreInput): Promise<Float32Array>;
  createTrainSession(options: TrainSessionOptions): Promise<TrainSession>;
  /** Cumulative wall time of this engine's training steps by part, for profiling (engines that measure it). */
  trainProfile?(): TrainProfile;
}

/** Seconds spent in training steps: building feeds and copies into tensors, running the graphs, the optimiser. */
export interface TrainProfile {
  transfer: number;
  engine: number;
  optimiser: number;
}

/** One input or output of an exported graph: its name, shape (symbols for dynamic sizes) and meaning. */
export interface GraphValue {
  name: string;
  shape: (number | string)[];
  meaning: string;
}

/** What an exported ranker graph takes and gives: one row per document, or padded lists. */
export interface ExportedGraph {
  layout: 'rows' | 'lists';
  inputs: GraphValue[];
  outputs: GraphValue[];
}

/** The export check: documents per case, cases, the reference runtime, and max |exported − reference|. */
export interface ExportVerification {
  documents: number;
  cases: number;
  reference: string;
  maxAbsDiff: number;
}

/** A written ONNX export: the file, its graph interface and its verification. */
export interface OnnxExport extends ExportedGraph {
  file: string;
  verification: ExportVerification;
}
