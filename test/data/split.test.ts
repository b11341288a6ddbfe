import { splitByQuery } from '../../src/data/split';
import { documentCount, validateDataset, type RankingDataset } from '../../src/data/dataset';
import { ConfigError } from '../../src/util/errors';

/** 50 queries; query q has (q % 7) + 1 documents whose single feature and label are q. */
function dataset(): RankingDataset {
  const offsets = [0];
  const values: number[] = [];
  for (let q = 0; q < 50; q++) {
    const n = (q % 7) + 1;
    for (let i = 0; i < n; i++) values.push(q);
    offsets.push(values.length);
  }
  return {
    features: Float32Array.from(values),
    nFeatures: 1,
    featureNames: ['f1'],
    queryOffsets: Int32Array.from(offsets),
    queryIds: Array.from({ length: 50 }, (_, q) => `q${q}`),
    labelNames: ['relevance'],
    labels: [Float32Array.from(values)],
  };
}

describe('splitByQuery', () => {
  it('puts every query in exactly one split, whole, with the right sizes', () => {
    const ds = dataset();
    const s = splitByQuery(ds, { seed: 1 });
    [s.train, s.validation, s.test].forEach(validateDataset);
    expect([s.train, s.validation, s.test].map((d) => d.queryIds.length)).toEqual([30, 10, 10]);
    const all = [...s.train.queryIds, ...s.validation.queryIds, ...s.test.queryIds];
    expect(new Set(all).size).toBe(50);
    expect(all.sort()).toEqual([...ds.queryIds].sort());
    expect(documentCount(s.train) + documentCount(s.validation) + documentCount(s.test)).toBe(documentCount(ds));
    // rows travel with their query: every document's feature equals its query number
    for (const part of [s.train, s.validation, s.test]) {
      part.queryIds.forEach((id, q) => {
        const rows = part.features.subarray(part.queryOffsets[q], part.queryOffsets[q + 1]);
        expect(rows.length).toBe((Number(id.slice(1)) % 7) + 1);
        expect(rows.every((v) => v === Number(id.slice(1)))).toBe(true);
      });
    }
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const ds = dataset();
    expect(splitByQuery(ds, { seed: 7 }).test.queryIds).toEqual(splitByQuery(ds, { seed: 7 }).test.queryIds);
    expect(splitByQuery(ds, { seed: 7 }).train.queryIds).not.toEqual(splitByQuery(ds, { seed: 8 }).train.queryIds);
  });

  it('honours custom ratios including an empty split', () => {
    const s = splitByQuery(dataset(), { seed: 3, ratios: [0.8, 0, 0.2] });
    expect([s.train.queryIds.length, s.validation.queryIds.length, s.test.queryIds.length]).toEqual([40, 0, 10]);
    validateDataset(s.validation);
  });

  it('rejects bad ratios with a ConfigError naming each one', () => {
    expect(() => splitByQuery(dataset(), { seed: 1, ratios: [0.5, 0.2, 0.2] })).toThrow(ConfigError);
    try {
      splitByQuery(dataset(), { seed: 1, ratios: [-0.1, Number.NaN, 1.1] });
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues.map((i) => i.path)).toEqual(['split.ratios[0]', 'split.ratios[1]']);
    }
  });
});
