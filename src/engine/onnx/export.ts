/**
 * Writes a ranker's inference graph (parameters baked in) as an ONNX file for serving elsewhere.
 * Inputs: `features` `[R, F]` (all-MLP rankers) or `[B, N, F]` + `mask` `[B, N]` (1 = real document)
 * when a transformer is involved; for a COS ranker `w` `[m]`, `beta` `[m]` (T-COS / β-conditioned nets)
 * and `c` `[]` (1 = as trained). Output: `scores` `[R]` or `[B, N]`. Opset 17, IR version 8.
 */
import { promises as fs } from 'node:fs';
import type { RankerSpec } from '../../model/spec';
import type { RankerParameters } from '../../model/rankerParameters';
import { checkRanker } from './engine';
import { buildInferenceGraph } from './scorerGraph';

export async function exportOnnx(spec: RankerSpec, params: RankerParameters, path: string): Promise<void> {
  checkRanker(spec, params);
  await fs.writeFile(path, buildInferenceGraph(spec, params).toModel(`cosrank ranker: ${JSON.stringify(spec)}`));
}
