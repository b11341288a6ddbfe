import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  bivariateUpper,
  generateSynthetic,
  generateToArrow,
  gradeCorrelation,
  normalCdf,
  normalQuantile,
  syntheticListLengths,
  resolveGeneratorOptions,
  GENERATOR_DEFAULTS,
  MSLR_LIKE_LABEL_NOISE,
} from '../../src/data/generate';
import { readArrow } from '../../src/data/arrow';
import { applyObjectives } from '../../src/data/objectives';
import { presetObjectives } from '../../src/data/presets';
import { validateDataset, type RankingDataset } from '../../src/data/dataset';
import { ConfigError } from '../../src/util/errors';
import { command } from '../../src/cli/commands/generate';
import { isTemporaryName } from '../../src/util/atomicWrite';
import { pearson } from './pearson';
import { configIssues } from '../configIssues';


function column(ds: RankingDataset, feature1: number): Float64Array {
  const out = new Float64Array(ds.labels[0].length);
  for (let d = 0; d < out.length; d++) out[d] = ds.features[d * ds.nFeatures + feature1 - 1];
  return out;
}

/** Correlation with relevance of a simple linear score: the sum of the five BM25 features (106–110). */
function bm25Correlation(ds: RankingDataset): number {
  const score = new Float64Array(ds.labels[0].length);
  for (let f = 106; f <= 110; f++) column(ds, f).forEach((v, d) => (score[d] += v));
  return pearson(score, ds.labels[0]);
}

/** Index of the first difference of two typed arrays, −1 when identical (jest's toEqual is far too slow on millions of values). */
function firstDifference(a: Float32Array | Int32Array, b: Float32Array | Int32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Residual of y after a least-squares line on x (what relevance alone cannot explain). */
function residual(y: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  const n = y.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
  }
  const slope = sxy / sxx;
  return Float64Array.from(y, (v, i) => v - my - slope * (x[i] - mx));
}

describe('normal helpers', () => {
  it('match closed forms', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 12);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 9);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 8);
    // P(X > 0, Y > 0) = 1/4 + asin(ρ)/(2π) (Sheppard)
    for (const rho of [-0.7, 0, 0.3, 0.9]) expect(bivariateUpper(0, 0, rho)).toBeCloseTo(0.25 + Math.asin(rho) / (2 * Math.PI), 8);
    // independent: product of marginals
    expect(bivariateUpper(0.5, -1, 0)).toBeCloseTo(normalCdf(-0.5) * normalCdf(1), 12);
    // binary grades at the median: Pearson = phi coefficient = 2·asin(ρ)/π
    expect(gradeCorrelation(0.5, [0.5, 0.5], [0.5, 0.5])).toBeCloseTo((2 * Math.asin(0.5)) / Math.PI, 7);
  });
});

describe('generateSynthetic', () => {
  const ds = generateSynthetic({ queries: 300, seed: 11 });
  const n = ds.labels[0].length;

  it('has the MSLR shape', () => {
    validateDataset(ds);
    expect(ds.nFeatures).toBe(136);
    expect(ds.labelNames).toEqual(['relevance', 'freshness', 'clicks', 'quality']);
    for (const col of ds.labels) expect(col.every((v) => Number.isInteger(v) && v >= 0 && v <= 4)).toBe(true);
    expect(ds.features.every(Number.isFinite)).toBe(true);
    // realistic ranges: ratios in [0,1], LMIR negative, quality scores bytes, clicks zero-inflated counts
    expect(column(ds, 6).every((v) => v >= 0 && v <= 1)).toBe(true);
    expect(column(ds, 116).every((v) => v < 0)).toBe(true);
    expect(column(ds, 132).every((v) => Number.isInteger(v) && v >= 0 && v <= 255)).toBe(true);
    const clicks = column(ds, 134);
    expect(clicks.every((v) => Number.isInteger(v) && v >= 0)).toBe(true);
    expect(clicks.filter((v) => v === 0).length / n).toBeGreaterThan(0.3);
  });

  it('skews relevance like MSLR', () => {
    const shares = [0, 1, 2, 3, 4].map((g) => ds.labels[0].filter((v) => v === g).length / n);
    // documents of a query share the query effect, so shares vary more than binomially between seeds
    [0.52, 0.32, 0.13, 0.02, 0.01].forEach((p, g) => expect(Math.abs(shares[g] - p)).toBeLessThan(0.04));
    for (let g = 1; g < 5; g++) expect(shares[g]).toBeLessThan(shares[g - 1]);
  });

  it('defaults to the calibrated label noise; 0 stays available explicitly', () => {
    expect(GENERATOR_DEFAULTS.labelNoise).toBe(MSLR_LIKE_LABEL_NOISE);
    expect(MSLR_LIKE_LABEL_NOISE).toBeGreaterThan(0);
    expect(resolveGeneratorOptions({ queries: 1, seed: 1 }).labelNoise).toBe(MSLR_LIKE_LABEL_NOISE);
    expect(resolveGeneratorOptions({ queries: 1, seed: 1, labelNoise: 0 }).labelNoise).toBe(0);
    expect((ds.metadata?.generator as { labelNoise: number }).labelNoise).toBe(MSLR_LIKE_LABEL_NOISE);
  });

  it('hits the declared grade correlations with relevance under the default label noise', () => {
    // measured (pooled Pearson of the grades) against declared: the calibration of ρ_k is exact, so only
    // sampling error remains (≈ 1/√(36,000 documents), inflated by the shared query effect)
    GENERATOR_DEFAULTS.objectives.forEach((o, k) => expect(Math.abs(pearson(ds.labels[0], ds.labels[k + 1]) - o.correlation)).toBeLessThan(0.03));
  });

  it('carries signal in the features, also for what relevance does not explain', () => {
    // the BM25 sum tracks relevance closely on easy data (labelNoise 0), less but clearly under the default
    expect(bm25Correlation(generateSynthetic({ queries: 300, seed: 11, labelNoise: 0 }))).toBeGreaterThan(0.4);
    expect(bm25Correlation(ds)).toBeGreaterThan(0.2);
    // each auxiliary grade, after removing its linear dependence on relevance, still follows its raw features
    const rel = ds.labels[0];
    expect(pearson(residual(ds.labels[1], rel), column(ds, 126))).toBeGreaterThan(0.2); // URL depth → freshness
    expect(pearson(residual(ds.labels[2], rel), column(ds, 134).map(Math.log1p))).toBeGreaterThan(0.2); // clicks
    expect(pearson(residual(ds.labels[3], rel), column(ds, 132))).toBeGreaterThan(0.2); // quality score
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const a = generateSynthetic({ queries: 5, seed: 3 });
    const b = generateSynthetic({ queries: 5, seed: 3 });
    const c = generateSynthetic({ queries: 5, seed: 4 });
    expect(firstDifference(a.features, b.features)).toBe(-1);
    a.labels.forEach((col, j) => expect(firstDifference(col, b.labels[j])).toBe(-1));
    expect(firstDifference(a.queryOffsets, b.queryOffsets)).toBe(-1);
    expect(firstDifference(a.features, c.features)).not.toBe(-1);
  });

  it('makes the mslr preset meaningful: inputs 1–131, click/quality grades track the generator labels', () => {
    const { dataset } = applyObjectives(ds, presetObjectives('mslr'));
    expect(dataset.nFeatures).toBe(131);
    const clicks = ds.labels[2];
    const quality = ds.labels[3];
    expect(pearson(dataset.labels[1], clicks)).toBeGreaterThan(0.5);
    expect(pearson(dataset.labels[4], quality)).toBeGreaterThan(0.5);
  });

  it('takes any number of auxiliary objectives (channels without an objective become noise)', () => {
    for (const objectives of [[], [{ name: 'x', correlation: 0.1 }], ['a', 'b', 'c', 'd', 'e'].map((name, k) => ({ name, correlation: 0.1 * k - 0.2 }))]) {
      const g = generateSynthetic({ queries: 4, seed: 2, nFeatures: 140, objectives });
      validateDataset(g);
      expect(g.labelNames).toEqual(['relevance', ...objectives.map((o) => o.name)]);
      expect(g.features.every(Number.isFinite)).toBe(true);
    }
  });

  it('bounds its sizes and seed, naming the option, before allocating anything', () => {
    const issues = configIssues(() => generateSynthetic({ queries: 99999999999, seed: 2 ** 32, nFeatures: 1e9 }));
    expect(issues).toEqual([
      { path: 'generator.queries', value: 99999999999, expected: 'an integer ≥ 1 and ≤ 1000000' },
      { path: 'generator.seed', value: 2 ** 32, expected: 'an integer 0 … 4294967295 (2^32 − 1: seeds are 32-bit)' },
      { path: 'generator.nFeatures', value: 1e9, expected: 'an integer ≥ 11 and ≤ 100000' },
    ]);
    expect(configIssues(() => generateSynthetic({ queries: 1_000_000, seed: 1 }))).toEqual([
      { path: 'generator.queries', value: 1_000_000, expected: 'at most 50000000 expected documents (queries × meanListLength 120)' },
    ]);
  });

  it('rejects bad options all at once', () => {
    try {
      generateSynthetic({ queries: 0, seed: 1, noise: -1, objectives: [{ name: 'relevance', correlation: 1.5 }] });
      throw new Error('no error');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues.map((i) => i.path)).toEqual([
        'generator.queries',
        'generator.noise',
        'generator.objectives[0].name',
        'generator.objectives[0].correlation',
      ]);
    }
    // a grade correlation the shares cannot reach
    expect(() => generateSynthetic({ queries: 1, seed: 1, objectives: [{ name: 'x', correlation: 0.98, shares: [0.95, 0.05] }] })).toThrow(/reachable/);
  });
});

describe('list lengths', () => {
  it('are heavy-tailed like MSLR: 1 to over 1,000, mean ≈ 120', () => {
    const l = Array.from(syntheticListLengths({ queries: 10000, seed: 5 }));
    const mean = l.reduce((s, x) => s + x, 0) / l.length;
    expect(Math.abs(mean - 120)).toBeLessThan(12);
    expect(Math.min(...l)).toBe(1);
    expect(Math.max(...l)).toBeGreaterThan(1000);
    expect(Math.max(...l)).toBeLessThanOrEqual(1300);
    const sorted = [...l].sort((a, b) => a - b);
    expect(sorted[5000]).toBeLessThan(mean); // median below mean: right-skewed
  });
});

describe('generateToArrow and cosrank generate', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-gen-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('streams the same data as generateSynthetic, in several record batches', async () => {
    const options = { queries: 40, seed: 9 };
    const file = path.join(dir, 'g.arrow');
    const events: number[] = [];
    const summary = await generateToArrow(options, file, (e) => events.push(e.done), 1000);
    const back = await readArrow(file);
    const mem = generateSynthetic(options);
    expect(summary.documents).toBe(mem.labels[0].length);
    expect(events.length).toBeGreaterThan(2); // one progress event per record batch
    expect(events[events.length - 1]).toBe(summary.documents);
    expect(back.labelNames).toEqual(mem.labelNames);
    expect(back.queryIds).toEqual(mem.queryIds);
    expect(firstDifference(back.queryOffsets, mem.queryOffsets)).toBe(-1);
    expect(firstDifference(back.features, mem.features)).toBe(-1);
    back.labels.forEach((col, j) => expect(firstDifference(col, mem.labels[j])).toBe(-1));
    expect(summary.histograms[0]).toEqual([0, 1, 2, 3, 4].map((g) => mem.labels[0].filter((v) => v === g).length));
    expect(fs.readdirSync(path.dirname(file)).filter(isTemporaryName)).toEqual([]);
  });

  it('cosrank generate writes the file and prints a JSON summary', async () => {
    const file = path.join(dir, 'cli.arrow');
    let out = '';
    const io = { stdout: (t: string) => (out += t), stderr: () => undefined, isTTY: false };
    expect(await command.run(['--queries', '20', '--seed', '2', '--out', file, '--json'], io)).toBe(0);
    const summary = JSON.parse(out) as { queries: number; documents: number; histograms: number[][] };
    expect(summary.queries).toBe(20);
    const back = await readArrow(file);
    expect(back.labels[0].length).toBe(summary.documents);
    // the calibrated label noise by default; --label-noise 0 gives the easy data
    expect((back.metadata?.generator as { labelNoise: number }).labelNoise).toBe(MSLR_LIKE_LABEL_NOISE);
    expect(await command.run(['--queries', '20', '--seed', '2', '--out', file, '--label-noise', '0'], io)).toBe(0);
    expect(((await readArrow(file)).metadata?.generator as { labelNoise: number }).labelNoise).toBe(0);
    await expect(command.run(['--queries', 'x', '--seed', '2', '--out', file], io)).rejects.toThrow(/--queries must be an integer/);
    await expect(command.run(['--queries', '5', '--seed', '2'], io)).rejects.toThrow(/--out is required/);
  });

  it('cosrank generate --objectives takes name:correlation pairs (m = 5, some negative) and --label-noise', async () => {
    const file = path.join(dir, 'five.arrow');
    let out = '';
    const io = { stdout: (t: string) => (out += t), stderr: () => undefined, isTTY: false };
    const list = 'freshness:-0.3,clicks:0.5,quality:0.2,novelty:-0.2,depth:0.1';
    expect(await command.run(['--queries', '10', '--seed', '2', '--out', file, '--objectives', list, '--label-noise', '0.5', '--json'], io)).toBe(0);
    expect(JSON.parse(out).labelNames).toEqual(['relevance', 'freshness', 'clicks', 'quality', 'novelty', 'depth']);
    const back = await readArrow(file);
    expect((back.metadata?.generator as { labelNoise: number }).labelNoise).toBe(0.5);
    await expect(command.run(['--queries', '5', '--seed', '2', '--out', file, '--objectives', 'a=1'], io)).rejects.toThrow(/name:correlation pairs/);
    await expect(command.run(['--queries', '5', '--seed', '2', '--out', file, '--objectives', 'a:2'], io)).rejects.toThrow(/objectives\[0\]\.correlation/);
  });
});

describe('auxiliary objectives as a list (issue 11 item 6)', () => {
  const declared = [
    { name: 'freshness', correlation: -0.3 },
    { name: 'clicks', correlation: 0.5 },
    { name: 'quality', correlation: 0.2 },
    { name: 'novelty', correlation: -0.4 },
    { name: 'depth', correlation: 0.35 },
  ];

  it.each([0, 0.7])('m = 5: each grade correlation with relevance has the declared sign and size (label noise %s)', (labelNoise) => {
    const ds = generateSynthetic({ queries: 250, seed: 5, objectives: declared, labelNoise });
    expect(ds.labelNames).toEqual(['relevance', ...declared.map((o) => o.name)]);
    declared.forEach((o, k) => {
      const r = pearson(ds.labels[0], ds.labels[k + 1]);
      expect(Math.sign(r)).toBe(Math.sign(o.correlation));
      expect(Math.abs(r - o.correlation)).toBeLessThan(0.04);
    });
  });

  it('label noise λ hides a share of relevance from the features: their correlation shrinks by about √(1 − λ²)', () => {
    const clean = bm25Correlation(generateSynthetic({ queries: 150, seed: 8, labelNoise: 0 }));
    const noisy = bm25Correlation(generateSynthetic({ queries: 150, seed: 8, labelNoise: MSLR_LIKE_LABEL_NOISE }));
    expect(noisy / clean).toBeGreaterThan(Math.sqrt(1 - MSLR_LIKE_LABEL_NOISE ** 2) - 0.12);
    expect(noisy / clean).toBeLessThan(Math.sqrt(1 - MSLR_LIKE_LABEL_NOISE ** 2) + 0.12);
  });

  it('objectives 4 and 5 are carried by their own features (variance statistics of a stream)', () => {
    const ds = generateSynthetic({ queries: 150, seed: 6, objectives: declared });
    const rel = ds.labels[0];
    // objective k ≥ 4 loads on text types 8, 13, 18 of stream (k − 4) mod 5: feature 5·type + stream + 1
    expect(pearson(residual(ds.labels[4], rel), column(ds, 5 * 8 + 0 + 1))).toBeGreaterThan(0.2);
    expect(pearson(residual(ds.labels[5], rel), column(ds, 5 * 8 + 1 + 1))).toBeGreaterThan(0.2);
  });
});
