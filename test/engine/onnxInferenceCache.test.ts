/**
 * The ONNX engine's inference-session cache: sessions of parameter objects no longer used are released
 * (bounded cache), never while a score still runs on them, and a re-used object still gives its own scores.
 */
import * as ort from 'onnxruntime-node';
import { initParameters, type RankerSpec, type ScorerSpec } from '../../src/model/spec';
import type { Engine } from '../../src/engine/engine';
import type { RankerParameters } from '../../src/model/rankerParameters';
import { createOnnxEngine } from '../../src/engine/onnx/engine';
import { Rng } from '../../src/util/rng';

const F = 5;
const mlp: ScorerSpec = { kind: 'mlp', inputSize: F, conditioning: { weights: 0, beta: false }, hidden: [8], activation: 'relu', dropout: 0 };
const spec: RankerSpec = { base: mlp };
const rng = new Rng(7);
const nDocs = 40;
const input = { features: Float32Array.from({ length: nDocs * F }, () => rng.normal()), queryOffsets: Int32Array.of(0, 15, 40) };
const paramsList: RankerParameters[] = Array.from({ length: 8 }, () => ({ base: initParameters(mlp, rng) }));

let release: jest.SpyInstance;
let engine: Engine;
let expected: Float32Array[];
beforeAll(async () => {
  // expected scores: each parameter object on a fresh engine of its own
  expected = [];
  for (const p of paramsList) expected.push(await (await createOnnxEngine({ threads: 1 })).score(spec, p, input));
  // the typings describe InferenceSession as a factory; at run time it is a class whose sessions share this prototype
  release = jest.spyOn((ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype, 'release');
});
beforeEach(async () => {
  engine = await createOnnxEngine({ threads: 1, maxSlots: 4 }); // several runs per score
  release.mockClear();
});
afterAll(() => release.mockRestore());

describe('ONNX inference-session cache', () => {
  it('releases the sessions of parameter objects no longer used (a new object per validation)', async () => {
    for (let i = 0; i < paramsList.length; i++) expect(await engine.score(spec, paramsList[i], input)).toEqual(expected[i]);
    await new Promise((r) => setImmediate(r));
    // 8 objects, at most 3 kept: 5 released
    expect(release).toHaveBeenCalledTimes(paramsList.length - 3);
  });

  it('keeps the session of an object in use (a sweep: one model, many calls)', async () => {
    for (let k = 0; k < 5; k++) expect(await engine.score(spec, paramsList[0], input)).toEqual(expected[0]);
    expect(release).not.toHaveBeenCalled();
  });

  it('never releases a session while scores run on it, and re-opens an evicted object correctly', async () => {
    const results = await Promise.all([...paramsList, ...paramsList].map((p) => engine.score(spec, p, input)));
    results.forEach((s, i) => expect(s).toEqual(expected[i % paramsList.length]));
    await new Promise((r) => setImmediate(r));
    const opened = release.mock.calls.length;
    expect(opened).toBeGreaterThan(0);
    expect(await engine.score(spec, paramsList[0], input)).toEqual(expected[0]);
  });
});
