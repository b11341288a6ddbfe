/**
 * `cosrank pick`: choose an operating point of a trained COS model under constraints and store it in the
 * model under a name (issue 13).
 *
 *   read      the model, the data (objectives graded with the model's frozen definitions), optional test data
 *   base      the base ranker s0's NDCG@k per objective on the data (`base.<name>` in constraints)
 *   search    lattice over (w, c[, β]) then local refinement (src/eval/operatingSearch.ts)
 *   test      the chosen point and s0 on the held-out data — computed after the choice, never used by it
 *   store     the point with its provenance in model.json (the model directory is rewritten atomically),
 *             and a short Markdown summary `pick-<name>.md` and front plot `pick-<name>.svg` beside the model
 *
 * Library code: reports through `onProgress`, throws ConfigError (bad options), DataError (bad data),
 * UnsatisfiableError (no point satisfies the constraints); prints nothing.
 */
import * as path from 'node:path';
import { documentCount, queryCount, type RankingDataset } from '../data/dataset';
import { applyObjectives } from '../data/objectives';
import { readDataset } from '../data/read';
import type { Engine } from '../engine/engine';
import { createEngine, type EngineRequest } from '../engine/select';
import { constraintMargin, parseConstraints, satisfies, type Constraint } from '../eval/constraints';
import { describePolicy, evaluateObjectives, resolveMetricOptions, type MetricOptions, type ResolvedMetricOptions } from '../eval/metrics';
import { searchOperatingPoint, UnsatisfiableError, type SearchOptions, type SearchResult, type TradeOffPoint } from '../eval/operatingSearch';
import { loadModel, saveModel, type SavedModel } from '../model/modelFile';
import { DEFAULT_POINT, POINT_NAME, routeIssues, type OperatingPoint, type Route } from '../model/operatingPoints';
import { readRoutesFile } from '../serve/operatingPoints';
import { datasetHash } from '../util/hash';
import { sweepRanker } from '../train/sweepScoring';
import { ConfigError, DataError, type ConfigIssue } from '../util/errors';
import { noProgress, type ProgressCallback } from '../util/progress';
import { writePickPlot } from './pickPlot';
import type { PickFigures, PickResult } from './pickResult';
import { latticeDivisions, sweepDivisions } from './plan';
import { pickSummaryMarkdown, writePickSummary } from './pickSummary';

export type { ConstraintFigure, PickFigures, PickResult } from './pickResult';

export interface PickOptions {
  /** Model directory (read, then rewritten with the new operating point). */
  model: string;
  /** Data the choice is made on (any format `readDataset` reads, with the model's raw features). */
  data: string;
  /** Objectives to maximise; several are combined by their mean NDCG@k. */
  maximize: string[];
  /** Constraint expressions (src/eval/constraints.ts). */
  constraints: string[];
  name: string;
  /** Held-out data: the chosen point's figures there (never used for the choice). */
  test?: string;
  /** Replace an operating point of the same name. */
  force?: boolean;
  /** A routes file to store in the model with the new point (checked against its points before the search). */
  routes?: string;
  /** Metric conventions (default NDCG@10, linear gain, IDCG=0 skipped, stable ties). */
  metric?: MetricOptions;
  search?: Partial<SearchOptions>;
  engine?: EngineRequest;
  engineInstance?: Engine;
  onProgress?: ProgressCallback;
  /** Date recorded in the provenance (default now). */
  now?: Date;
}

/** Checks the options that need no data; every problem at once. */
function checkOptions(options: PickOptions, model: SavedModel, names: string[]): Constraint[] {
  const issues: ConfigIssue[] = [];
  if (!model.spec.cos) issues.push({ path: 'model', value: options.model, expected: 'a COS model (this one is a base ranker only: it has no trade-off to choose)' });
  if (typeof options.name !== 'string' || !POINT_NAME.test(options.name) || options.name === DEFAULT_POINT) {
    issues.push({ path: 'name', value: options.name, expected: `a name matching ${POINT_NAME} other than '${DEFAULT_POINT}' (reserved for the model's default trade-off)` });
  } else if (!options.force && (model.operatingPoints ?? []).some((p) => p.name === options.name)) {
    issues.push({ path: 'name', value: options.name, expected: 'a new name: the model already has an operating point of this name (replace it with --force)' });
  }
  if (options.maximize.length === 0) issues.push({ path: 'maximize', value: [], expected: `at least one objective (${names.join(', ')})` });
  options.maximize.forEach((o, i) => {
    if (!names.includes(o)) issues.push({ path: `maximize[${i}]`, value: o, expected: `an objective of this model (${names.join(', ')})` });
  });
  if (new Set(options.maximize).size !== options.maximize.length) issues.push({ path: 'maximize', value: options.maximize, expected: 'each objective once' });
  let constraints: Constraint[] = [];
  try {
    constraints = parseConstraints(options.constraints, names, 'constraints');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues.push(...err.issues);
  }
  if (issues.length > 0) throw new ConfigError(issues, 'pick');
  return constraints;
}

/** Reads a data file and grades it with the model's frozen objectives. */
async function readGraded(file: string, model: SavedModel, onProgress: ProgressCallback): Promise<RankingDataset> {
  const raw = await readDataset(file, { onProgress });
  if (raw.nFeatures !== model.rawFeatureCount) {
    throw new DataError(file, null, `has ${raw.nFeatures} features, the model reads ${model.rawFeatureCount} raw features`);
  }
  return applyObjectives(raw, model.objectives, { resolved: model.objectives }).dataset;
}

/**
 * NDCG@k per objective (main first) of the model on `ds` at trade-off points, through the one sweep-scoring
 * function: points sharing c and β go through one sweep.
 */
function evaluatorOf(engine: Engine, model: SavedModel, metric: ResolvedMetricOptions) {
  const metricOptions = { k: metric.k, gain: metric.gain, idcgZero: metric.idcgZero, ties: metric.ties };
  return async (ds: RankingDataset, points: TradeOffPoint[]): Promise<number[][]> => {
    const groups = new Map<string, number[]>();
    points.forEach((p, i) => {
      const key = `${p.c}|${p.beta ? p.beta.join(',') : ''}`;
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    const out: number[][] = new Array<number[]>(points.length);
    for (const members of groups.values()) {
      const { c, beta } = points[members[0]];
      const table = await sweepRanker(engine, model.spec, model.params, ds, members.map((i) => points[i].weights), { ...metricOptions, c, ...(beta ? { beta } : {}) });
      members.forEach((i, r) => (out[i] = table.rows[r].ndcg));
    }
    return out;
  };
}

/** NDCG@k per objective (main first) of the base ranker s0 alone on `ds`. */
async function baseFigures(engine: Engine, model: SavedModel, metric: ResolvedMetricOptions, ds: RankingDataset): Promise<number[]> {
  const scores = await engine.score({ base: model.spec.base }, { base: model.params.base }, { features: ds.features, queryOffsets: ds.queryOffsets });
  return evaluateObjectives(scores, ds, { k: metric.k, gain: metric.gain, idcgZero: metric.idcgZero, ties: metric.ties, metrics: ['ndcg'] }).map((e) => e.mean);
}

function figures(file: string, ds: RankingDataset, ndcg: number[], base: number[], constraints: Constraint[], names: string[]): PickFigures {
  const values = { point: ndcg, base };
  return {
    file,
    sha256: datasetHash(ds),
    queries: queryCount(ds),
    documents: documentCount(ds),
    ndcg: Object.fromEntries(names.map((n, j) => [n, ndcg[j]])),
    base: Object.fromEntries(names.map((n, j) => [n, base[j]])),
    constraints: constraints.map((c) => {
      const margin = constraintMargin(c, values);
      return { constraint: c.text, lhs: c.lhs(values), rhs: c.rhs(values), margin, satisfied: satisfies(c, margin) };
    }),
  };
}

/** The operating point as stored: the trade-off and how it was chosen. */
function operatingPointOf(
  options: PickOptions,
  chosen: TradeOffPoint,
  how: { data: PickFigures; test?: PickFigures; metric: string; evaluated: number; createdAt: string },
): OperatingPoint {
  const { data, test } = how;
  return {
    name: options.name,
    weights: normalised(chosen.weights),
    c: chosen.c,
    ...(chosen.beta ? { beta: chosen.beta } : {}),
    provenance: {
      data: { file: path.resolve(data.file), sha256: data.sha256, queries: data.queries, documents: data.documents },
      maximize: [...options.maximize],
      constraints: [...options.constraints],
      objectives: data.ndcg,
      base: data.base,
      metric: how.metric,
      evaluated: how.evaluated,
      createdAt: how.createdAt,
      ...(test ? { test: { file: path.resolve(test.file), sha256: test.sha256, objectives: test.ndcg, base: test.base, margins: test.constraints.map((c) => c.margin) } } : {}),
    },
  };
}

/** Runs `pick`: search, store the operating point, write the summary. */
export async function pickOperatingPoint(options: PickOptions): Promise<PickResult> {
  const onProgress = options.onProgress ?? noProgress;
  const model = await loadModel(options.model);
  const names = model.objectives.map((o) => o.name);
  const constraints = checkOptions(options, model, names);
  const routes = options.routes ? await checkedRoutes(options.routes, [...(model.operatingPoints ?? []).map((p) => p.name), options.name]) : undefined;
  const metric = resolveMetricOptions(options.metric ?? {}, 'metric');
  const data = await readGraded(options.data, model, onProgress);
  const test = options.test ? await readGraded(options.test, model, onProgress) : null;
  const engine = options.engineInstance ?? (await createEngine(options.engine ?? 'auto'));
  onProgress({ stage: 'engine', done: 1, total: 1, message: `${engine.name} — ${engine.description}` });
  const evaluate = evaluatorOf(engine, model, metric);
  const base = await baseFigures(engine, model, metric, data);

  const temperature = Boolean(model.spec.cos?.temperature);
  // the weight lattice of the sweep: H = 10 for m ≤ 2, fewer divisions for more objectives (≤ 100 points)
  const divisions = latticeDivisions(names.length - 1, 'lattice', options.search?.divisions ?? sweepDivisions(names.length - 1, null), 'search.divisions');
  const search = { ...options.search, divisions };
  let done = 0;
  const result: SearchResult = await searchOperatingPoint(
    async (points) => {
      const out = await evaluate(data, points);
      done += points.length;
      onProgress({ stage: 'pick', done, info: { points: done } });
      return out;
    },
    { objectives: names, maximize: options.maximize, constraints, base, temperature },
    search,
  );
  if (!result.feasible) throw new UnsatisfiableError(result.reachable, result.evaluated);
  const best = result.best;
  const chosen: TradeOffPoint = { weights: best.weights, c: best.c, ...(best.beta ? { beta: best.beta } : {}) };

  // held-out figures: computed only now, after the choice
  const testFigures =
    test && options.test ? figures(options.test, test, (await evaluate(test, [chosen]))[0], await baseFigures(engine, model, metric, test), constraints, names) : undefined;
  const dataFigures = figures(options.data, data, best.ndcg, base, constraints, names);
  const aux = names.slice(1);
  const metricText = `k=${metric.k} ${describePolicy(metric)}`;
  const createdAt = (options.now ?? new Date()).toISOString();
  const point = operatingPointOf(options, chosen, { data: dataFigures, test: testFigures, metric: metricText, evaluated: result.evaluated, createdAt });
  const existing = model.operatingPoints ?? [];
  const replaced = existing.some((p) => p.name === options.name);
  await saveModel(options.model, { ...model, operatingPoints: [...existing.filter((p) => p.name !== options.name), point], ...(routes ? { routes } : {}) });

  const out: PickResult = {
    name: options.name,
    objectives: names,
    maximize: [...options.maximize],
    point: {
      weights: Object.fromEntries(aux.map((n, j) => [n, point.weights[j]])),
      c: point.c,
      ...(point.beta ? { beta: Object.fromEntries(aux.map((n, j) => [n, (point.beta as number[])[j]])) } : {}),
    },
    data: dataFigures,
    ...(testFigures ? { test: testFigures } : {}),
    evaluated: result.evaluated,
    latticeSize: result.latticeSize,
    sweepBest: result.sweepBest ? { point: { weights: result.sweepBest.weights, c: result.sweepBest.c }, score: result.sweepBest.score } : null,
    score: best.score,
    metric: metricText,
    replaced,
    files: { model: options.model, summary: '', plot: '' },
  };
  const plotInput = { name: options.name, objectives: names, maximize: options.maximize, constraints, k: metric.k, chosen, chosenNdcg: best.ndcg, base, divisions: search.divisions };
  out.files.plot = await writePickPlot(options.model, plotInput, (points) => evaluate(data, points));
  out.files.summary = await writePickSummary(options.model, options.name, pickSummaryMarkdown(out, createdAt));
  return out;
}

/** A routes file checked against operating point names (ConfigError naming the file and the rule). */
async function checkedRoutes(file: string, names: string[]): Promise<Route[]> {
  const { routes, source } = await readRoutesFile(file);
  const issues = routeIssues(routes, names);
  if (issues.length > 0) throw new ConfigError(issues, source);
  return routes as Route[];
}

/**
 * Stores the routes of a routes file in a model (replacing any it has), checked against the model's
 * operating points; `serve` then routes by them unless `serve --routes` gives others.
 */
export async function storeRoutes(modelDir: string, routesFile: string): Promise<{ routes: Route[]; points: string[] }> {
  const model = await loadModel(modelDir);
  const points = (model.operatingPoints ?? []).map((p) => p.name);
  const routes = await checkedRoutes(routesFile, points);
  await saveModel(modelDir, { ...model, routes });
  return { routes, points };
}

/** The weights scaled to sum exactly 1 as stored (refinement steps accumulate rounding). */
function normalised(w: number[]): number[] {
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / s);
}
