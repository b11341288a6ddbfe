/**
 * Export of a saved ranker as one ONNX inference graph with the trade-off as inputs (for search
 * engines that run ONNX rankers: Vespa and others), verified on export.
 *
 * The graph (written by the ONNX engine's `exportOnnx`, parameters baked in, opset 17):
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
 * Verification: the written file is opened with onnxruntime-node as an outside consumer would and
 * scored on seeded random inputs (features around the model's input normalisation, Dirichlet w,
 * β ~ U[0.67, 1.5], c ∈ {1, U[0.5, 4]}); the same inputs are scored by the tfjs engine (the native
 * reference runtime). `maxAbsDiff` = max |onnx − tfjs| over every real document of every case.
 */
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { createTfjsEngine, type TfjsEngineOptions } from '../engine/tfjs/engine';
import { exportOnnx } from '../engine/onnx/export';
import { inferenceInputs, inferenceLayout } from '../engine/onnx/scorerGraph';
import { loadModel } from '../model/modelFile';
import type { RankerSpec } from '../model/spec';
import { Rng } from '../util/rng';
import { servingModelOf } from './loadServingModel';

/** One graph input or output: its name, shape (symbols for dynamic sizes) and meaning. */
export interface GraphValue {
  name: string;
  shape: (number | string)[];
  meaning: string;
}

export interface ExportOptions {
  /** Seed of the random verification inputs (default 1). */
  seed?: number;
  /** Documents per verification case (default 64; split into lists for the lists layout). */
  documents?: number;
  /** Verification cases (trade-offs) scored (default 4). */
  cases?: number;
  /** Backend of the tfjs reference (default auto). */
  tfjs?: TfjsEngineOptions;
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
  /** Verification: documents scored, cases, the reference runtime, and max |onnx − reference|. */
  verification: { documents: number; cases: number; reference: string; maxAbsDiff: number };
}

/** The inputs and outputs of the exported graph of a ranker with spec `spec`. */
export function exportInterface(spec: RankerSpec): { layout: 'rows' | 'lists'; inputs: GraphValue[]; outputs: GraphValue[] } {
  const layout = inferenceLayout(spec);
  const which = inferenceInputs(spec);
  const f = spec.base.inputSize;
  const m = spec.cos?.net.conditioning.weights ?? 0;
  const inputs: GraphValue[] =
    layout === 'rows'
      ? [{ name: 'features', shape: ['R', f], meaning: 'model-input features of R documents (dropped raw features removed)' }]
      : [
          { name: 'features', shape: ['B', 'N', f], meaning: 'model-input features of B lists of N document slots' },
          { name: 'mask', shape: ['B', 'N'], meaning: '1 for a real document, 0 for a padding slot' },
        ];
  if (which.w) inputs.push({ name: 'w', shape: [m], meaning: 'trade-off over the auxiliary objectives, non-negative and summing to 1' });
  if (which.beta) inputs.push({ name: 'beta', shape: [m], meaning: 'per-objective temperatures β > 0 (1 = as trained)' });
  if (which.c) inputs.push({ name: 'c', shape: [], meaning: 'post-training temperature factor c > 0 (1 = as trained; larger = closer to the base ranker)' });
  const outputs: GraphValue[] = [{ name: 'scores', shape: layout === 'rows' ? ['R'] : ['B', 'N'], meaning: 'ranking scores, larger is better' }];
  return { layout, inputs, outputs };
}

/** Exports the model in `dir` to `file` and verifies it (see the module comment); the caller judges `maxAbsDiff`. */
export async function exportRanker(dir: string, file: string, options: ExportOptions = {}): Promise<ExportReport> {
  const saved = await loadModel(dir);
  const model = servingModelOf(saved, path.join(dir, 'model.json'));
  const { spec, params } = saved;
  await exportOnnx(spec, params, file);
  const { layout, inputs, outputs } = exportInterface(spec);

  const rng = new Rng(options.seed ?? 1);
  const nDocs = Math.max(2, options.documents ?? 64);
  const nCases = Math.max(1, options.cases ?? 4);
  const f = spec.base.inputSize;
  const m = model.objectives.length;
  const which = inferenceInputs(spec);
  const reference = await createTfjsEngine(options.tfjs);
  const session = await ort.InferenceSession.create(file);
  const missing = inputs.map((i) => i.name).filter((n) => !session.inputNames.includes(n));
  if (missing.length > 0 || !session.outputNames.includes('scores')) {
    throw new Error(`${file}: the exported graph has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}], expected ${inputs.map((i) => i.name).join(', ')} → scores`);
  }
  const mean = params.base['input.mean'].data;
  const scale = params.base['input.scale'].data;
  let maxAbsDiff = 0;
  try {
    for (let k = 0; k < nCases; k++) {
      // Ragged lists (lengths 1..) so padding is exercised; the rows layout ignores the grouping.
      const offsets = [0];
      while (offsets[offsets.length - 1] < nDocs) offsets.push(Math.min(nDocs, offsets[offsets.length - 1] + 1 + rng.int(Math.max(1, nDocs >> 2))));
      const queryOffsets = Int32Array.from(offsets);
      const features = new Float32Array(nDocs * f);
      for (let d = 0; d < nDocs; d++) for (let j = 0; j < f; j++) features[d * f + j] = mean[j] + rng.normal() / scale[j];
      const w = m > 0 ? Float32Array.from(rng.dirichlet(new Array<number>(m).fill(1))) : undefined;
      const beta = m > 0 ? Float32Array.from({ length: m }, () => rng.uniformIn(0.67, 1.5)) : undefined;
      const c = k === 0 ? 1 : rng.uniformIn(0.5, 4);

      const expected = await reference.score(spec, params, { features, queryOffsets, weights: w, beta: which.beta ? beta : undefined, c });
      const feeds: Record<string, ort.Tensor> = {};
      if (w && which.w) feeds.w = new ort.Tensor('float32', w, [m]);
      if (beta && which.beta) feeds.beta = new ort.Tensor('float32', beta, [m]);
      if (which.c) feeds.c = new ort.Tensor('float32', Float32Array.of(c), []);
      const got = new Float32Array(nDocs);
      if (layout === 'rows') {
        feeds.features = new ort.Tensor('float32', features, [nDocs, f]);
        got.set((await session.run(feeds)).scores.data as Float32Array);
      } else {
        const nQ = queryOffsets.length - 1;
        let n = 0;
        for (let q = 0; q < nQ; q++) n = Math.max(n, queryOffsets[q + 1] - queryOffsets[q]);
        const padded = new Float32Array(nQ * n * f);
        const mask = new Float32Array(nQ * n);
        for (let q = 0; q < nQ; q++) {
          padded.set(features.subarray(queryOffsets[q] * f, queryOffsets[q + 1] * f), q * n * f);
          mask.fill(1, q * n, q * n + queryOffsets[q + 1] - queryOffsets[q]);
        }
        feeds.features = new ort.Tensor('float32', padded, [nQ, n, f]);
        feeds.mask = new ort.Tensor('float32', mask, [nQ, n]);
        const s = (await session.run(feeds)).scores.data as Float32Array;
        for (let q = 0; q < nQ; q++) got.set(s.subarray(q * n, q * n + queryOffsets[q + 1] - queryOffsets[q]), queryOffsets[q]);
      }
      for (let d = 0; d < nDocs; d++) {
        const diff = Math.abs(got[d] - expected[d]);
        // NaN on either side must fail the check, not vanish in Math.max
        maxAbsDiff = Number.isNaN(diff) ? Infinity : Math.max(maxAbsDiff, diff);
      }
    }
  } finally {
    await session.release();
  }
  return {
    file,
    layout,
    inputs,
    outputs,
    mainObjective: model.mainObjective,
    objectives: model.objectives,
    rawFeatureCount: model.rawFeatureCount,
    inputFeatures: Array.from(model.inputFeatures, (i) => i + 1),
    defaultWeights: Array.from(model.defaultWeights),
    verification: { documents: nDocs, cases: nCases, reference: reference.name, maxAbsDiff },
  };
}
