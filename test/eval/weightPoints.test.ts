import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeWeightPoints, MAX_SWEEP_POINTS, weightGrid, weightPoints, weightPointsCheck } from '../../src/eval/sweep';
import { parseRunConfig } from '../../src/pipeline/runConfig';
import { sweepPoints } from '../../src/pipeline/sweepStage';
import { parseTrainConfig } from '../../src/train/config';
import { ConfigError } from '../../src/util/errors';

const rows = (points: Float64Array[]) => points.map((p) => Array.from(p));

/** Largest |Σw − 1| and smallest coordinate over the points. */
function simplexGap(points: Float64Array[]): { sum: number; min: number } {
  let sum = 0;
  let min = Infinity;
  for (const p of points) {
    sum = Math.max(sum, Math.abs(p.reduce((a, b) => a + b, 0) - 1));
    for (const v of p) min = Math.min(min, v);
  }
  return { sum, min };
}

describe('weightPoints', () => {
  it("'lattice' is the simplex lattice: m = 2, H = 10 gives t = 0, 0.1, …, 1", () => {
    const points = weightPoints(2, 'lattice', 10);
    expect(points.map((p) => p[0])).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1]);
    expect(rows(weightPoints(5, 'lattice', 2))).toEqual(rows(weightGrid(5, { divisions: 2 })));
  });

  it('Dirichlet with corners: e_1..e_m first, then count − m interior draws on the simplex', () => {
    const points = weightPoints(5, { dirichlet: { count: 11, seed: 1, alpha: 1, corners: true } }, 2);
    expect(points).toHaveLength(11);
    for (let j = 0; j < 5; j++) expect(Array.from(points[j])).toEqual([0, 1, 2, 3, 4].map((i) => (i === j ? 1 : 0)));
    const draws = points.slice(5);
    const gap = simplexGap(draws);
    expect(gap.sum).toBeLessThan(1e-12);
    // Dirichlet(1) draws are interior (every coordinate > 0), so none repeats a corner
    expect(gap.min).toBeGreaterThan(0);
    expect(new Set(draws.map((p) => Array.from(p).join(','))).size).toBe(6);
  });

  it('is deterministic: the same spec gives the same points, another seed other draws (corners unchanged)', () => {
    const spec = { dirichlet: { count: 11, seed: 7 } };
    expect(rows(weightPoints(5, spec, 2))).toEqual(rows(weightPoints(5, structuredClone(spec), 2)));
    const other = weightPoints(5, { dirichlet: { count: 11, seed: 8 } }, 2);
    expect(rows(other.slice(0, 5))).toEqual(rows(weightPoints(5, spec, 2).slice(0, 5)));
    expect(rows(other.slice(5))).not.toEqual(rows(weightPoints(5, spec, 2).slice(5)));
  });

  it('defaults seed 1, alpha 1, corners true', () => {
    expect(rows(weightPoints(4, { dirichlet: { count: 9 } }, 2))).toEqual(rows(weightPoints(4, { dirichlet: { count: 9, seed: 1, alpha: 1, corners: true } }, 2)));
  });

  it('corners: false gives count draws, all interior', () => {
    const points = weightPoints(5, { dirichlet: { count: 11, corners: false } }, 2);
    expect(points).toHaveLength(11);
    const gap = simplexGap(points);
    expect(gap.sum).toBeLessThan(1e-12);
    expect(gap.min).toBeGreaterThan(0);
  });

  it('alpha reaches the draws: small alpha puts them near a corner, large alpha near the centre', () => {
    const maxCoord = (alpha: number) => {
      const draws = weightPoints(5, { dirichlet: { count: 400, alpha, corners: false } }, 2);
      return draws.reduce((a, p) => a + Math.max(...p), 0) / draws.length;
    };
    // E[max] → 1 as alpha → 0 and → 1/m = 0.2 as alpha → ∞
    expect(maxCoord(0.05)).toBeGreaterThan(0.85);
    expect(maxCoord(200)).toBeLessThan(0.25);
  });

  it('refuses corners that do not fit, naming the field', () => {
    expect(() => weightPoints(5, { dirichlet: { count: 3 } }, 2, 'cos.sweepPoints')).toThrow(ConfigError);
    expect(() => weightPoints(5, { dirichlet: { count: 3 } }, 2, 'cos.sweepPoints')).toThrow(/cos\.sweepPoints\.dirichlet\.count[\s\S]*at least m = 5/);
    expect(weightPoints(5, { dirichlet: { count: 3, corners: false } }, 2)).toHaveLength(3);
  });

  it('describes the points', () => {
    expect(describeWeightPoints(5, { dirichlet: { count: 11 } }, 2)).toBe('11 weight points (5 corners + 6 Dirichlet(1) draws, seed 1, m = 5)');
    expect(describeWeightPoints(2, 'lattice', 10)).toBe('11 weight points (simplex lattice H = 10, m = 2)');
  });
});

describe('weightPointsCheck and the configs', () => {
  it.each([['lattice'], [{ dirichlet: { count: 11 } }], [{ dirichlet: { count: 2, seed: 0, alpha: 0.5, corners: false } }]])('accepts %j', (v) => {
    expect(weightPointsCheck(v)).toBeNull();
  });

  it.each([['grid'], [{ dirichlet: {} }], [{ dirichlet: { count: 0 } }], [{ dirichlet: { count: 11, alpha: 0 } }], [{ dirichlet: { count: 11, seed: -1 } }], [{ dirichlet: { count: 11, extra: 1 } }], [{ dirichlet: { count: 11 }, lattice: true }], [null]])(
    'refuses %j',
    (v) => {
      expect(weightPointsCheck(v)).toMatch(/'lattice' or \{"dirichlet"/);
    },
  );

  it('refuses a seed above 2^32 − 1 and a count above MAX_SWEEP_POINTS, naming both bounds', () => {
    const allowed = `'lattice' or {"dirichlet": {"count": integer 1 … ${MAX_SWEEP_POINTS}, "seed"?: integer 0 … 4294967295, "alpha"?: number > 0, "corners"?: true|false}}`;
    expect(weightPointsCheck({ dirichlet: { count: 11, seed: 2 ** 32 } })).toBe(allowed);
    expect(weightPointsCheck({ dirichlet: { count: MAX_SWEEP_POINTS + 1 } })).toBe(allowed);
    expect(weightPointsCheck({ dirichlet: { count: MAX_SWEEP_POINTS, seed: 2 ** 32 - 1 } })).toBeNull();
    expect(() => parseRunConfig({ sweep: { points: { dirichlet: { count: 11, seed: 2 ** 32 } } } })).toThrow(`sweep.points: got {"dirichlet":{"count":11,"seed":4294967296}}, expected ${allowed}`);
  });

  it("sweep.points and cos.sweepPoints default to 'lattice' and report bad values with their paths", () => {
    expect(parseRunConfig({}).sweep.points).toBe('lattice');
    expect(parseTrainConfig({}).cos.sweepPoints).toBe('lattice');
    expect(() => parseRunConfig({ sweep: { points: { dirichlet: { count: 0 } } } })).toThrow(/sweep\.points/);
    expect(() => parseTrainConfig({ cos: { sweepPoints: 'grid' } })).toThrow(/cos\.sweepPoints/);
  });

  it('examples/paper-table.json states 11 seeded Dirichlet points for m = 5, the same for validation and test', () => {
    const file = path.join(__dirname, '..', '..', 'examples', 'paper-table.json');
    const config = parseRunConfig(JSON.parse(fs.readFileSync(file, 'utf8')), file);
    expect(config.sweep.points).toEqual(config.cos.sweepPoints);
    expect(config.sweep.points).not.toBe('lattice');
    expect(config.description).toMatch(/Dirichlet/);
    const points = sweepPoints(5, config.sweep);
    expect(points).toHaveLength(11);
    expect(simplexGap(points).sum).toBeLessThan(1e-12);
  });
});
