/**
 * The runtime API on a small real model saved to disk: loading (checksum, version, consistency),
 * dropFromInput honoured against the engine called directly, dense = sparse, weights by name and
 * default, c → ∞ returns to s0, and re-ranking order, ties and topK.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Engine } from '../../src/engine/engine';
import { createEngine } from '../../src/engine/select';
import { saveModel } from '../../src/model/modelFile';
import { requestBuffers } from '../../src/serve/bufferPool';
import { handleScoring, type WireRequest } from '../../src/serve/handler';
import { rankOrder, Ranker } from '../../src/serve/ranker';
import { Rng } from '../../src/util/rng';
import { RequestError } from '../../src/serve/tradeoff';
import { fixtureModel, INPUT_FEATURES, RAW_FEATURES, randomDocuments } from './fixture';

let root: string;
let dir: string;
let engine: Engine;
let ranker: Ranker;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'cosrank-serve-'));
  dir = path.join(root, 'model');
  await saveModel(dir, fixtureModel(3));
  engine = await createEngine('auto');
  ranker = await Ranker.load(dir, { engineInstance: engine });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    if (err instanceof Error) return err;
  }
  throw new Error('expected a rejection');
}

describe('Ranker.load', () => {
  it('exposes objectives, feature counts, the input mapping and the stored default', () => {
    const m = ranker.model;
    expect(m.mainObjective).toBe('relevance');
    expect(m.objectives).toEqual(['freshness', 'clicks']);
    expect(m.rawFeatureCount).toBe(RAW_FEATURES);
    expect(Array.from(m.inputFeatures)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(Array.from(m.defaultWeights)).toEqual([0.25, 0.75]);
    expect(m.info?.formatVersion).toBe(1);
  });

  it('picks the ONNX engine by default', async () => {
    const r = await Ranker.load(dir);
    expect(r.engineName).toBe('onnx');
  });

  it('uniform default weights when the model stores none; stored defaults are normalised', async () => {
    const d = path.join(root, 'defaults');
    await saveModel(d, fixtureModel(3, { defaultWeights: [] }));
    expect(Array.from((await Ranker.load(d, { engineInstance: engine })).model.defaultWeights)).toEqual([0.5, 0.5]);
    await saveModel(d, fixtureModel(3, { defaultWeights: [1, 3] }));
    expect(Array.from((await Ranker.load(d, { engineInstance: engine })).model.defaultWeights)).toEqual([0.25, 0.75]);
  });

  it('refuses a corrupt weights file, another format version and an inconsistent input mapping', async () => {
    const d = path.join(root, 'broken');
    await saveModel(d, fixtureModel(3));
    const bin = path.join(d, 'weights.bin');
    const bytes = readFileSync(bin);
    bytes[17] ^= 0xff;
    writeFileSync(bin, bytes);
    expect((await rejection(Ranker.load(d, { engineInstance: engine }))).message).toMatch(/weights\.bin: checksum mismatch/);

    await saveModel(d, fixtureModel(3));
    const jsonFile = path.join(d, 'model.json');
    const json = JSON.parse(readFileSync(jsonFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(jsonFile, JSON.stringify({ ...json, formatVersion: 99 }));
    expect((await rejection(Ranker.load(d, { engineInstance: engine }))).message).toMatch(/format version 99 is not supported/);

    writeFileSync(jsonFile, JSON.stringify({ ...json, integrity: undefined, inputFeatures: [0, 1, 2, 3, 4, 5, 6, 7, 8, 10] }));
    expect((await rejection(Ranker.load(d, { engineInstance: engine }))).message).toMatch(/model\.json: inputFeatures .* disagree with the objectives' dropped features/);
  });
});

describe('scoring', () => {
  const n = 25;
  const raw = randomDocuments(n, 5);
  /** The model-input matrix: raw columns 0..9 of every document (features 11 and 12 dropped). */
  const mapped = new Float32Array(n * INPUT_FEATURES);
  for (let d = 0; d < n; d++) mapped.set(raw.subarray(d * RAW_FEATURES, d * RAW_FEATURES + INPUT_FEATURES), d * INPUT_FEATURES);
  const direct = (weights: number[], c = 1) =>
    engine.score(ranker.model.spec, ranker.model.params, { features: mapped, queryOffsets: Int32Array.of(0, n), weights: Float32Array.from(weights), beta: Float32Array.of(1, 1), c });

  it('drops the objectives’ source features: raw in, the engine sees the mapped columns', async () => {
    expect(await ranker.score(raw, { weights: [0.6, 0.4] })).toEqual(await direct([0.6, 0.4]));
    // the dropped raw features 11 and 12 cannot influence the score; a kept one does
    const changed = raw.slice();
    for (let d = 0; d < n; d++) {
      changed[d * RAW_FEATURES + 10] = 100 + d;
      changed[d * RAW_FEATURES + 11] = -50;
    }
    expect(await ranker.score(changed, { weights: [0.6, 0.4] })).toEqual(await direct([0.6, 0.4]));
    changed[2] += 1;
    expect((await ranker.score(changed, { weights: [0.6, 0.4] }))[0]).not.toBe((await direct([0.6, 0.4]))[0]);
  });

  it('weights by name equal positional weights; no weights = the stored default; the trade-off matters', async () => {
    const byName = await ranker.score(raw, { weights: { clicks: 3, freshness: 1 } });
    expect(byName).toEqual(await direct([0.25, 0.75]));
    expect(await ranker.score(raw)).toEqual(byName);
    expect(await ranker.score(raw, { weights: { clicks: 1 } })).toEqual(await direct([0, 1]));
    expect(await ranker.score(raw, { weights: [1, 0] })).not.toEqual(await ranker.score(raw, { weights: [0, 1] }));
  });

  it('c passes through; a huge c gives s0', async () => {
    expect(await ranker.score(raw, { c: 2.5 })).toEqual(await direct([0.25, 0.75], 2.5));
    const s0 = await engine.score({ base: ranker.model.spec.base }, { base: ranker.model.params.base }, { features: mapped, queryOffsets: Int32Array.of(0, n) });
    const far = await ranker.score(raw, { c: 1e7 });
    for (let d = 0; d < n; d++) expect(far[d]).toBeCloseTo(s0[d], 5);
  });

  it('dense, sparse and base64 documents give identical scores (sparse: LETOR numbering, missing = 0)', async () => {
    const withZeros = raw.slice();
    for (let i = 0; i < withZeros.length; i += 3) withZeros[i] = 0;
    const dense = Array.from({ length: n }, (_, d) => ({ id: d, features: Array.from(withZeros.subarray(d * RAW_FEATURES, (d + 1) * RAW_FEATURES)) }));
    const sparse = dense.map(({ id, features }) => ({
      id,
      features: Object.fromEntries(features.flatMap((v, i) => (v === 0 ? [] : [[String(i + 1), v]]))),
    }));
    expect(ranker.denseFeatures(sparse)).toEqual(withZeros);
    const b64 = dense.map(({ id, features }) => ({ id, features: Buffer.from(Float32Array.from(features).buffer).toString('base64') }));
    expect(ranker.denseFeatures(b64)).toEqual(withZeros);
    expect(await ranker.rerank(sparse, { weights: [0.3, 0.7] })).toEqual(await ranker.rerank(dense, { weights: [0.3, 0.7] }));
  });

  it('rerank: best first, ranks 1.., ties keep the given order, topK cuts', async () => {
    const docs = Array.from({ length: n }, (_, d) => ({ id: `d${d}`, features: Array.from(raw.subarray(d * RAW_FEATURES, (d + 1) * RAW_FEATURES)) }));
    docs.push({ id: 'twin', features: docs[4].features.slice() });
    const scores = await ranker.score(ranker.denseFeatures(docs), { weights: [0.5, 0.5] });
    const ranked = await ranker.rerank(docs, { weights: [0.5, 0.5] });
    expect(ranked.map((r) => r.rank)).toEqual(Array.from({ length: n + 1 }, (_, i) => i + 1));
    for (let i = 1; i < ranked.length; i++) expect(ranked[i - 1].score).toBeGreaterThanOrEqual(ranked[i].score);
    for (const r of ranked) expect(r.score).toBe(scores[docs.findIndex((d) => d.id === r.id)]);
    const twin = ranked.findIndex((r) => r.id === 'twin');
    expect(ranked[twin - 1].id).toBe('d4');
    expect(await ranker.rerank(docs, { weights: [0.5, 0.5], topK: 3 })).toEqual(ranked.slice(0, 3));
  });

  it('bad documents are RequestErrors naming the field', async () => {
    const good = Array.from(raw.subarray(0, RAW_FEATURES));
    const field = async (docs: unknown[], options = {}) => {
      const err = await rejection(ranker.rerank(docs as never, options));
      expect(err).toBeInstanceOf(RequestError);
      return (err as RequestError).field;
    };
    expect(await field([{ id: 1, features: good }, { id: 2, features: good.slice(1) }])).toBe('documents[1].features');
    expect(await field([{ id: 1, features: good }, { id: 2, features: [...good.slice(1), NaN] }])).toBe('documents[1].features[11]');
    expect(await field([{ id: 1, features: { '13': 1 } }])).toBe('documents[0].features.13');
    expect(await field([{ id: 1, features: { '0': 1 } }])).toBe('documents[0].features.0');
    const f32 = (xs: number[]) => Buffer.from(Float32Array.from(xs).buffer).toString('base64');
    expect(await field([{ id: 1, features: f32(good.slice(1)) }])).toBe('documents[0].features');
    expect(await field([{ id: 1, features: f32(good).replace(/A/g, '*') }])).toBe('documents[0].features');
    expect(await field([{ id: 1, features: f32([...good.slice(1), NaN]) }])).toBe('documents[0].features[11]');
    expect(await field([])).toBe('documents');
    expect(await field([{ id: 1, features: good }], { topK: 0 })).toBe('topK');
    expect(await field([{ id: 1, features: good }], { weights: { popularity: 1 } })).toBe('weights.popularity');
    expect((await rejection(ranker.score(Float32Array.of(1, 2, 3)))).message).toMatch(/^features: expected a positive multiple of 12/);
  });
});

describe('rankOrder', () => {
  it('equals a stable full sort (score descending, ties in the given order) for every k, with many ties', () => {
    const rng = new Rng(41);
    for (const n of [1, 7, 100, 1000]) {
      const scores = Float32Array.from({ length: n }, () => rng.int(n < 10 ? 3 : 40) / 8);
      const truth = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] === scores[b] ? a - b : scores[a] > scores[b] ? -1 : 1));
      for (const k of [1, 2, 5, 24, 100, 250, 251, n, n + 5]) expect(Array.from(rankOrder(scores, k))).toEqual(truth.slice(0, Math.min(k, n)));
    }
  });

  it('orders signed values, zeros of both signs, infinities, subnormals and the float32 extremes as a stable sort does', () => {
    const rng = new Rng(43);
    const special = [0, -0, 1, -1, Infinity, -Infinity, 1.4e-45, -1.4e-45, 1.1754942e-38, -1.1754942e-38, 3.4028235e38, -3.4028235e38, 0.1, -0.1, 2 ** -20, -(2 ** -20)];
    for (const n of [2, 16, 100, 1000]) {
      const scores = Float32Array.from({ length: n }, () => (rng.uniform() < 0.5 ? special[rng.int(special.length)] : (rng.uniform() - 0.5) * 10 ** rng.int(8)));
      // the comparator: −0 and +0 tie, as do equal infinities
      const truth = Array.from({ length: n }, (_, i) => i).sort((a, b) => (scores[a] === scores[b] ? a - b : scores[a] > scores[b] ? -1 : 1));
      for (const k of [1, 3, n >> 2, n >> 1, n]) expect(Array.from(rankOrder(scores, k))).toEqual(truth.slice(0, Math.min(k, n)));
    }
  });
});

describe('handleScoring', () => {
  it('a scanned body whose options are bad (400) gives its matrix back to the thread pool', async () => {
    const docs = Array.from({ length: 3 }, (_, d) => ({ id: d, features: Array.from(randomDocuments(1, d)) }));
    const request = (options: Record<string, unknown>): WireRequest => ({ route: 'rerank', contentType: 'application/json', body: [Buffer.from(JSON.stringify({ documents: docs, ...options }))] });
    const limits = { maxDocuments: 100 };
    expect((await handleScoring(ranker, request({}), limits)).status).toBe(200);
    const held = requestBuffers.held().buffers; // the matrix of that request, given back
    expect(held).toBeGreaterThan(0);
    // refused when the options are read, after the scanner filled the matrix
    const bad = await handleScoring(ranker, request({ topK: 0 }), limits);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body as string).field).toBe('topK');
    expect(requestBuffers.held().buffers).toBe(held);
  });
});
