/**
 * The export check: an exported ONNX file is opened with onnxruntime-node as an outside consumer would
 * and scored on seeded random inputs (features around the model's input normalisation, ragged lists so
 * padding is exercised, Dirichlet w, β ~ U[0.67, 1.5], c ∈ {1, U[0.5, 4]}); the same inputs are scored
 * by a reference engine (the tfjs engine, the native reference runtime). `maxAbsDiff` = max
 * |onnx − reference| over every real document of every case (NaN on either side counts as Infinity).
 */
import * as ort from 'onnxruntime-node';
import type { RankerParameters } from '../../model/rankerParameters';
import type { RankerSpec } from '../../model/spec';
import { Rng } from '../../util/rng';
import type { Engine, ExportVerification, ScoreInput } from '../engine';
import { exportInterface } from './export';
import { inferenceInputs } from './scorerGraph';

export interface VerifyOptions {
  /** Seed of the random inputs (default 1). */
  seed?: number;
  /** Documents per case (default 64, at least 2; split into lists for the lists layout). */
  documents?: number;
  /** Cases (trade-offs) scored (default 4). */
  cases?: number;
}

/** One verification case: the scoring input, shared by the exported graph and the reference. */
function drawCase(spec: RankerSpec, params: RankerParameters, rng: Rng, nDocs: number, first: boolean): Required<Pick<ScoreInput, 'features' | 'queryOffsets' | 'c'>> & ScoreInput {
  const f = spec.base.inputSize;
  const m = spec.cos?.net.conditioning.weights ?? 0;
  const offsets = [0];
  while (offsets[offsets.length - 1] < nDocs) offsets.push(Math.min(nDocs, offsets[offsets.length - 1] + 1 + rng.int(Math.max(1, nDocs >> 2))));
  const mean = params.base['input.mean'].data;
  const scale = params.base['input.scale'].data;
  const features = new Float32Array(nDocs * f);
  for (let d = 0; d < nDocs; d++) for (let j = 0; j < f; j++) features[d * f + j] = mean[j] + rng.normal() / scale[j];
  const weights = m > 0 ? Float32Array.from(rng.dirichlet(new Array<number>(m).fill(1))) : undefined;
  const beta = m > 0 ? Float32Array.from({ length: m }, () => rng.uniformIn(0.67, 1.5)) : undefined;
  const c = first ? 1 : rng.uniformIn(0.5, 4);
  return { features, queryOffsets: Int32Array.from(offsets), weights, beta: inferenceInputs(spec).beta ? beta : undefined, c };
}

/** Scores one case with the exported graph (padding lists itself for the lists layout). */
async function scoreExported(session: ort.InferenceSession, spec: RankerSpec, input: ReturnType<typeof drawCase>): Promise<Float32Array> {
  const which = inferenceInputs(spec);
  const { layout } = exportInterface(spec);
  const f = spec.base.inputSize;
  const { features, queryOffsets } = input;
  const nDocs = queryOffsets[queryOffsets.length - 1];
  const feeds: Record<string, ort.Tensor> = {};
  if (input.weights && which.w) feeds.w = new ort.Tensor('float32', input.weights, [input.weights.length]);
  if (input.beta && which.beta) feeds.beta = new ort.Tensor('float32', input.beta, [input.beta.length]);
  if (which.c) feeds.c = new ort.Tensor('float32', Float32Array.of(input.c), []);
  const got = new Float32Array(nDocs);
  if (layout === 'rows') {
    feeds.features = new ort.Tensor('float32', features, [nDocs, f]);
    got.set((await session.run(feeds)).scores.data as Float32Array);
    return got;
  }
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
  return got;
}

/** Checks `file` (exported from `spec`/`params`) against `reference`; see the module comment. */
export async function verifyOnnxExport(
  file: string,
  spec: RankerSpec,
  params: RankerParameters,
  reference: Engine,
  options: VerifyOptions = {},
): Promise<ExportVerification> {
  const rng = new Rng(options.seed ?? 1);
  const nDocs = Math.max(2, options.documents ?? 64);
  const nCases = Math.max(1, options.cases ?? 4);
  const { inputs } = exportInterface(spec);
  const session = await ort.InferenceSession.create(file);
  let maxAbsDiff = 0;
  try {
    const missing = inputs.map((i) => i.name).filter((n) => !session.inputNames.includes(n));
    if (missing.length > 0 || !session.outputNames.includes('scores')) {
      throw new Error(
        `${file}: the exported graph has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}], expected ${inputs.map((i) => i.name).join(', ')} → scores`,
      );
    }
    for (let k = 0; k < nCases; k++) {
      const input = drawCase(spec, params, rng, nDocs, k === 0);
      const expected = await reference.score(spec, params, input);
      const got = await scoreExported(session, spec, input);
      for (let d = 0; d < nDocs; d++) {
        const diff = Math.abs(got[d] - expected[d]);
        // NaN on either side must fail the check, not vanish in Math.max
        maxAbsDiff = Number.isNaN(diff) ? Infinity : Math.max(maxAbsDiff, diff);
      }
    }
  } finally {
    await session.release();
  }
  return { documents: nDocs, cases: nCases, reference: reference.name, maxAbsDiff };
}
