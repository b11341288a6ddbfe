/**
 * Normal-distribution helpers and the grade-correlation calibration of the synthetic generator: a grade
 * is a latent standard normal cut at thresholds (`gradeThresholds`); two grades cut from a bivariate
 * normal with latent correlation ρ have a Pearson correlation computed exactly (`gradeCorrelation`),
 * and `calibrateLatentCorrelation` inverts it.
 */

let erf: ((x: number) => number) | undefined;

/** Standard normal CDF Φ(x) = (1 + erf(x/√2)) / 2. */
export function normalCdf(x: number): number {
  // mathjs loads on first use (seconds of start-up otherwise for every importer of the generator)
  erf ??= (require('mathjs') as typeof import('mathjs')).erf;
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

/** Φ⁻¹(p) by bisection on Φ (used for a handful of thresholds only, accuracy 1e-12). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  let lo = -40;
  let hi = 40;
  for (let i = 0; i < 100 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * P(X > h, Y > k) for a standard bivariate normal with correlation ρ:
 * Φ(−h)Φ(−k) + (1/2π)∫₀^{asin ρ} exp(−(h² − 2hk·sinθ + k²) / (2cos²θ)) dθ  (Simpson, 128 intervals).
 */
export function bivariateUpper(h: number, k: number, rho: number): number {
  // infinite thresholds come from zero grade shares at the ends
  if (h === Infinity || k === Infinity) return 0;
  if (h === -Infinity) return normalCdf(-k);
  if (k === -Infinity) return normalCdf(-h);
  const base = normalCdf(-h) * normalCdf(-k);
  if (rho === 0) return base;
  const end = Math.asin(rho);
  const n = 128;
  const step = end / n;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    const t = i * step;
    const c = Math.cos(t);
    const f = Math.exp(-(h * h - 2 * h * k * Math.sin(t) + k * k) / (2 * c * c));
    sum += f * (i === 0 || i === n ? 1 : i % 2 === 1 ? 4 : 2);
  }
  return base + (sum * step) / 3 / (2 * Math.PI);
}

/** Ascending thresholds t_1..t_G with P(latent ≤ t_g) = shares_0 + … + shares_{g−1}. */
export function gradeThresholds(shares: readonly number[]): number[] {
  const out: number[] = [];
  let cum = 0;
  for (let g = 0; g + 1 < shares.length; g++) out.push(normalQuantile((cum += shares[g])));
  return out;
}

/** Mean and standard deviation of a grade with the given shares. */
function gradeMoments(shares: readonly number[]): { mean: number; sd: number } {
  let m1 = 0;
  let m2 = 0;
  shares.forEach((p, g) => {
    m1 += g * p;
    m2 += g * g * p;
  });
  return { mean: m1, sd: Math.sqrt(m2 - m1 * m1) };
}

/**
 * Pearson correlation of X = #{t ∈ tx : t < R} and Y = #{s ∈ ty : s < Z} as a function of ρ, when
 * (R, Z) is standard bivariate normal with correlation ρ: E[XY] = Σ_i Σ_k P(R > t_i, Z > s_k);
 * moments of X and Y from the shares. Thresholds are computed once per pair of share vectors.
 */
function gradeCorrelationCurve(sharesX: readonly number[], sharesY: readonly number[]): (rho: number) => number {
  const tx = gradeThresholds(sharesX);
  const ty = gradeThresholds(sharesY);
  const mx = gradeMoments(sharesX);
  const my = gradeMoments(sharesY);
  return (rho) => {
    let exy = 0;
    for (const t of tx) for (const s of ty) exy += bivariateUpper(t, s, rho);
    return (exy - mx.mean * my.mean) / (mx.sd * my.sd);
  };
}

/** Pearson correlation of two grades thresholded from a standard bivariate normal with correlation ρ. */
export function gradeCorrelation(rho: number, sharesX: readonly number[], sharesY: readonly number[]): number {
  return gradeCorrelationCurve(sharesX, sharesY)(rho);
}

/** Latent ρ within ±LATENT_LIMIT; beyond it the calibration is refused rather than extrapolated. */
const LATENT_LIMIT = 0.995;

/**
 * The latent ρ whose grade correlation is `target` (bisection: the curve increases with ρ), or the
 * reachable range when `target` is outside it.
 */
export function calibrateLatentCorrelation(target: number, sharesX: readonly number[], sharesY: readonly number[]): { rho: number } | { range: [number, number] } {
  const curve = gradeCorrelationCurve(sharesX, sharesY);
  const range: [number, number] = [curve(-LATENT_LIMIT), curve(LATENT_LIMIT)];
  if (target < range[0] || target > range[1]) return { range };
  let lo = -LATENT_LIMIT;
  let hi = LATENT_LIMIT;
  for (let i = 0; i < 40; i++) {
    const mid = (lo + hi) / 2;
    if (curve(mid) < target) lo = mid;
    else hi = mid;
  }
  return { rho: (lo + hi) / 2 };
}
