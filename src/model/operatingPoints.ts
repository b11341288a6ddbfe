/**
 * Named operating points and routes, stored in `model.json` beside the ranker (issue 13).
 *
 * An operating point is a trade-off chosen by `cosrank pick` — weights w (auxiliary objectives in model
 * order, on the simplex), the factor c and, for T-COS models, β — with how it was chosen: the data it was
 * chosen on (file, sha256 of its numbers), the objectives maximised, the constraints, the NDCG@k it reached
 * there beside the base ranker's, the number of points evaluated and the date.
 *
 * Routes map request attributes to operating points: `[{"when": {"vertical": "news"}, "use": "fresh"},
 * {"use": "default"}]`. The first rule whose `when` entries all equal the request's context attributes wins;
 * a rule without `when` (or with `{}`) matches everything; `default` names the model's default trade-off.
 * A request that no rule matches gets the default trade-off.
 *
 * The checks here return issues (path, value, expected) so the model loader and the CLI can word them for
 * their source: a model file, or a routes file given to `serve --routes`.
 */
import type { ConfigIssue } from '../util/errors';

/** The route target that means the model's default trade-off; no operating point may take this name. */
export const DEFAULT_POINT = 'default';
/** Operating point names: a letter or digit, then letters, digits, `_`, `-`, `.`; at most 64 characters. */
export const POINT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Most routes a model or routes file may hold (the router scans them per request). */
export const MAX_ROUTES = 256;

export interface OperatingPoint {
  name: string;
  /** Auxiliary weights in model order, non-negative, summing to 1. */
  weights: number[];
  /** Post-training temperature factor (> 0). */
  c: number;
  /** Per-objective temperatures (T-COS models only). */
  beta?: number[];
  provenance: OperatingPointProvenance;
}

export interface OperatingPointProvenance {
  /** The data the point was chosen on. */
  data: { file: string; sha256: string; queries: number; documents: number };
  maximize: string[];
  constraints: string[];
  /** NDCG@k per objective at the point, and the base ranker's, on that data. */
  objectives: Record<string, number>;
  base: Record<string, number>;
  /** Metric conventions, e.g. `k=10 gain=linear idcgZero=skip ties=stable`. */
  metric: string;
  /** Points the search evaluated. */
  evaluated: number;
  /** ISO date of the choice. */
  createdAt: string;
  /** Figures on held-out data (`pick --test`), never used for the choice. */
  test?: { file: string; sha256: string; objectives: Record<string, number>; base: Record<string, number>; margins: number[] };
}

/** Request attribute values a route can match. */
export type RouteValue = string | number | boolean;

export interface Route {
  when?: Record<string, RouteValue>;
  use: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Issues of a stored `operatingPoints` list for a model with `m` auxiliary objectives (T-COS: `temperature`). */
export function operatingPointIssues(value: unknown, m: number, temperature: boolean, path = 'operatingPoints'): ConfigIssue[] {
  if (!Array.isArray(value)) return [{ path, value, expected: 'an array of operating points' }];
  const issues: ConfigIssue[] = [];
  const names = new Set<string>();
  value.forEach((p: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(p)) return void issues.push({ path: at, value: p, expected: 'an object {name, weights, c, provenance}' });
    if (typeof p.name !== 'string' || !POINT_NAME.test(p.name) || p.name === DEFAULT_POINT) {
      issues.push({ path: `${at}.name`, value: p.name, expected: `a name matching ${POINT_NAME} other than '${DEFAULT_POINT}'` });
    } else if (names.has(p.name)) issues.push({ path: `${at}.name`, value: p.name, expected: 'a name used once' });
    else names.add(p.name);
    const w = p.weights;
    if (!Array.isArray(w) || w.length !== m || !w.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0) || Math.abs(w.reduce((a: number, b: number) => a + b, 0) - 1) > 1e-6) {
      issues.push({ path: `${at}.weights`, value: w, expected: `${m} non-negative numbers summing to 1` });
    }
    if (typeof p.c !== 'number' || !(Number.isFinite(p.c) && p.c > 0)) issues.push({ path: `${at}.c`, value: p.c, expected: 'a finite number > 0' });
    if (temperature || p.beta !== undefined) {
      const b = p.beta;
      if (!temperature) issues.push({ path: `${at}.beta`, value: b, expected: 'no beta: this model does not take temperatures' });
      else if (!Array.isArray(b) || b.length !== m || !b.every((v) => typeof v === 'number' && Number.isFinite(v) && v > 0)) {
        issues.push({ path: `${at}.beta`, value: b, expected: `${m} finite numbers > 0` });
      }
    }
    if (!isRecord(p.provenance)) issues.push({ path: `${at}.provenance`, value: p.provenance, expected: 'an object recording how the point was chosen' });
  });
  return issues;
}

/**
 * Issues of a routes list against the operating point names: the shape, an unknown point, and a rule that
 * can never match (after a catch-all, or with the same `when` as an earlier rule).
 */
export function routeIssues(value: unknown, pointNames: readonly string[], path = 'routes'): ConfigIssue[] {
  if (!Array.isArray(value)) return [{ path, value, expected: 'an array of rules {"when": {attribute: value}, "use": point}' }];
  if (value.length > MAX_ROUTES) return [{ path, value: `${value.length} rules`, expected: `at most ${MAX_ROUTES} rules` }];
  const issues: ConfigIssue[] = [];
  const known = [...pointNames, DEFAULT_POINT];
  const earlier: string[] = [];
  let catchAll = -1;
  value.forEach((r: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(r)) return void issues.push({ path: at, value: r, expected: 'an object {"when"?: {attribute: value}, "use": point}' });
    const extra = Object.keys(r).filter((k) => k !== 'when' && k !== 'use');
    if (extra.length > 0) issues.push({ path: `${at}.${extra[0]}`, value: r[extra[0]], expected: 'only "when" and "use"' });
    if (typeof r.use !== 'string' || !known.includes(r.use)) {
      issues.push({ path: `${at}.use`, value: r.use, expected: `an operating point of the model (${known.join(', ')})` });
    }
    const when = r.when ?? {};
    if (!isRecord(when)) return void issues.push({ path: `${at}.when`, value: r.when, expected: 'an object {attribute: string | number | boolean}' });
    for (const [k, v] of Object.entries(when)) {
      if (!['string', 'number', 'boolean'].includes(typeof v)) issues.push({ path: `${at}.when.${k}`, value: v, expected: 'a string, number or boolean' });
    }
    const key = JSON.stringify(Object.entries(when).sort(([a], [b]) => (a < b ? -1 : 1)));
    if (catchAll >= 0) issues.push({ path: at, value: r, expected: `no rule after the catch-all ${path}[${catchAll}] (it can never match)` });
    else if (earlier.includes(key)) issues.push({ path: at, value: r, expected: `a condition not already tested by ${path}[${earlier.indexOf(key)}] (it can never match)` });
    earlier.push(key);
    if (Object.keys(when).length === 0 && catchAll < 0) catchAll = i;
  });
  return issues;
}

/**
 * The operating point name a request with attributes `context` is routed to: the `use` of the first rule
 * whose `when` entries all equal the context's (strict equality), else `default`.
 */
export function routeOf(routes: readonly Route[], context: Record<string, unknown> | undefined): string {
  for (const r of routes) {
    const when = r.when ?? {};
    let match = true;
    for (const k in when) {
      if (!context || !Object.prototype.hasOwnProperty.call(context, k) || context[k] !== when[k]) {
        match = false;
        break;
      }
    }
    if (match) return r.use;
  }
  return DEFAULT_POINT;
}
