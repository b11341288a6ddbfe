/** A tiny hand-made dataset for the Arrow/Parquet/read tests, with awkward float values (NaN, -0, subnormal). */
import type { RankingDataset } from '../../src/data/dataset';

export function tinyDataset(): RankingDataset {
  // 3 queries with 2, 1 and 3 documents; 3 features.
  const features = new Float32Array([
    0.1, -0, 3, //
    NaN, 1e-40, -7.25, //
    Infinity, 2, 0, //
    0.5, 0.25, 0.125, //
    -1, -2, -3, //
    42, 1e30, 6,
  ]);
  return {
    features,
    nFeatures: 3,
    featureNames: ['bm25', 'pagerank', 'url_len'],
    queryOffsets: new Int32Array([0, 2, 3, 6]),
    queryIds: ['10', 'q-7', 'ü'],
    labelNames: ['relevance', 'clicks'],
    labels: [new Float32Array([2, 0, 1, 0, 0, 1]), new Float32Array([0.5, 3, 0, 1, 2, 7])],
    docIds: ['d1', null, 'd3', 'd4', 'd5', 'd6'],
    metadata: { source: 'hand-made', cuts: [0.5, 1.5], nested: { ok: true } },
  };
}

/** Bit patterns of a float32 array, so NaN and -0 compare exactly. */
export function bits(a: Float32Array): number[] {
  return Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
}

/** Every field of a dataset read back equals the one written, floats bit for bit. */
export function expectSameDataset(back: RankingDataset, ds: RankingDataset): void {
  expect(bits(back.features)).toEqual(bits(ds.features));
  expect(back.nFeatures).toBe(ds.nFeatures);
  expect(back.featureNames).toEqual(ds.featureNames);
  expect(Array.from(back.queryOffsets)).toEqual(Array.from(ds.queryOffsets));
  expect(back.queryIds).toEqual(ds.queryIds);
  expect(back.labelNames).toEqual(ds.labelNames);
  expect(back.labels.map(bits)).toEqual(ds.labels.map(bits));
  expect(back.docIds).toEqual(ds.docIds);
  expect(back.metadata).toEqual(ds.metadata);
}
