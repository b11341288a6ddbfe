/**
 * Writes a ranker's inference graph (parameters baked in) as an ONNX file for serving elsewhere, and
 * describes that graph's inputs and outputs.
 * Inputs: `features` `[R, F]` (all-MLP rankers) or `[B, N, F]` + `mask` `[B, N]` (1 = real document)
 * when a transformer is involved; for a COS ranker `w` `[m]`, `beta` `[m]` (T-COS / β-conditioned nets)
 * and `c` `[]` (1 = as trained). Output: `scores` `[R]` or `[B, N]`. Opset 17, IR version 8.
 */
import { promises as fs } from 'node:fs';
import type { RankerParameters } from '../../model/rankerParameters';
import type { RankerSpec } from '../../model/spec';
import type { ExportedGraph, GraphValue } from '../engine';
import { checkRanker } from '../checks';
import { buildInferenceGraph, inferenceInputs, inferenceLayout } from './scorerGraph';

export async function exportOnnx(spec: RankerSpec, params: RankerParameters, path: string): Promise<void> {
  checkRanker(spec, params);
  await fs.writeFile(path, buildInferenceGraph(spec, params).toModel(`cosrank ranker: ${JSON.stringify(spec)}`));
}

/** The layout, inputs and outputs of the exported graph of a ranker with spec `spec`. */
export function exportInterface(spec: RankerSpec): ExportedGraph {
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
