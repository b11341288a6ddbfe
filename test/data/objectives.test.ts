import { applyObjectives, gradeValue, objectiveInputMapping, parseObjectives, quantileCuts, quantileGrade, type ObjectiveDef } from '../../src/data/objectives';
import { nextDown } from '../../src/data/quantile';
import { presetObjectives, PRESET_NAMES } from '../../src/data/presets';
import { defaultFeatureNames, validateDataset, type RankingDataset } from '../../src/data/dataset';
import { ConfigError, DataError } from '../../src/util/errors';
import { readLetor } from '../../src/data/letor';
import { concatDatasets } from '../../src/data/concat';
import { Rng } from '../../src/util/rng';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configIssues } from '../configIssues';

const DATA = path.resolve(__dirname, '../../../shared/data');
const withData = fs.existsSync(path.join(DATA, 'MQ2008/S1.txt')) ? describe : describe.skip;
if (!fs.existsSync(path.join(DATA, 'MQ2008/S1.txt'))) console.log(`skipping the MQ2008 preset test: ${DATA} is absent`);

/** Two queries (4 + 6 docs), 4 features: f1 = doc index, f2 = 10 − index, f3 = index², f4 = 1. */
function tiny(): RankingDataset {
  const n = 10;
  const nF = 4;
  const features = new Float32Array(n * nF);
  for (let d = 0; d < n; d++) features.set([d, 10 - d, d * d, 1], d * nF);
  return {
    features,
    nFeatures: nF,
    featureNames: defaultFeatureNames(nF),
    queryOffsets: Int32Array.from([0, 4, 10]),
    queryIds: ['q1', 'q2'],
    labelNames: ['relevance'],
    labels: [Float32Array.from([0, 1, 2, 0, 0, 1, 4, 3, 0, 2])],
    metadata: { source: 'tiny.txt' },
  };
}


describe('parseObjectives', () => {
  it('accepts the doc-comment example', () => {
    const defs = parseObjectives([
      { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 4 } },
      { name: 'queryUrlClicks', source: { feature: 134 }, grading: { kind: 'quantile', buckets: 5 } },
    ]);
    expect(defs.map((d) => d.name)).toEqual(['relevance', 'queryUrlClicks']);
  });

  it('reports every problem at once with its JSON path', () => {
    const issues = configIssues(() =>
      parseObjectives([
        { name: 'a', source: { label: 'relevance' }, grading: { kind: 'asIs' }, colour: 'red' },
        { name: 'a', source: { feature: 0 }, grading: { kind: 'buckets' } },
        { name: 'c', source: { expression: 'log2(1 + ' }, grading: { kind: 'clip' } },
        { name: 'd', source: { expression: 'frobnicate(f1)' }, grading: { kind: 'quantile', buckets: 1 }, target: 'fuzzy' },
        { name: 'e', source: { label: 'x', feature: 3 }, grading: { kind: 'asIs' }, invert: true },
      ]),
    );
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '$[0].colour',
        '$[1].name',
        '$[1].source.feature',
        '$[1].grading.kind',
        '$[2].source.expression',
        '$[2].grading.max',
        '$[3].source.expression',
        '$[3].grading.buckets',
        '$[3].target',
        '$[4].source',
        '$[4].invert',
      ]),
    );
    expect(issues.find((i) => i.path === '$[1].grading.kind')?.expected).toContain('asIs, clip, quantile');
    expect(issues.find((i) => i.path === '$[2].source.expression')?.expected).toContain('Unexpected end of expression');
    expect(issues.find((i) => i.path === '$[3].source.expression')?.expected).toContain("unknown function 'frobnicate'");
    expect(issues.find((i) => i.path === '$[1].name')?.expected).toContain('unique');
  });

  it('rejects a non-array or empty declaration', () => {
    expect(() => parseObjectives({})).toThrow(ConfigError);
    expect(() => parseObjectives([])).toThrow(ConfigError);
  });
});

describe('quantile grading', () => {
  it('splits distinct values into equal buckets (hand-computed cuts)', () => {
    // n = 10, G = 5, F(v) = (2v + 1)/20 → g = ⌊(2v + 1)/4⌋ = 0,0,1,1,2,2,3,3,4,4; between v and v+1, ⌊(v + 1)/2⌋
    const cuts = quantileCuts([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], 5);
    expect(cuts).toEqual([1, 3, 5, 7]);
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((v) => quantileGrade(v, cuts))).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    expect([1.5, 2.5, 8.5, 100, -1].map((v) => quantileGrade(v, cuts))).toEqual([1, 1, 4, 4, 0]);
  });

  it('grades a tied column by the mid-rank ECDF (hand-computed)', () => {
    // values 1,1,1,1,2,3,3,4 (n = 8), G = 4, F(x) = (#{<x} + #{≤x}) / 16:
    //   F(1) = (0 + 4)/16 → ⌊1⌋ = 1; F(1.5) = 8/16 → 2; F(2) = (4 + 5)/16 → ⌊2.25⌋ = 2;
    //   F(3) = (5 + 7)/16 → 3; F(4) = (7 + 8)/16 → ⌊3.75⌋ = 3; F(0.5) = 0 → 0; F(9) = 1 → min(3, 4) = 3
    const values = [3, 1, 4, 1, 2, 1, 3, 1];
    const cuts = quantileCuts(values, 4);
    expect([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 9].map((v) => quantileGrade(v, cuts))).toEqual([0, 1, 2, 2, 2, 3, 3, 3, 3]);
    expect(cuts).toEqual([nextDown(1), 1, nextDown(3)]);
    expect(values.map((v) => quantileGrade(v, cuts))).toEqual([3, 1, 3, 1, 2, 1, 3, 1]);
    // 70% zeros: the tie's middle (F = 7/20) is grade 1, values just above 0 get ⌊5 · 7/10⌋ = 3, 1 gets ⌊5 · 16/20⌋ = 4
    const zeros = quantileCuts([0, 0, 0, 0, 0, 0, 0, 1, 1, 2], 5);
    expect([0, 0.5, 1, 2].map((v) => quantileGrade(v, zeros))).toEqual([1, 3, 4, 4]);
    // one repeated value: F = 1/2 → grade 2 of 0..3
    expect(quantileGrade(3, quantileCuts([3, 3, 3], 4))).toBe(2);
  });

  it('agrees with the formula on random tied columns (property)', () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + rng.int(60);
      const G = 2 + rng.int(6);
      const values = Array.from({ length: n }, () => rng.int(8) / 2);
      const cuts = quantileCuts(values, G);
      for (const x of [...values, -1, 0.25, 1.75, 3.6, 10]) {
        const F = (values.filter((v) => v < x).length + values.filter((v) => v <= x).length) / (2 * n);
        expect(quantileGrade(x, cuts)).toBe(Math.min(G - 1, Math.floor(G * F + 1e-12)));
      }
    }
  });
});

describe('applyObjectives', () => {
  const defs: ObjectiveDef[] = parseObjectives([
    { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 4 } },
    { name: 'depth', source: { feature: 1 }, grading: { kind: 'quantile', buckets: 5 } },
    { name: 'logSq', source: { expression: 'log2(1 + f3) + 0 * f4' }, grading: { kind: 'clip', max: 4 }, target: 'dense' },
    { name: 'short', source: { feature: 2 }, grading: { kind: 'quantile', buckets: 5 }, invert: true, dropFromInput: false },
  ]);

  it('grades in declaration order, drops source features and records the mapping', () => {
    const raw = tiny();
    const before = Float32Array.from(raw.features);
    const { dataset, objectives } = applyObjectives(raw, defs);
    validateDataset(dataset);
    expect(dataset.labelNames).toEqual(['relevance', 'depth', 'logSq', 'short']);
    expect(Array.from(dataset.labels[0])).toEqual([0, 1, 2, 0, 0, 1, 4, 3, 0, 2]);
    // f1 = 0..9 → cuts [1,3,5,7] → grades 0,0,1,1,2,2,3,3,4,4
    expect(objectives[1].cutPoints).toEqual([1, 3, 5, 7]);
    expect(Array.from(dataset.labels[1])).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    // log2(1 + d²) clipped to 0..4: d=0 → 0, 1 → 1, 2 → log2 5, 3 → log2 10, ≥4 → 4
    expect(Array.from(dataset.labels[2])).toEqual([0, 1, Math.fround(Math.log2(5)), Math.fround(Math.log2(10)), 4, 4, 4, 4, 4, 4]);
    // f2 = 10 − d inverted: −f2 = d − 10 → same ranks as f1
    expect(Array.from(dataset.labels[3])).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    expect(objectives.map((o) => o.droppedFeatures)).toEqual([[], [1], [3, 4], []]);
    expect(objectives[2].target).toBe('dense');
    expect(objectives[0].target).toBe('sparse');
    expect(dataset.featureNames).toEqual(['f2']);
    expect(Array.from(dataset.features)).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(dataset.metadata?.inputFeatures).toEqual([2]);
    expect(Array.from(objectiveInputMapping(objectives, 4))).toEqual([1]);
    expect(raw.features).toEqual(before);
    expect(raw.labelNames).toEqual(['relevance']);
  });

  it('fits cut points on fitOn and reuses frozen ones', () => {
    const train = tiny();
    const other = tiny();
    other.features = other.features.map((v, i) => (i % 4 === 0 ? v + 100 : v));
    const fitted = applyObjectives(other, defs, { fitOn: train });
    expect(fitted.objectives[1].cutPoints).toEqual([1, 3, 5, 7]);
    expect(Array.from(fitted.dataset.labels[1])).toEqual(new Array(10).fill(4));
    const frozen = applyObjectives(other, defs, { resolved: fitted.objectives });
    expect(Array.from(frozen.dataset.labels[1])).toEqual(new Array(10).fill(4));
    expect(gradeValue(fitted.objectives[1], 2)).toBe(1);
    expect(gradeValue(fitted.objectives[3], 10)).toBe(0);
  });

  it('rejects an expression naming an unknown feature or column, and a bad feature index, all at once', () => {
    const bad = parseObjectives([
      { name: 'relevance', source: { label: 'grade' }, grading: { kind: 'asIs' } },
      { name: 'x', source: { expression: 'f5 + clicks' }, grading: { kind: 'asIs' } },
      { name: 'y', source: { feature: 9 }, grading: { kind: 'asIs' } },
    ]);
    const issues = configIssues(() => applyObjectives(tiny(), bad));
    expect(issues.map((i) => i.path)).toEqual(['$[0].source.label', '$[1].source.expression', '$[1].source.expression', '$[2].source.feature']);
    expect(issues[1].expected).toContain("unknown symbol 'f5'");
    expect(issues[2].expected).toContain("unknown symbol 'clicks'");
  });

  it('refuses asIs values outside the declared range instead of clamping', () => {
    const over = parseObjectives([{ name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 3 } }]);
    expect(() => applyObjectives(tiny(), over)).toThrow(DataError);
    expect(() => applyObjectives(tiny(), over)).toThrow(/tiny\.txt:relevance: .*value 4 at document 6 .*outside 0\.\.3/);
    const neg = parseObjectives([{ name: 'neg', source: { expression: 'f1 - 5' }, grading: { kind: 'asIs' } }]);
    expect(() => applyObjectives(tiny(), neg)).toThrow(DataError);
  });
});

describe('presets', () => {
  it.each(PRESET_NAMES)('%s parses', (name) => {
    const defs = presetObjectives(name);
    expect(defs[0].name).toBe('relevance');
    expect(defs.length).toBeGreaterThanOrEqual(2);
  });

  it('mslr leaves features 1–131 as input', () => {
    const n = 20;
    const raw: RankingDataset = {
      features: Float32Array.from({ length: n * 136 }, (_, i) => (i * 7919) % 13),
      nFeatures: 136,
      featureNames: defaultFeatureNames(136),
      queryOffsets: Int32Array.from([0, 8, 20]),
      queryIds: ['a', 'b'],
      labelNames: ['relevance'],
      labels: [Float32Array.from({ length: n }, (_, i) => i % 5)],
    };
    const { dataset, objectives } = applyObjectives(raw, presetObjectives('mslr'));
    expect(dataset.labelNames).toEqual(['relevance', 'queryUrlClicks', 'urlClicks', 'urlDwellTime', 'qualityScore', 'qualityScore2']);
    expect(dataset.nFeatures).toBe(131);
    expect(dataset.metadata?.inputFeatures).toEqual(Array.from({ length: 131 }, (_, i) => i + 1));
    expect(objectives.slice(1).map((o) => o.droppedFeatures[0])).toEqual([134, 135, 136, 132, 133]);
  });
});

withData('letor4 preset on MQ2008 (fit on S1, frozen on S4)', () => {
  it('buckets the training split evenly and reuses the cuts', async () => {
    const train = await readLetor(path.join(DATA, 'MQ2008/S1.txt'));
    const vali = await readLetor(path.join(DATA, 'MQ2008/S4.txt'));
    const fit = applyObjectives(train, presetObjectives('letor4'));
    const v = applyObjectives(vali, presetObjectives('letor4'), { resolved: fit.objectives });
    expect(fit.dataset.nFeatures).toBe(44);
    expect(v.dataset.metadata?.inputFeatures).toEqual([...Array.from({ length: 40 }, (_, i) => i + 1), 42, 43, 45, 46]);
    // shallowUrl = −f44 in 5 quantile buckets: each grade holds 20% ± ties on the training split
    const n = fit.dataset.labels[2].length;
    for (let g = 0; g < 5; g++) expect(Math.abs(fit.dataset.labels[2].filter((z) => z === g).length / n - 0.2)).toBeLessThan(0.02);
    // fewer slashes → higher grade; validation graded with the training cuts
    const f44 = (d: number) => vali.features[d * vali.nFeatures + 43];
    for (let d = 0; d < 200; d++) expect(v.dataset.labels[2][d]).toBe(quantileGrade(-f44(d), fit.objectives[2].cutPoints ?? []));
    expect(v.objectives[2].cutPoints).toEqual(fit.objectives[2].cutPoints);
  });

  it('PageRank (f41, heavily tied) on S1–S3 gets the mid-rank grades 1981/1390/2035/2514/1710', async () => {
    const parts = await Promise.all(['S1', 'S2', 'S3'].map((s) => readLetor(path.join(DATA, `MQ2008/${s}.txt`))));
    const train = concatDatasets(parts, ['S1', 'S2', 'S3']);
    const { dataset } = applyObjectives(train, presetObjectives('letor4'));
    const counts = [0, 1, 2, 3, 4].map((g) => dataset.labels[1].filter((z) => z === g).length);
    expect(counts).toEqual([1981, 1390, 2035, 2514, 1710]);
  });
});
