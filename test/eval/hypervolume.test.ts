import { frontSummary, hypervolume } from '../../src/eval/hypervolume';
import type { SweepTable } from '../../src/eval/sweep';
import { Rng } from '../../src/util/rng';

describe('hypervolume: closed forms', () => {
  it('a single box is the product of its sides (any m, any reference)', () => {
    expect(hypervolume([[2, 3]])).toBe(2 * 3);
    expect(hypervolume([[2, 3, 4]])).toBe(2 * 3 * 4);
    expect(hypervolume([[2, 3, 4, 5, 6, 7]])).toBe(2 * 3 * 4 * 5 * 6 * 7);
    expect(hypervolume([[2, 3]], [1, 1])).toBe((2 - 1) * (3 - 1));
    expect(hypervolume([[0.5]])).toBe(0.5);
    expect(hypervolume([])).toBe(0);
  });

  it('2-D staircase: a sum of strips', () => {
    expect(hypervolume([[1, 3], [2, 2], [3, 1]])).toBeCloseTo(1 * 3 + (2 - 1) * 2 + (3 - 2) * 1, 14);
    expect(hypervolume([[1, 2], [2, 1]])).toBe(2 + 2 - 1 * 1);
  });

  it('3-D staircases by inclusion–exclusion', () => {
    // three boxes of volume 3, each pair and the triple meet in the unit cube
    expect(hypervolume([[1, 1, 3], [1, 3, 1], [3, 1, 1]])).toBeCloseTo(3 * 3 - 3 * 1 + 1, 14);
    expect(hypervolume([[2, 2, 1], [1, 1, 3]])).toBeCloseTo(2 * 2 * 1 + 1 * 1 * 3 - 1 * 1 * 1, 14);
    // a 3-step staircase: boxes (k, 4-k, k) for k = 1..3 — slices at heights z ∈ (0,1], (1,2], (2,3]
    const slices = [1 * 3 + (2 - 1) * 2 + (3 - 2) * 1, (2 * 2 + (3 - 2) * 1) * 1, 3 * 1];
    expect(hypervolume([[1, 3, 1], [2, 2, 2], [3, 1, 3]])).toBeCloseTo(slices[0] + slices[1] + slices[2], 14);
  });

  it('points not strictly beyond the reference contribute nothing', () => {
    expect(hypervolume([[0, 5], [5, 0]])).toBe(0);
    expect(hypervolume([[3, 3], [5, 0], [-1, 9]])).toBe(9);
    expect(hypervolume([[3, 3, 3]], [3, 0, 0])).toBe(0);
    expect(hypervolume([[Infinity, 1]])).toBe(Infinity);
  });

  it('rejects a reference of the wrong size', () => {
    expect(() => hypervolume([[1, 2]], [0])).toThrow(/reference point must have 2/);
  });
});

/** Exact volume for integer points: the number of unit cells whose upper corner some point weakly dominates. */
function cellCount(points: number[][], side: number): number {
  const m = points[0].length;
  let count = 0;
  const corner = new Array<number>(m).fill(1);
  for (;;) {
    if (points.some((p) => p.every((v, j) => v >= corner[j]))) count++;
    let j = 0;
    while (j < m && corner[j] === side) corner[j++] = 1;
    if (j === m) return count;
    corner[j]++;
  }
}

describe('hypervolume: independent truths on random sets', () => {
  it.each([2, 3, 4, 5, 6])('equals the exact unit-cell count on integer points, m = %i', (m) => {
    const rng = new Rng(40 + m);
    const side = m <= 4 ? 6 : 4;
    for (let trial = 0; trial < 5; trial++) {
      const points = Array.from({ length: 3 + rng.int(12) }, () => Array.from({ length: m }, () => rng.int(side + 1)));
      expect(hypervolume(points)).toBeCloseTo(cellCount(points, side), 9);
    }
  });

  it.each([3, 4, 5, 6])('equals a seeded Monte Carlo estimate within 3 standard errors, m = %i', (m) => {
    const rng = new Rng(7 * m);
    const points = Array.from({ length: 12 }, () => Array.from({ length: m }, () => 0.2 + 0.8 * rng.uniform()));
    const reference = Array.from({ length: m }, () => 0.1 * rng.uniform());
    const upper = Array.from({ length: m }, (_, j) => Math.max(...points.map((p) => p[j])));
    const boxVolume = upper.reduce((v, u, j) => v * (u - reference[j]), 1);
    const samples = 100_000;
    const x = new Float64Array(m);
    let hits = 0;
    for (let s = 0; s < samples; s++) {
      for (let j = 0; j < m; j++) x[j] = reference[j] + (upper[j] - reference[j]) * rng.uniform();
      // plain loops: this runs samples × points × m times
      let inside = false;
      for (let i = 0; i < points.length && !inside; i++) {
        let j = 0;
        while (j < m && points[i][j] >= x[j]) j++;
        inside = j === m;
      }
      if (inside) hits++;
    }
    const frac = hits / samples;
    const se = boxVolume * Math.sqrt((frac * (1 - frac)) / samples);
    expect(Math.abs(hypervolume(points, reference) - boxVolume * frac)).toBeLessThan(3 * se);
  });

  it.each([2, 3, 5])('is unchanged by adding dominated points, m = %i', (m) => {
    const rng = new Rng(3 * m);
    const points = Array.from({ length: 15 }, () => Array.from({ length: m }, () => rng.uniform()));
    const dominated = Array.from({ length: 30 }, () => {
      const p = points[rng.int(points.length)];
      return p.map((v) => v * rng.uniform());
    });
    const mixed = rng.shuffle([...points, ...dominated, ...points.slice(0, 3)]);
    expect(hypervolume(mixed)).toBeCloseTo(hypervolume(points), 12);
  });
});

describe('frontSummary', () => {
  it('gives the front, the auxiliary hypervolume and main mean ± population std', () => {
    const table: SweepTable = {
      objectives: ['rel', 'a', 'b'],
      k: 10,
      policy: 'gain=linear idcgZero=skip ties=stable',
      counts: [],
      rows: [
        { weights: [0, 1], ndcg: [0.3, 0.2, 0.8] },
        { weights: [0.5, 0.5], ndcg: [0.4, 0.5, 0.5] },
        { weights: [0.6, 0.4], ndcg: [0.5, 0.4, 0.4] },
        { weights: [1, 0], ndcg: [0.6, 0.8, 0.2] },
      ],
    };
    const s = frontSummary(table);
    expect(s.front).toEqual([0, 1, 3]);
    expect(s.hypervolume).toBeCloseTo(0.8 * 0.2 + 0.5 * (0.5 - 0.2) + 0.2 * (0.8 - 0.5), 14);
    expect(s.mainMean).toBeCloseTo((0.3 + 0.4 + 0.5 + 0.6) / 4, 14);
    expect(s.mainStd).toBeCloseTo(Math.sqrt((0.15 ** 2 + 0.05 ** 2 + 0.05 ** 2 + 0.15 ** 2) / 4), 14);
    // reference (0.3, 0.3): only (0.5, 0.5) and the dominated (0.4, 0.4) lie strictly beyond it
    expect(frontSummary(table, [0.3, 0.3]).hypervolume).toBeCloseTo((0.5 - 0.3) * (0.5 - 0.3), 14);
  });
});
