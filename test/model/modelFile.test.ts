import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createTfjsEngine } from '../../src/engine/tfjs/engine';
import type { Engine } from '../../src/engine/engine';
import { loadModel, saveModel, packTensors, unpackTensors, type SavedModel } from '../../src/model/modelFile';
import { initParameters, type RankerSpec, type ScorerSpec } from '../../src/model/spec';
import { Rng } from '../../src/util/rng';

const base: ScorerSpec = { kind: 'mlp', inputSize: 3, conditioning: { weights: 0, beta: false }, hidden: [4], activation: 'tanh', dropout: 0 };
const net: ScorerSpec = { kind: 'mlp', inputSize: 3, conditioning: { weights: 2, beta: true }, hidden: [5], activation: 'relu', dropout: 0 };
const spec: RankerSpec = { base, cos: { net, parametrisation: 'augment', temperature: true } };

function model(): SavedModel {
  const rng = new Rng(4);
  const params = { base: initParameters(base, rng), cos: initParameters(net, rng) };
  params.base['input.mean'].data.set([0.5, -1, 2]);
  params.base['input.scale'].data.set([2, 0.25, 1]);
  return {
    spec,
    params,
    objectives: [
      { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 2 }, dropFromInput: false, target: 'sparse', invert: false, droppedFeatures: [] },
      { name: 'pagerank', source: { feature: 2 }, grading: { kind: 'quantile', buckets: 3 }, dropFromInput: true, target: 'sparse', invert: false, cutPoints: [0.1, 0.5], droppedFeatures: [2] },
      { name: 'shallow', source: { feature: 5 }, grading: { kind: 'quantile', buckets: 3 }, dropFromInput: true, target: 'dense', invert: true, cutPoints: [-3], droppedFeatures: [5] },
    ],
    rawFeatureCount: 5,
    inputFeatures: [0, 2, 3],
    inputFeatureNames: ['f1', 'f3', 'f4'],
    defaultWeights: [0.5, 0.5],
    metrics: { 'base relevance NDCG@10': 0.7 },
  };
}

describe('packTensors', () => {
  it('writes float32 little-endian at the listed offsets', () => {
    const { bytes, table } = packTensors([
      ['a', { shape: [2], data: Float32Array.of(1, -2) }],
      ['b', { shape: [1, 1], data: Float32Array.of(0.5) }],
    ]);
    expect(table).toEqual([
      { name: 'a', shape: [2], offset: 0, length: 2 },
      { name: 'b', shape: [1, 1], offset: 2, length: 1 },
    ]);
    // 1.0f = 0x3f800000, −2.0f = 0xc0000000, 0.5f = 0x3f000000, stored low byte first
    expect(Array.from(bytes)).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0, 0, 0, 0, 0x3f]);
    expect(unpackTensors(bytes, table, 'x').get('b')).toEqual({ shape: [1, 1], data: Float32Array.of(0.5) });
  });
});

describe('saveModel / loadModel', () => {
  let dir: string;
  let engine: Engine;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cosrank-model-'));
    engine = await createTfjsEngine({ backend: 'cpu' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('round-trips every field, and scores are identical after loading', async () => {
    const m = model();
    const out = path.join(dir, 'm1');
    await saveModel(out, m);
    expect(readdirSync(out).sort()).toEqual(['model.json', 'weights.bin']);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    const json = JSON.parse(readFileSync(path.join(out, 'model.json'), 'utf8'));
    expect(json.formatVersion).toBe(1);
    expect(json.weights.tensors[0].name).toBe('base/input.mean');
    expect(json.objectives[1].cutPoints).toEqual([0.1, 0.5]);
    const loaded = await loadModel(out);
    expect(loaded).toEqual(m);

    const rng = new Rng(9);
    const features = Float32Array.from({ length: 7 * 3 }, () => rng.normal());
    const input = { features, queryOffsets: Int32Array.of(0, 3, 7), weights: Float32Array.of(0.3, 0.7), beta: Float32Array.of(1, 1.4), c: 2 };
    expect(await engine.score(loaded.spec, loaded.params, input)).toEqual(await engine.score(m.spec, m.params, input));
  });

  it('replaces an existing model directory', async () => {
    const out = path.join(dir, 'm2');
    await saveModel(out, model());
    const m = model();
    m.defaultWeights = [0.9, 0.1];
    await saveModel(out, m);
    expect((await loadModel(out)).defaultWeights).toEqual([0.9, 0.1]);
    expect(readdirSync(dir).filter((f) => f.startsWith('m2'))).toEqual(['m2']);
  });

  it('rejects a corrupted weights.bin with a checksum error', async () => {
    const out = path.join(dir, 'm3');
    await saveModel(out, model());
    const bin = path.join(out, 'weights.bin');
    const bytes = readFileSync(bin);
    bytes[17] ^= 0x01;
    writeFileSync(bin, bytes);
    await expect(loadModel(out)).rejects.toThrow(/weights\.bin: checksum mismatch/);
  });

  it('rejects another format version and a truncated file', async () => {
    const out = path.join(dir, 'm4');
    await saveModel(out, model());
    const jsonPath = path.join(out, 'model.json');
    const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
    writeFileSync(jsonPath, JSON.stringify({ ...json, formatVersion: 2 }));
    await expect(loadModel(out)).rejects.toThrow(/format version 2 is not supported/);
    writeFileSync(jsonPath, JSON.stringify(json));
    const bin = path.join(out, 'weights.bin');
    writeFileSync(bin, readFileSync(bin).subarray(0, 40));
    await expect(loadModel(out)).rejects.toThrow(/has 40 bytes/);
    expect(existsSync(path.join(dir, 'nothing'))).toBe(false);
    await expect(loadModel(path.join(dir, 'nothing'))).rejects.toThrow(/cannot read the model description/);
  });

  it('rejects a tensor table whose length disagrees with the declared shape', async () => {
    const out = path.join(dir, 'm5');
    await saveModel(out, model());
    const jsonPath = path.join(out, 'model.json');
    const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
    json.weights.tensors[0].length -= 1;
    delete json.integrity; // a file from before model.json carried its own checksum
    writeFileSync(jsonPath, JSON.stringify(json));
    await expect(loadModel(out)).rejects.toThrow(/tensor 'base\/input\.mean' holds \d+ values, its shape \[\d+\] needs \d+/);
  });

  it('covers model.json too: an edited activation is refused at load, a reformatted file is not', async () => {
    const out = path.join(dir, 'm6');
    await saveModel(out, model());
    const jsonPath = path.join(out, 'model.json');
    const text = readFileSync(jsonPath, 'utf8');
    expect(text).toContain('"relu"');
    writeFileSync(jsonPath, text.replace('"relu"', '"gelu"'));
    await expect(loadModel(out)).rejects.toThrow(/model\.json: checksum mismatch.*edited or damaged/);
    // same content, other layout and key order: still the same model
    const json = JSON.parse(text);
    const reordered = Object.fromEntries(Object.entries(json).reverse());
    writeFileSync(jsonPath, JSON.stringify(reordered));
    expect((await loadModel(out)).spec).toEqual(model().spec);
    // an edited cut point or a removed digest value is refused as well
    json.objectives[1].cutPoints = [0.1, 0.6];
    writeFileSync(jsonPath, JSON.stringify(json));
    await expect(loadModel(out)).rejects.toThrow(/checksum mismatch/);
    writeFileSync(jsonPath, JSON.stringify({ ...JSON.parse(text), integrity: {} }));
    await expect(loadModel(out)).rejects.toThrow(/checksum mismatch/);
  });
});
