/**
 * DPO Soup (DESIGN.md §1): the m single-objective networks (each trained at w = e_j from the SAME
 * initialisation) are combined at query time by mixing their parameters linearly with w,
 *
 *     θ(w) = Σ_j w_j · θ_j,
 *
 * so w = e_j gives model j exactly (terms with w_j = 0 are skipped, never multiplied in). Frozen tensors
 * (the input normalisation copied from s0) must agree across the models and are copied, not mixed.
 */
import { isTrainable, type Parameters } from '../../model/spec';
import { ConfigError, type ConfigIssue } from '../../util/errors';

/** Tolerance on Σ w_j = 1 (weights come from float grids). */
const SIMPLEX_TOLERANCE = 1e-6;

/** Checks that every model has the same tensor names and shapes and identical frozen tensors. */
function checkCompatible(models: Parameters[]): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const names = Object.keys(models[0]).sort();
  models.forEach((p, j) => {
    const other = Object.keys(p).sort();
    if (other.join('\u0000') !== names.join('\u0000')) {
      issues.push({ path: `models[${j}]`, value: other, expected: `the tensors of models[0] (${names.join(', ')})` });
      return;
    }
    for (const name of names) {
      const a = models[0][name];
      const b = p[name];
      if (a.shape.join('x') !== b.shape.join('x')) issues.push({ path: `models[${j}].${name}`, value: b.shape, expected: `shape [${a.shape.join(', ')}]` });
      else if (!isTrainable(name) && !a.data.every((v, i) => v === b.data[i])) {
        issues.push({ path: `models[${j}].${name}`, value: 'different values', expected: `the frozen tensor of models[0] (the single-objective models share s0's input normalisation)` });
      }
    }
  });
  return issues;
}

/**
 * θ(w) = Σ_j w_j θ_j over the m single-objective models (`models[j]` trained at w = e_j), accumulated in
 * float64. `w` must be a point of the simplex (non-negative, summing to 1 within 1e-6).
 */
export function mixParameters(models: Parameters[], w: ArrayLike<number>): Parameters {
  const issues: ConfigIssue[] = [];
  if (models.length === 0) issues.push({ path: 'models', value: 0, expected: 'at least one single-objective model' });
  if (w.length !== models.length) issues.push({ path: 'weights', value: Array.from(w), expected: `${models.length} weights, one per single-objective model` });
  const total = Array.from(w).reduce((a, b) => a + b, 0);
  if (!Array.from(w).every((v) => Number.isFinite(v) && v >= 0) || Math.abs(total - 1) > SIMPLEX_TOLERANCE) {
    issues.push({ path: 'weights', value: Array.from(w), expected: 'non-negative weights summing to 1' });
  }
  if (issues.length === 0) issues.push(...checkCompatible(models));
  if (issues.length > 0) throw new ConfigError(issues, 'soup');

  const out: Parameters = {};
  for (const [name, first] of Object.entries(models[0])) {
    if (!isTrainable(name)) {
      out[name] = { shape: [...first.shape], data: first.data.slice() };
      continue;
    }
    const acc = new Float64Array(first.data.length);
    models.forEach((p, j) => {
      const wj = w[j];
      if (wj === 0) return;
      const d = p[name].data;
      for (let i = 0; i < acc.length; i++) acc[i] += wj * d[i];
    });
    out[name] = { shape: [...first.shape], data: Float32Array.from(acc) };
  }
  return out;
}
