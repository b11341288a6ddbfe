import { paretoFront } from '../../src/eval/pareto';
import { Rng } from '../../src/util/rng';

/** The O(n²) definition: i is kept unless some j dominates it, or equals it with a lower index. */
function bruteForceFront(points: number[][]): number[] {
  const dominates = (a: number[], b: number[]): boolean => a.every((v, j) => v >= b[j]) && a.some((v, j) => v > b[j]);
  const equal = (a: number[], b: number[]): boolean => a.every((v, j) => v === b[j]);
  return points
    .map((_, i) => i)
    .filter((i) => !points.some((q, j) => dominates(q, points[i]) || (j < i && equal(q, points[i]))));
}

describe('paretoFront', () => {
  it('keeps the non-dominated points and the first of equal points', () => {
    expect(paretoFront([[1, 2], [2, 1], [1, 1], [1, 2]])).toEqual([0, 1]);
    expect(paretoFront([[0, 0, 1], [0, 1, 0], [1, 0, 0], [0.5, 0.5, 0.5], [0.4, 0.4, 0.4]])).toEqual([0, 1, 2, 3]);
    expect(paretoFront([[3], [5], [5], [1]])).toEqual([1]);
  });

  it('handles empty input, a single point and infinities', () => {
    expect(paretoFront([])).toEqual([]);
    expect(paretoFront([[0.3, 0.7]])).toEqual([0]);
    expect(paretoFront([[Infinity, 0], [1, 1], [-Infinity, 2]])).toEqual([0, 1, 2]);
    expect(paretoFront([[Infinity, 1], [Infinity, 0]])).toEqual([0]);
  });

  it('rejects NaN and ragged points', () => {
    expect(() => paretoFront([[1, NaN]])).toThrow(/points\[0\]\[1\] is NaN/);
    expect(() => paretoFront([[1, 2], [1]])).toThrow(/points\[1\] has 1 coordinates/);
  });

  it.each([2, 3, 4, 5])('agrees with the brute-force O(n²) filter on random sets, m = %i', (m) => {
    const rng = new Rng(100 + m);
    for (let trial = 0; trial < 30; trial++) {
      const n = 1 + rng.int(60);
      // coarse integer grids give many ties and duplicates; continuous ones give large fronts
      const coarse = trial % 2 === 0;
      const points = Array.from({ length: n }, () => Array.from({ length: m }, () => (coarse ? rng.int(4) : rng.uniform())));
      expect(paretoFront(points)).toEqual(bruteForceFront(points));
    }
  });
});
