import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatSummary, inspectDataset } from '../../src/data/inspect';
import { readDataset } from '../../src/data/read';
import type { RankingDataset } from '../../src/data/dataset';

// 4 queries of 3, 1, 2 and 4 documents; an integer label, a fractional label, 2 features.
function handMade(): RankingDataset {
  const a = [1, NaN, -2, 3, 4, 5, 6, 7, 8, 9];
  return {
    features: new Float32Array(a.flatMap((v) => [v, 7])),
    nFeatures: 2,
    featureNames: ['a', 'b'],
    queryOffsets: new Int32Array([0, 3, 4, 6, 10]),
    queryIds: ['q0', 'q1', 'q2', 'q3'],
    labelNames: ['rel', 'ctr'],
    labels: [new Float32Array([0, 1, 2, 3, 0, 0, 1, 1, 1, 1]), new Float32Array([0.5, 0.25, 0, 1, 0.5, 0.5, 0.1, 0.2, 0.3, 0.4])],
  };
}

test('figures of a hand-made dataset', () => {
  const s = inspectDataset(handMade());
  expect(s.queries).toBe(4);
  expect(s.documents).toBe(10);
  expect(s.features).toBe(2);
  // sizes sorted 1,2,3,4: median (2+3)/2, mean 10/4
  expect(s.docsPerQuery).toEqual({ min: 1, median: 2.5, mean: 2.5, max: 4 });
  expect(s.oneDocumentQueries).toBe(1);

  const [rel, ctr] = s.labels;
  expect(rel.integer).toBe(true);
  expect(rel.histogram).toEqual({ '0': 3, '1': 5, '2': 1, '3': 1 });
  expect(rel.allEqualQueries).toBe(3); // q1 (one document), q2 (0,0), q3 (1,1,1,1)
  expect(rel.noPositiveQueries).toBe(1); // q2
  expect(rel.quantiles).toBeUndefined();

  expect(ctr.integer).toBe(false);
  expect(ctr.histogram).toBeUndefined();
  expect(ctr.min).toBe(0);
  expect(ctr.max).toBe(1);
  // sorted: 0 .1 .2 .25 .3 .4 .5 .5 .5 1; p25 at h=2.25: .2 + .25(.25-.2); p50 at 4.5: (.3+.4)/2; p75 at 6.75: .5
  expect(ctr.quantiles!.p25).toBeCloseTo(0.2125, 6);
  expect(ctr.quantiles!.p50).toBeCloseTo(0.35, 6);
  expect(ctr.quantiles!.p75).toBeCloseTo(0.5, 6);
  expect(ctr.allEqualQueries).toBe(2); // q1, q2
  expect(ctr.noPositiveQueries).toBe(0);

  expect(s.featureStats).toEqual([
    { name: 'a', min: -2, max: 9, nan: 1 },
    { name: 'b', min: 7, max: 7, nan: 0 },
  ]);
  expect(s.constantFeatures).toEqual(['b']);
});

test('formatSummary shows the histogram with shares and the quartiles', () => {
  const text = formatSummary(inspectDataset(handMade()));
  expect(text).toContain('docs/query  min 1 / median 2.5000 / mean 2.5 / max 4');
  expect(text).toMatch(/ 1:\s+5 {2}\(50\.0%\)/);
  expect(text).toContain("label 'ctr' (not integer: no histogram)");
  expect(text).toContain('median 0.3500');
  expect(text).toContain('constant features (1): b');
});

const mq2008 = path.resolve(__dirname, '../../../shared/data/MQ2008/S1.txt');
const maybe = fs.existsSync(mq2008) ? describe : describe.skip;
if (!fs.existsSync(mq2008)) console.warn(`skipping MQ2008 inspect test: ${mq2008} is absent`);

maybe('MQ2008 S1 (figures from shared/data/MQ2008/SOURCE.md)', () => {
  test('157 queries, 2,933 documents, 46 features, grades 2316/427/190, 52 queries without a relevant document', async () => {
    const s = inspectDataset(await readDataset(mq2008));
    expect([s.queries, s.documents, s.features]).toEqual([157, 2933, 46]);
    expect(s.docsPerQuery.min).toBe(6);
    expect(s.docsPerQuery.median).toBe(8);
    expect(s.docsPerQuery.max).toBe(118);
    expect(s.labels[0].histogram).toEqual({ '0': 2316, '1': 427, '2': 190 });
    expect(s.labels[0].noPositiveQueries).toBe(52);
    // SOURCE.md: IDF features 6–10 constant within each query (0 after normalisation), 43 zero on every row.
    expect(s.constantFeatures).toEqual(['f6', 'f7', 'f8', 'f9', 'f10', 'f43']);
  });
});
