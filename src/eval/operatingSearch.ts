/**
 * The search behind `cosrank pick`: the best trade-off (w on the simplex Δ^m, the post-training factor c,
 * and for T-COS models the temperatures β) under constraints, judged only by an evaluator that returns
 * NDCG@k per objective (main first) for a batch of points — one forward pass each.
 *
 * 1. Coarse lattice: every simplex-lattice weight vector with H divisions (`weightGrid`) × every value in
 *    `cValues` (which contains c = 1, so the plain sweep's points are always among them) × for T-COS the
 *    β lattice (`betaValues` per objective when that gives at most 27 vectors, else the same value for all).
 * 2. Local refinement (pattern search) from the `starts` best distinct lattice points: each round evaluates
 *    the neighbours — w moved by ±δ along every edge direction e_i − e_j (staying on the simplex), c and each
 *    β_j multiplied by e^{±ℓ} inside their bounds — and moves to the best neighbour when it beats the current
 *    point, else halves δ and ℓ; a start ends after `refineHalvings` halvings without a gain.
 *
 * Ranking of points: a feasible point beats an infeasible one; among feasible points the higher score wins,
 * the score being the **mean** NDCG@k of the maximised objectives (ties: the maximised objectives compared
 * in the order given); among infeasible points the smaller total violation Σ max(0, −margin) wins. The
 * result is the best point evaluated, so it is never worse than the best feasible lattice point.
 * Evaluations are capped at `maxEvaluations` (the lattice always runs in full).
 */
import { constraintMargin, satisfies, type Constraint } from './constraints';
import { weightGrid } from './sweep';

/** A trade-off: auxiliary weights on the simplex (model order), factor c, temperatures β (T-COS). */
export interface TradeOffPoint {
  weights: number[];
  c: number;
  beta?: number[];
}

/** NDCG@k per objective (main first) at each point, in the order given. */
export type PointEvaluator = (points: TradeOffPoint[]) => Promise<number[][]>;

export interface SearchProblem {
  /** Objective names, main first; NDCG vectors follow this order. */
  objectives: string[];
  /** Names of the objectives to maximise (combined by their mean). */
  maximize: string[];
  constraints: Constraint[];
  /** The base ranker's NDCG@k per objective on the same data (for `base.<name>`). */
  base: number[];
  /** Search β as well (T-COS models). */
  temperature: boolean;
}

export interface SearchOptions {
  /** Lattice divisions H of the weights (default 10: for m = 2 the 11 sweep points). */
  divisions: number;
  /** c values of the lattice; must contain 1 (default 0.5, 0.75, 1, 1.5, 2, 3). */
  cValues: number[];
  /** Bounds of c during refinement (default [0.25, 6]). */
  cBounds: [number, number];
  /** β values of the lattice per objective (default 0.67, 1, 1.5: the range T-COS trains on). */
  betaValues: number[];
  /** Bounds of each β_j during refinement (default [0.67, 1.5]). */
  betaBounds: [number, number];
  /** Refinement starts (default 3). */
  starts: number;
  /** Step halvings without a gain before a start ends (default 5). */
  refineHalvings: number;
  /** Evaluation budget including the lattice (default 3000). */
  maxEvaluations: number;
}

export const SEARCH_DEFAULTS: Readonly<SearchOptions> = Object.freeze({
  divisions: 10,
  cValues: [0.5, 0.75, 1, 1.5, 2, 3],
  cBounds: [0.25, 6] as [number, number],
  betaValues: [0.67, 1, 1.5],
  betaBounds: [0.67, 1.5] as [number, number],
  starts: 3,
  refineHalvings: 5,
  maxEvaluations: 3000,
});

export interface EvaluatedPoint extends TradeOffPoint {
  /** NDCG@k per objective, main first. */
  ndcg: number[];
  /** One margin per constraint (≥ 0, or > 0 for strict, when it holds). */
  margins: number[];
  feasible: boolean;
  /** Mean NDCG@k of the maximised objectives (−∞ when undefined). */
  score: number;
  /** Σ max(0, −margin); ∞ when a margin is undefined. */
  violation: number;
  stage: 'lattice' | 'refine';
}

/** The best value each constraint reached over all points evaluated, and where. */
export interface ReachableConstraint {
  constraint: string;
  margin: number;
  lhs: number;
  rhs: number;
  at: TradeOffPoint;
}

export interface SearchResult {
  /** The chosen point: the best evaluated (feasible when `feasible`). */
  best: EvaluatedPoint;
  feasible: boolean;
  /** Points evaluated (lattice + refinement). */
  evaluated: number;
  /** Lattice size. */
  latticeSize: number;
  /** Best feasible point of the plain sweep lattice (c = 1, β = 1), or null when none is feasible. */
  sweepBest: EvaluatedPoint | null;
  /** Per constraint, the best margin reached (for the error when nothing is feasible). */
  reachable: ReachableConstraint[];
  /** Every point evaluated, in order. */
  points: EvaluatedPoint[];
}

/** Nothing evaluated satisfies every constraint; the message names each constraint's best reachable value. */
export class UnsatisfiableError extends Error {
  constructor(
    readonly reachable: ReachableConstraint[],
    readonly evaluated: number,
  ) {
    super(
      `no point satisfies all constraints (${evaluated} points evaluated); best reachable value of each:\n` +
        reachable
          .map((r) => `  ${r.constraint}: left side ${fmt(r.lhs)} vs right side ${fmt(r.rhs)} (margin ${fmt(r.margin)}) at ${describePoint(r.at)}`)
          .join('\n'),
    );
    this.name = 'UnsatisfiableError';
  }
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : String(v);
}

/** `w=(0.3, 0.7) c=1.5 β=(1, 1)`. */
export function describePoint(p: TradeOffPoint): string {
  const r = (v: number) => String(Number(v.toPrecision(4)));
  return `w=(${p.weights.map(r).join(', ')}) c=${r(p.c)}${p.beta ? ` β=(${p.beta.map(r).join(', ')})` : ''}`;
}

/** Positive when `a` ranks above `b` (see the module comment). */
export function comparePoints(a: EvaluatedPoint, b: EvaluatedPoint, maximize: number[]): number {
  if (a.feasible !== b.feasible) return a.feasible ? 1 : -1;
  if (!a.feasible && a.violation !== b.violation) return a.violation < b.violation ? 1 : -1;
  if (a.score !== b.score) return a.score > b.score ? 1 : -1;
  for (const j of maximize) {
    const x = finiteOr(a.ndcg[j]);
    const y = finiteOr(b.ndcg[j]);
    if (x !== y) return x > y ? 1 : -1;
  }
  return 0;
}

function finiteOr(v: number): number {
  return Number.isFinite(v) ? v : -Infinity;
}

/** The options with defaults filled and checked (throws a RangeError naming the option). */
export function resolveSearchOptions(options: Partial<SearchOptions> = {}): SearchOptions {
  const o: SearchOptions = { ...SEARCH_DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  const positive = (v: number) => Number.isFinite(v) && v > 0;
  if (!(Number.isInteger(o.divisions) && o.divisions >= 1 && o.divisions <= 100)) throw new RangeError(`search.divisions must be an integer in 1..100, got ${o.divisions}`);
  if (!o.cValues.every(positive) || !o.cValues.includes(1)) throw new RangeError(`search.cValues must be numbers > 0 including 1, got [${o.cValues}]`);
  if (!(positive(o.cBounds[0]) && o.cBounds[0] <= Math.min(...o.cValues) && o.cBounds[1] >= Math.max(...o.cValues))) {
    throw new RangeError(`search.cBounds [${o.cBounds}] must be > 0 and contain every lattice c value`);
  }
  if (!o.betaValues.every(positive)) throw new RangeError(`search.betaValues must be numbers > 0, got [${o.betaValues}]`);
  if (!(positive(o.betaBounds[0]) && o.betaBounds[0] <= Math.min(...o.betaValues) && o.betaBounds[1] >= Math.max(...o.betaValues))) {
    throw new RangeError(`search.betaBounds [${o.betaBounds}] must be > 0 and contain every lattice β value`);
  }
  for (const k of ['starts', 'refineHalvings', 'maxEvaluations'] as const) {
    if (!(Number.isInteger(o[k]) && o[k] >= 0)) throw new RangeError(`search.${k} must be an integer ≥ 0, got ${o[k]}`);
  }
  return o;
}

/** The lattice points: every weight vector × every c (× every β vector for T-COS). */
function latticeOf(m: number, o: SearchOptions, temperature: boolean): TradeOffPoint[] {
  const betas = temperature ? betaLattice(m, o.betaValues) : [undefined];
  const out: TradeOffPoint[] = [];
  for (const w of weightGrid(m, { divisions: o.divisions })) {
    for (const c of o.cValues) for (const beta of betas) out.push({ weights: Array.from(w), c, ...(beta ? { beta } : {}) });
  }
  return out;
}

/** First refinement steps: half a lattice step in w, and half the mean log-spacing of the c and β lattices. */
function initialSteps(o: SearchOptions): { w: number; c: number; beta: number } {
  const logC = Math.log(Math.max(...o.cValues) / Math.min(...o.cValues)) / Math.max(1, o.cValues.length - 1) / 2;
  const logB = o.betaValues.length > 1 ? Math.log(Math.max(...o.betaValues) / Math.min(...o.betaValues)) / (o.betaValues.length - 1) / 2 : 0.1;
  return { w: 1 / (2 * o.divisions), c: logC || 0.1, beta: logB };
}

/** The β vectors of the lattice: the full product of `values` when it has ≤ 27 vectors, else equal β. */
function betaLattice(m: number, values: number[]): number[][] {
  if (values.length ** m > 27) return values.map((v) => new Array<number>(m).fill(v));
  let out: number[][] = [[]];
  for (let j = 0; j < m; j++) out = out.flatMap((prefix) => values.map((v) => [...prefix, v]));
  return out;
}

function keyOf(p: TradeOffPoint): string {
  const r = (v: number) => v.toFixed(9);
  return `${p.weights.map(r).join(',')}|${r(p.c)}|${p.beta ? p.beta.map(r).join(',') : ''}`;
}

/**
 * Runs the search. Problems in `problem` (an unknown maximised objective) are RangeErrors; an
 * unsatisfiable set is not thrown here: `feasible` is false and `reachable` says how close it came
 * (`UnsatisfiableError` turns that into the error).
 */
export async function searchOperatingPoint(evaluate: PointEvaluator, problem: SearchProblem, options: Partial<SearchOptions> = {}): Promise<SearchResult> {
  const o = resolveSearchOptions(options);
  const m = problem.objectives.length - 1;
  if (m < 1) throw new RangeError('the model has no auxiliary objective: there is no trade-off to search');
  const maximize = problem.maximize.map((name) => {
    const j = problem.objectives.indexOf(name);
    if (j < 0) throw new RangeError(`unknown objective '${name}' to maximise; the model's objectives are ${problem.objectives.join(', ')}`);
    return j;
  });
  if (maximize.length === 0) throw new RangeError('nothing to maximise: name at least one objective');

  const seen = new Map<string, EvaluatedPoint>();
  const points: EvaluatedPoint[] = [];
  const run = async (batch: TradeOffPoint[], stage: EvaluatedPoint['stage']): Promise<EvaluatedPoint[]> => {
    const fresh: TradeOffPoint[] = [];
    const keys = new Set<string>();
    for (const p of batch) {
      const k = keyOf(p);
      if (!seen.has(k) && !keys.has(k)) {
        keys.add(k);
        fresh.push(p);
      }
    }
    const room = stage === 'lattice' ? fresh.length : Math.max(0, o.maxEvaluations - points.length);
    const todo = fresh.slice(0, room);
    const values = todo.length > 0 ? await evaluate(todo) : [];
    if (values.length !== todo.length) throw new RangeError(`the evaluator returned ${values.length} results for ${todo.length} points`);
    todo.forEach((p, i) => {
      const e = judge(p, values[i], problem, maximize, stage);
      seen.set(keyOf(p), e);
      points.push(e);
    });
    return batch.map((p) => seen.get(keyOf(p))).filter((e): e is EvaluatedPoint => e !== undefined);
  };

  // 1. lattice
  const lattice = latticeOf(m, o, problem.temperature);
  const latticePoints = await run(lattice, 'lattice');
  const cmp = (a: EvaluatedPoint, b: EvaluatedPoint) => comparePoints(a, b, maximize);

  // 2. refinement from the best distinct lattice points
  const refine = async (order: (a: EvaluatedPoint, b: EvaluatedPoint) => number, count: number): Promise<void> => {
    for (const start of [...latticePoints].sort((a, b) => order(b, a)).slice(0, count)) {
      let current = start;
      let steps = initialSteps(o);
      let halvings = 0;
      while (halvings <= o.refineHalvings && points.length < o.maxEvaluations) {
        const around = await run(neighbours(current, steps, o), 'refine');
        const better = around.reduce((best, p) => (order(p, best) > 0 ? p : best), current);
        if (better !== current) current = better;
        else {
          steps = { w: steps.w / 2, c: steps.c / 2, beta: steps.beta / 2 };
          halvings++;
        }
      }
    }
  };
  await refine(cmp, o.starts);
  // Nothing feasible: push each constraint alone as far as it goes, so the error can say how close it gets.
  if (!points.some((p) => p.feasible)) {
    for (let i = 0; i < problem.constraints.length; i++) await refine((a, b) => finiteOr(a.margins[i]) - finiteOr(b.margins[i]), 1);
  }

  const best = points.reduce((b, p) => (cmp(p, b) > 0 ? p : b));
  const plain = latticePoints.filter((p) => p.feasible && p.c === 1 && (!p.beta || p.beta.every((b) => b === 1)));
  return {
    best,
    feasible: best.feasible,
    evaluated: points.length,
    latticeSize: lattice.length,
    sweepBest: plain.length > 0 ? plain.reduce((b, p) => (cmp(p, b) > 0 ? p : b)) : null,
    reachable: reachableConstraints(points, problem),
    points,
  };
}

function judge(p: TradeOffPoint, ndcg: number[], problem: SearchProblem, maximize: number[], stage: EvaluatedPoint['stage']): EvaluatedPoint {
  const values = { point: ndcg, base: problem.base };
  const margins = problem.constraints.map((c) => constraintMargin(c, values));
  const feasible = margins.every((v, i) => Number.isFinite(v) && satisfies(problem.constraints[i], v));
  const violation = margins.reduce((s, v) => s + (Number.isFinite(v) ? Math.max(0, -v) : Infinity), 0);
  const mean = maximize.reduce((s, j) => s + ndcg[j], 0) / maximize.length;
  return { ...p, ndcg, margins, feasible, score: Number.isFinite(mean) ? mean : -Infinity, violation, stage };
}

/** The pattern-search neighbours of `p` with the given steps (w along edges; c and β in log space). */
function neighbours(p: TradeOffPoint, steps: { w: number; c: number; beta: number }, o: SearchOptions): TradeOffPoint[] {
  const out: TradeOffPoint[] = [];
  const m = p.weights.length;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < m; j++) {
      if (i === j || p.weights[j] <= 0) continue;
      const d = Math.min(steps.w, p.weights[j]);
      const w = [...p.weights];
      w[i] += d;
      w[j] = w[j] - d <= 1e-12 ? 0 : w[j] - d;
      out.push({ ...p, weights: w });
    }
  }
  for (const s of [-1, 1]) {
    const c = Math.min(o.cBounds[1], Math.max(o.cBounds[0], p.c * Math.exp(s * steps.c)));
    if (c !== p.c) out.push({ ...p, c });
    if (!p.beta) continue;
    for (let j = 0; j < p.beta.length; j++) {
      const b = Math.min(o.betaBounds[1], Math.max(o.betaBounds[0], p.beta[j] * Math.exp(s * steps.beta)));
      if (b === p.beta[j]) continue;
      const beta = [...p.beta];
      beta[j] = b;
      out.push({ ...p, beta });
    }
  }
  return out;
}

function reachableConstraints(points: EvaluatedPoint[], problem: SearchProblem): ReachableConstraint[] {
  return problem.constraints.map((c, i) => {
    let at = points[0];
    for (const p of points) if (finiteOr(p.margins[i]) > finiteOr(at.margins[i])) at = p;
    const values = { point: at.ndcg, base: problem.base };
    return { constraint: c.text, margin: at.margins[i], lhs: c.lhs(values), rhs: c.rhs(values), at: { weights: at.weights, c: at.c, ...(at.beta ? { beta: at.beta } : {}) } };
  });
}
