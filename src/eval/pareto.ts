/**
 * Pareto fronts under maximisation: a dominates b when a_j ≥ b_j for every j and a_j > b_j for some j.
 */

/** Throws a RangeError unless all points have the same dimension and no NaN. */
export function checkPoints(points: ArrayLike<number>[], what = 'points'): number {
  if (points.length === 0) return 0;
  const m = points[0].length;
  points.forEach((p, i) => {
    if (p.length !== m) throw new RangeError(`${what}[${i}] has ${p.length} coordinates, expected ${m}`);
    for (let j = 0; j < m; j++) if (Number.isNaN(p[j])) throw new RangeError(`${what}[${i}][${j}] is NaN`);
  });
  return m;
}

/** a_j ≥ b_j for every j (a dominates b, or a equals b). */
export function weaklyDominates(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  for (let j = 0; j < a.length; j++) if (a[j] < b[j]) return false;
  return true;
}

/**
 * Indices (ascending) of the non-dominated points. Of several equal points only the first is kept.
 *
 * Points are visited in lexicographically descending order (equal points by index), so anything that
 * dominates a point, or equals it with a lower index, is visited before it; a point then joins the front
 * unless a front member weakly dominates it. O(n log n + n·|front|·m).
 * Example: `paretoFront([[1, 2], [2, 1], [1, 1], [1, 2]])` → `[0, 1]`.
 */
export function paretoFront(points: ArrayLike<number>[]): number[] {
  const m = checkPoints(points);
  const visit = points.map((_, i) => i);
  visit.sort((a, b) => {
    const pa = points[a];
    const pb = points[b];
    for (let j = 0; j < m; j++) if (pa[j] !== pb[j]) return pb[j] - pa[j];
    return a - b;
  });
  const front: number[] = [];
  for (const i of visit) {
    if (!front.some((f) => weaklyDominates(points[f], points[i]))) front.push(i);
  }
  return front.sort((a, b) => a - b);
}
