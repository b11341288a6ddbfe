/**
 * Exact hypervolume (maximisation) and the per-sweep summary of the paper's Table 1.
 *
 * The hypervolume of a set S w.r.t. a reference r is the volume of ∪_{p ∈ S} [r, p] (the boxes between r
 * and each point). Points that do not strictly exceed r in every coordinate contribute nothing.
 */
import { checkPoints, paretoFront } from './pareto';
import type { SweepTable } from './sweep';

/**
 * Exact hypervolume for any dimension m.
 *
 * m = 1: the largest coordinate; m = 2: a sweep over the points sorted by the first coordinate.
 * m ≥ 3: the WFG recursion (While, Bradstreet & Barone 2012) on the union of boxes [0, p]: with the points
 * sorted by the last coordinate ascending, vol(∪ B_i) = Σ_i vol(B_i ∖ ∪_{j>i} B_j), and since every later
 * point has a last coordinate ≥ p_i's, B_i ∩ B_j = box(min(p_i, p_j)) shares p_i's last coordinate, so
 *   vol(B_i ∖ ∪_{j>i} B_j) = p_i,m · [ Π_{l<m} p_i,l − HV_{m−1}( nondominated { min(p_i, p_j)_{1..m−1} : j > i } ) ].
 * Exponential in m in the worst case; fine for the tens to hundreds of points of a sweep.
 * A point with an infinite coordinate beyond r makes the volume infinite.
 * Example: `hypervolume([[1, 2], [2, 1]])` = 2 + 2 − 1 = 3.
 */
export function hypervolume(points: ArrayLike<number>[], reference?: ArrayLike<number>): number {
  const m = checkPoints(points);
  if (points.length === 0) return 0;
  const ref = reference ?? new Float64Array(m);
  if (ref.length !== m || !Array.from(ref).every(Number.isFinite)) {
    throw new RangeError(`the reference point must have ${m} finite coordinates, got [${Array.from(ref).join(', ')}]`);
  }
  const shifted: Float64Array[] = [];
  for (const p of points) {
    const s = Float64Array.from({ length: m }, (_, j) => p[j] - ref[j]);
    if (s.every((v) => v > 0)) {
      if (s.some((v) => v === Infinity)) return Infinity;
      shifted.push(s);
    }
  }
  return unionVolume(nondominated(shifted), m);
}

function nondominated(points: Float64Array[]): Float64Array[] {
  return paretoFront(points).map((i) => points[i]);
}

/** Volume of ∪ [0, p] over `points` (positive coordinates, only the first m used, mutually non-dominated). */
function unionVolume(points: Float64Array[], m: number): number {
  const n = points.length;
  if (n === 0) return 0;
  if (m === 1) return points.reduce((best, p) => Math.max(best, p[0]), 0);
  if (n === 1) return points[0].subarray(0, m).reduce((v, x) => v * x, 1);
  if (m === 2) {
    // first coordinate descending: each point adds the strip above the highest second coordinate so far
    const byX = [...points].sort((a, b) => b[0] - a[0]);
    let area = 0;
    let top = 0;
    for (const p of byX) {
      if (p[1] > top) {
        area += p[0] * (p[1] - top);
        top = p[1];
      }
    }
    return area;
  }
  const sorted = [...points].sort((a, b) => a[m - 1] - b[m - 1]);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = sorted[i];
    let box = 1;
    for (let l = 0; l < m - 1; l++) box *= p[l];
    const limited: Float64Array[] = [];
    for (let j = i + 1; j < n; j++) {
      const q = sorted[j];
      const c = new Float64Array(m - 1);
      for (let l = 0; l < m - 1; l++) c[l] = Math.min(p[l], q[l]);
      limited.push(c);
    }
    total += p[m - 1] * (box - unionVolume(nondominated(limited), m - 1));
  }
  return total;
}

export interface FrontSummary {
  /** Row indices of the sweep whose auxiliary NDCG vectors are non-dominated (ascending). */
  front: number[];
  /** Hypervolume of the auxiliary NDCG vectors of all rows (equal to that of the front). */
  hypervolume: number;
  /** Mean of the main objective's NDCG over all rows. */
  mainMean: number;
  /** Population standard deviation (divide by n) of the main objective's NDCG over all rows. */
  mainStd: number;
}

/**
 * The paper's Table 1 figures for one sweep: auxiliary hypervolume (reference default: the origin) and
 * main NDCG mean ± std over the weight points, plus which points are Pareto-optimal on the auxiliaries.
 */
export function frontSummary(table: SweepTable, reference?: ArrayLike<number>): FrontSummary {
  const aux = table.rows.map((r) => r.ndcg.slice(1));
  const main = table.rows.map((r) => r.ndcg[0]);
  const n = main.length;
  const mainMean = n > 0 ? main.reduce((a, b) => a + b, 0) / n : NaN;
  const mainStd = n > 0 ? Math.sqrt(main.reduce((a, b) => a + (b - mainMean) ** 2, 0) / n) : NaN;
  return { front: paretoFront(aux), hypervolume: hypervolume(aux, reference), mainMean, mainStd };
}
