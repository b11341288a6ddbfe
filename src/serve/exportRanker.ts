/**
 * Export of a saved ranker as one ONNX inference graph with the trade-off as inputs (for search
 * engines that run ONNX rankers: Vespa and others), verified on export.
 *
 * The graph (written by the engine's `exportOnnxRanker`, parameters baked in, opset 17):
 *   features  float32 [R, F]     every scorer an MLP: one row per document ("rows" layout), or
 *             float32 [B, N, F]  with a transformer: B lists of N slots ("lists" layout), plus
 *   mask      float32 [B, N]     1 = real document, 0 = padding (lists layout only)
 *   w         float32 [m]        trade-off, on the simplex (the graph does not normalise it)
 *   beta      float32 [m]        raw temperatures β > 0 (T-COS / β-conditioned nets only; β̄ = β/‖β‖₁ inside)
 *   c         float32 []         post-training temperature factor, 1 = as trained (COS rankers)
 *   → scores  float32 [R] or [B, N]
 * F counts model-input features: the raw features minus those the objectives drop, in raw order
 * (`inputFeatures`, 1-based LETOR indices, tells a client which raw columns to send).
 *
 * Verification (in the engine): the written file is opened with onnxruntime as an outside consumer
 * would and scored on seeded random inputs beside the tfjs engine (the native reference runtime);
 * `maxAbsDiff` = max |onnx − tfjs| over every real document of every case. The file is written under a
 * temporary name and renamed into place only when the verification passes (`tolerance`), so a failed or
 * interrupted export never leaves a file behind.
 */
import * as path from 'node:path';
import type { ExportVerification, GraphValue } from '../engine/engine';
import { exportOnnxRanker, onnxExportInterface, type OnnxExportOptions } from '../engine/select';
import { loadModel } from '../model/modelFile';
import type { RankerSpec } from '../model/spec';
import { writeAtomic } from '../util/atomicWrite';
import { servingModelOf } from './loadServingModel';

export type { GraphValue } from '../engine/engine';

export interface ExportOptions extends OnnxExportOptions {
  /** Largest |onnx − native| accepted (default 1e-5); above it the file is not written. */
  tolerance?: number;
}

export interface ExportReport {
  file: string;
  layout: 'rows' | 'lists';
  inputs: GraphValue[];
  outputs: GraphValue[];
  /** Main objective, then the auxiliary objectives in the order of w and β. */
  mainObjective: string;
  objectives: string[];
  rawFeatureCount: number;
  /** 1-based raw (LETOR) feature index of each model-input column. */
  inputFeatures: number[];
  defaultWeights: number[];
  /** Verification: documents scored, cases, the reference runtime, max |onnx − reference|, and whether it passed. */
  verification: ExportVerification & { tolerance: number; passed: boolean };
}

export const DEFAULT_EXPORT_TOLERANCE = 1e-5;

/** The inputs and outputs of the exported graph of a ranker with spec `spec`. */
export function exportInterface(spec: RankerSpec): { layout: 'rows' | 'lists'; inputs: GraphValue[]; outputs: GraphValue[] } {
  return onnxExportInterface(spec);
}

/** A verification above the tolerance: the report travels out of the atomic write, which then removes the file. */
class VerificationFailed extends Error {
  constructor(readonly verification: ExportVerification) {
    super('verification failed');
  }
}

/**
 * Exports the model in `dir` to `file` and verifies it (see the module comment). A failed verification
 * is not an exception: the report says `passed: false` and `file` does not exist.
 */
export async function exportRanker(dir: string, file: string, options: ExportOptions = {}): Promise<ExportReport> {
  const saved = await loadModel(dir);
  const model = servingModelOf(saved, path.join(dir, 'model.json'));
  const tolerance = options.tolerance ?? DEFAULT_EXPORT_TOLERANCE;
  let verification: ExportVerification;
  try {
    verification = await writeAtomic(file, async (tmp) => {
      const written = await exportOnnxRanker(saved.spec, saved.params, tmp, options);
      // NaN must fail too
      if (!(written.verification.maxAbsDiff <= tolerance)) throw new VerificationFailed(written.verification);
      return written.verification;
    });
  } catch (err) {
    if (!(err instanceof VerificationFailed)) throw err;
    verification = err.verification;
  }
  return {
    file,
    ...exportInterface(saved.spec),
    mainObjective: model.mainObjective,
    objectives: model.objectives,
    rawFeatureCount: model.rawFeatureCount,
    inputFeatures: Array.from(model.inputFeatures, (i) => i + 1),
    defaultWeights: Array.from(model.defaultWeights),
    verification: { ...verification, tolerance, passed: verification.maxAbsDiff <= tolerance },
  };
}
