import type { RankingDataset } from '../../src/data/dataset';
import { BatchStream, makeBatch, makeBatches } from '../../src/train/batching';
import { Rng } from '../../src/util/rng';

/** Query q has q + 1 documents; document d has features (d, 10d) and labels (d % 3, 100 + d). */
function tiny(nQueries: number): RankingDataset {
  const offsets = new Int32Array(nQueries + 1);
  for (let q = 0; q < nQueries; q++) offsets[q + 1] = offsets[q] + q + 1;
  const n = offsets[nQueries];
  const features = new Float32Array(n * 2);
  const rel = new Float32Array(n);
  const aux = new Float32Array(n);
  for (let d = 0; d < n; d++) {
    features[2 * d] = d;
    features[2 * d + 1] = 10 * d;
    rel[d] = d % 3;
    aux[d] = 100 + d;
  }
  return {
    features,
    nFeatures: 2,
    featureNames: ['f1', 'f2'],
    queryOffsets: offsets,
    queryIds: Array.from({ length: nQueries }, (_, q) => `q${q}`),
    labelNames: ['rel', 'aux'],
    labels: [rel, aux],
  };
}

describe('makeBatch', () => {
  it('pads to the longest list with an explicit mask and zero features', () => {
    const ds = tiny(4);
    // queries 1 (docs 1,2) and 3 (docs 6..9)
    const b = makeBatch(ds, [1, 3], { listsPerBatch: 2, labelColumns: [1, 0] }, new Rng(1));
    expect([b.batchSize, b.listSize, b.inputSize]).toEqual([2, 4, 2]);
    expect(Array.from(b.mask)).toEqual([1, 1, 0, 0, 1, 1, 1, 1]);
    expect(Array.from(b.features.subarray(0, 8))).toEqual([1, 10, 2, 20, 0, 0, 0, 0]);
    expect(Array.from(b.features.subarray(8, 16))).toEqual([6, 60, 7, 70, 8, 80, 9, 90]);
    expect(Array.from(b.labels[0])).toEqual([101, 102, 0, 0, 106, 107, 108, 109]);
    expect(Array.from(b.labels[1])).toEqual([1, 2, 0, 0, 0, 1, 2, 0]);
  });

  it('cuts long lists to the slate length by sampling without replacement, in document order', () => {
    const ds = tiny(10); // query 9 has 10 documents, 45..54
    const seen = new Set<number>();
    for (let s = 0; s < 30; s++) {
      const b = makeBatch(ds, [9, 0], { listsPerBatch: 2, slateLength: 4, labelColumns: [1] }, new Rng(s));
      expect(b.listSize).toBe(4);
      const docs = Array.from(b.features.subarray(0, 8)).filter((_, i) => i % 2 === 0);
      expect(new Set(docs).size).toBe(4); // no document twice
      expect([...docs].sort((a, c) => a - c)).toEqual(docs); // original order kept
      docs.forEach((d) => {
        expect(d).toBeGreaterThanOrEqual(45);
        expect(d).toBeLessThanOrEqual(54);
        seen.add(d);
      });
      // labels travel with their documents
      expect(Array.from(b.labels[0].subarray(0, 4))).toEqual(docs.map((d) => 100 + d));
      // the short list is untouched
      expect(Array.from(b.mask.subarray(4))).toEqual([1, 0, 0, 0]);
    }
    expect(seen.size).toBe(10); // every document can be drawn
  });
});

describe('makeBatches / BatchStream', () => {
  it('visits every query exactly once per epoch, shuffled by the seed', () => {
    const ds = tiny(10);
    const firstDocs = (rng: Rng) =>
      makeBatches(ds, { listsPerBatch: 3, labelColumns: [0] }, rng).flatMap((b) => {
        const out: number[] = [];
        for (let i = 0; i < b.batchSize; i++) out.push(b.features[i * b.listSize * 2]);
        return out;
      });
    const a = firstDocs(new Rng(7));
    expect(a).toHaveLength(10);
    // first document of query q is q(q+1)/2
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, q) => (q * (q + 1)) / 2));
    expect(firstDocs(new Rng(7))).toEqual(a);
    expect(firstDocs(new Rng(8))).not.toEqual(a);
    expect(makeBatches(ds, { listsPerBatch: 3, labelColumns: [0] }, new Rng(1)).map((b) => b.batchSize)).toEqual([3, 3, 3, 1]);
  });

  it('resumes from a saved state with the same batches', () => {
    const ds = tiny(7);
    const opts = { listsPerBatch: 2, slateLength: 3, labelColumns: [0, 1] };
    const whole = new BatchStream(ds, opts, new Rng(3));
    const all = Array.from({ length: 11 }, () => whole.next());
    const first = new BatchStream(ds, opts, new Rng(3));
    for (let i = 0; i < 5; i++) first.next();
    const state = JSON.parse(JSON.stringify(first.getState()));
    const resumed = new BatchStream(ds, opts, new Rng(999));
    resumed.setState(state);
    for (let i = 5; i < 11; i++) expect(resumed.next()).toEqual(all[i]);
    expect(whole.currentEpoch).toBe(2);
  });

  it('rejects bad options', () => {
    expect(() => new BatchStream(tiny(3), { listsPerBatch: 0, labelColumns: [0] }, new Rng(1))).toThrow(/listsPerBatch/);
    expect(() => new BatchStream(tiny(3), { listsPerBatch: 2, labelColumns: [2] }, new Rng(1))).toThrow(/label column 2/);
  });
});
