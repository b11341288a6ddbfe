/**
 * The ONNX export reached through the engine selector (`exportOnnxRanker`): the written graph's inputs
 * match the interface it reports, the verification agrees with the tfjs engine, and the check can fail
 * (a file exported from other weights is caught).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { exportOnnx } from '../../src/engine/onnx/export';
import { verifyOnnxExport } from '../../src/engine/onnx/verifyExport';
import { exportOnnxRanker } from '../../src/engine/select';
import { createTfjsEngine } from '../../src/engine/tfjs/engine';
import type { RankerParameters } from '../../src/model/rankerParameters';
import { initParameters, type RankerSpec, type ScorerSpec } from '../../src/model/spec';
import { Rng } from '../../src/util/rng';

const F = 5;
const mlp: ScorerSpec = { kind: 'mlp', inputSize: F, conditioning: { weights: 0, beta: false }, hidden: [6], activation: 'relu', dropout: 0 };
const net: ScorerSpec = { ...mlp, conditioning: { weights: 2, beta: true } };
const tr: ScorerSpec = { kind: 'transformer', inputSize: F, conditioning: { weights: 2, beta: true }, dModel: 8, nLayers: 1, nHeads: 2, ffHidden: 8, activation: 'gelu', dropout: 0 };

function params(spec: RankerSpec, seed: number): RankerParameters {
  const rng = new Rng(seed);
  const p: RankerParameters = { base: initParameters(spec.base, rng, 1), cos: spec.cos ? initParameters(spec.cos.net, rng, 1) : undefined };
  for (const part of [p.base, p.cos]) for (const t of Object.values(part ?? {})) for (let i = 0; i < t.data.length; i++) t.data[i] += 0.3 * rng.normal();
  return p;
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-export-'));

describe.each([
  { name: 'MLP T-COS (rows layout)', spec: { base: mlp, cos: { net, parametrisation: 'scratch', temperature: true } } as RankerSpec, layout: 'rows' },
  { name: 'transformer T-COS (lists layout)', spec: { base: mlp, cos: { net: tr, parametrisation: 'augment', temperature: true } } as RankerSpec, layout: 'lists' },
])('exportOnnxRanker: $name', ({ spec, layout }) => {
  const p = params(spec, 3);

  it('writes a graph whose inputs are the reported interface and that agrees with tfjs', async () => {
    const file = path.join(tmp(), 'ranker.onnx');
    const out = await exportOnnxRanker(spec, p, file, { tfjs: { backend: 'cpu' }, cases: 3, documents: 20 });
    expect(out.file).toBe(file);
    expect(out.layout).toBe(layout);
    const session = await ort.InferenceSession.create(file);
    expect([...session.inputNames].sort()).toEqual(out.inputs.map((i) => i.name).sort());
    expect(session.outputNames).toEqual(['scores']);
    await session.release();
    expect(out.verification).toMatchObject({ documents: 20, cases: 3, reference: 'tfjs-cpu' });
    expect(out.verification.maxAbsDiff).toBeLessThan(1e-4);
  });

  it('catches a file that does not hold these weights', async () => {
    const file = path.join(tmp(), 'other.onnx');
    await exportOnnx(spec, params(spec, 4), file);
    const reference = await createTfjsEngine({ backend: 'cpu' });
    const v = await verifyOnnxExport(file, spec, p, reference, { cases: 2, documents: 20 });
    expect(v.maxAbsDiff).toBeGreaterThan(1e-2);
  });
});
