/**
 * Quantile grading by the mid-rank empirical CDF fitted on training values (issue 11 item 3):
 *
 *     F(x) = (#{v < x} + #{v ≤ x}) / 2n        (v over the n training values)
 *     g(x) = min(G − 1, ⌊G · F(x)⌋)            (grades 0 .. G−1 for G buckets)
 *
 * A value tied with many training values gets the grade of the *middle* of its tied block, so a heavy
 * tie (MQ2008's PageRank has 1,174 training rows at 0.5) no longer pushes the following grades up or
 * down depending on which side of a bucket boundary the block happens to start. For distinct training
 * values it gives G equal-mass buckets. Values between training values get the grade just after the
 * lower one: F(x) = #{v ≤ x} / n.
 *
 * Frozen form: the grade is `quantileGrade(x, cuts)` = the number of cut points strictly below x, with
 * cuts ascending and possibly repeated (a grade that a tie skips is a repeated cut). A jump of the
 * grade *at* a training value v is a cut at the double just below v (`nextDown(v)`); a jump just
 * *after* v is a cut at v. At most 2(G − 1) cuts, whatever n.
 *
 * Example: values [1, 1, 1, 1, 2, 3, 3, 4], G = 4 → F(1) = 4/16, F(1.5) = 4/8, F(2) = 9/16,
 * F(3) = 12/16, F(4) = 15/16 → grades 1, 2, 2, 3, 3; cuts [nextDown(1), 1, nextDown(3)].
 */

/** The largest double below x (x finite). */
export function nextDown(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 ? bits - 1n : bits + 1n);
  return view.getFloat64(0);
}

/** ⌊G · k / d⌋ in exact integer arithmetic (all operands are integers well below 2^53). */
function bucketOf(buckets: number, k: number, d: number): number {
  const num = buckets * k;
  return (num - (num % d)) / d;
}

/**
 * Cut points of the mid-rank quantile grading with `buckets` grades, fitted on `values` (finite;
 * NaN is an error upstream; `values` is not modified). See the module comment.
 */
export function quantileCuts(values: ArrayLike<number>, buckets: number): number[] {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  const cuts: number[] = [];
  let grade = 0;
  const raiseTo = (g: number, cut: number) => {
    for (; grade < g; grade++) cuts.push(cut);
  };
  for (let i = 0; i < n; ) {
    const v = sorted[i];
    let j = i + 1;
    while (j < n && sorted[j] === v) j++;
    // #{< v} = i, #{≤ v} = j: at v, F = (i + j) / 2n; just after v, F = j / n
    raiseTo(Math.min(buckets - 1, bucketOf(buckets, i + j, 2 * n)), nextDown(v));
    raiseTo(Math.min(buckets - 1, bucketOf(buckets, j, n)), v);
    i = j;
  }
  return cuts;
}

/** Grade of a value under frozen cut points: the number of cuts strictly below it (binary search; repeated cuts count each). */
export function quantileGrade(value: number, cuts: readonly number[]): number {
  let lo = 0;
  let hi = cuts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cuts[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
