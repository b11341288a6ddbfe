import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RankingDataset } from '../../src/data/dataset';
import { validateDataset } from '../../src/data/dataset';
import { DataError } from '../../src/util/errors';
import { alignFeatures, concatDatasets } from '../../src/data/concat';
import { declareObjectives, prepareData } from '../../src/pipeline/loadData';
import { parseRunConfig, resolveConfigPaths } from '../../src/pipeline/runConfig';

/** A LETOR-like dataset: queries given as lists of [relevance, f1, f2, …] rows. */
function letor(queries: number[][][], qidBase = 1): RankingDataset {
  const rows = queries.flat();
  const nF = rows[0].length - 1;
  const offsets = [0];
  for (const q of queries) offsets.push(offsets[offsets.length - 1] + q.length);
  return {
    features: Float32Array.from(rows.flatMap((r) => r.slice(1))),
    nFeatures: nF,
    featureNames: Array.from({ length: nF }, (_, i) => `f${i + 1}`),
    queryOffsets: Int32Array.from(offsets),
    queryIds: queries.map((_, i) => String(qidBase + i)),
    labelNames: ['relevance'],
    labels: [Float32Array.from(rows.map((r) => r[0]))],
    metadata: { format: 'letor' },
  };
}

describe('concatDatasets', () => {
  it('appends queries in file order and pads a narrower LETOR file with zeros', () => {
    const a = letor([[[1, 0.5, 0.25, 9], [0, 0.1, 0.2, 8]]]);
    const b = letor([[[2, 0.7]], [[0, 0.3], [1, 0.4]]], 2);
    const c = concatDatasets([a, b], ['a.txt', 'b.txt']);
    validateDataset(c);
    expect(Array.from(c.queryOffsets)).toEqual([0, 2, 3, 5]);
    expect(c.queryIds).toEqual(['1', '2', '3']);
    expect(c.nFeatures).toBe(3);
    expect(Array.from(c.labels[0])).toEqual([1, 0, 2, 0, 1]);
    // b's rows: f1 as read, f2 and f3 absent (0)
    expect(Array.from(c.features.subarray(6, 15))).toEqual([Math.fround(0.7), 0, 0, Math.fround(0.3), 0, 0, Math.fround(0.4), 0, 0]);
  });

  it('refuses files whose label columns differ, or non-LETOR files whose widths differ', () => {
    const a = letor([[[1, 0.5]]]);
    expect(() => concatDatasets([a, { ...a, labelNames: ['label'] }], ['a', 'b'])).toThrow(DataError);
    expect(() => alignFeatures([letor([[[1, 1, 2]]]), { ...a, metadata: { format: 'csv' } }], ['a.csv', 'b.csv'])).toThrow(/has 1 features/);
  });

  it('refuses a query id that two files share, naming both files (merged it would be one query split in two)', () => {
    const a = letor([[[1, 0.5]], [[0, 0.2]]], 1); // qids 1, 2
    const b = letor([[[2, 0.7]]], 2); // qid 2 again
    expect(() => concatDatasets([a, b], ['s1.txt', 's2.txt'])).toThrow(DataError);
    expect(() => concatDatasets([a, b], ['s1.txt', 's2.txt'])).toThrow(/s2\.txt.*query id '2' also appears in s1\.txt/);
    expect(() => concatDatasets([a, letor([[[2, 0.7]]], 3)], ['s1.txt', 's2.txt'])).not.toThrow();
  });
});

describe('declareObjectives', () => {
  it('fits quantile cut points on train and freezes them for validation and test', () => {
    // clicks = f2; train values 0..9, test values far larger: graded with the train cuts, not refitted
    const train = letor([Array.from({ length: 10 }, (_, i) => [i % 3, i, i])]);
    const test = letor([[[1, 0, 100], [0, 0, 4.5], [2, 0, -1]]]);
    const prepared = declareObjectives({ train, validation: test, test }, [
      { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 2 } },
      { name: 'clicks', source: { feature: 2 }, grading: { kind: 'quantile', buckets: 2 } },
    ]);
    // 2 buckets over 0..9: cut = the 5th smallest value = 4; grade = number of cuts strictly below
    expect(prepared.objectives[1].cutPoints).toEqual([4]);
    expect(Array.from(prepared.test.labels[1])).toEqual([1, 1, 0]);
    expect(prepared.test.nFeatures).toBe(1); // f2 dropped from the input
    expect(prepared.rawFeatureCount).toBe(2);
    expect(prepared.validation).toBe(prepared.test);
  });
});

describe('prepareData', () => {
  it('caches the prepared splits and reuses them while the input file is unchanged', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-data-'));
    try {
      const csv = ['qid,relevance,f1,f2'];
      for (let q = 0; q < 10; q++) for (let d = 0; d < 4; d++) csv.push(`${q},${(q + d) % 3},${d},${q * d}`);
      fs.writeFileSync(path.join(dir, 'd.csv'), csv.join('\n') + '\n');
      const config = resolveConfigPaths(parseRunConfig({ data: { file: 'd.csv' } }), dir);
      const cache = path.join(dir, 'cache');
      const first = await prepareData(config, cache);
      expect(first.reused).toBe(false);
      expect(first.data.train.queryIds.length + first.data.validation.queryIds.length + first.data.test.queryIds.length).toBe(10);
      const again = await prepareData(config, cache);
      expect(again.reused).toBe(true);
      expect(again.key).toBe(first.key);
      expect(again.data.test.queryIds).toEqual(first.data.test.queryIds);
      expect(Array.from(again.data.train.features)).toEqual(Array.from(first.data.train.features));
      // an edited file is a new key
      fs.appendFileSync(path.join(dir, 'd.csv'), '10,1,1,1\n');
      const edited = await prepareData(config, cache);
      expect(edited.reused).toBe(false);
      expect(edited.key).not.toBe(first.key);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
