/**
 * Operating points and routes at serving time (issue 13): a request names a stored trade-off
 * (`"operatingPoint": "fresh"`) or sends its query context (`"context": {"vertical": "news"}`) and the
 * routes pick the trade-off; explicit weights/beta/c still work as before.
 *
 * Precedence for one request:
 *   1. `operatingPoint` — the stored weights, c and β of that point; combined with any of weights, beta or c
 *      it is a request error naming the fields (a request names either a point or a trade-off).
 *   2. explicit weights / beta / c — as given (routes are not consulted).
 *   3. otherwise the routes: the first rule whose `when` matches `context` (src/model/operatingPoints.ts),
 *      `default` (or no match, or no routes) = the model's default trade-off.
 *
 * A point's stored weights go through the same normalisation as a client's weights, so serving by name
 * gives exactly the scores of a request sending the stored weights, c and β.
 *
 * Every answer says where its trade-off came from (`source`, the `x-cosrank-trade-off` header):
 * `request`, `point=NAME`, `route=NAME` or `default`, and `; context unused (…)` when a request's context
 * chose nothing — a model without routes, or a named point or explicit trade-off taking precedence — so
 * that a context silently falling back to the default is visible to the client.
 */
import { readFile } from 'node:fs/promises';
import type { SavedModel } from '../model/modelFile';
import { DEFAULT_POINT, routeIssues, routeOf, type OperatingPoint, type Route } from '../model/operatingPoints';
import { ConfigError } from '../util/errors';
import { RequestError, shown } from './tradeoff';

/** A stored trade-off in request form. */
export interface ServingPoint {
  weights: number[];
  c: number;
  beta?: number[];
}

/** The operating points of a served model and the routes in force. */
export interface ServingPoints {
  points: Map<string, ServingPoint>;
  routes: Route[];
  /** Where the routes came from (`model.json` or a routes file), for `GET /model`. */
  routesSource: string | null;
  /** The points as stored (provenance included), for `GET /model`. */
  stored: OperatingPoint[];
}

/** Routes given at start-up (`serve --routes FILE`) instead of the model's own, and where they came from. */
export interface RoutesOverride {
  routes: unknown;
  source: string;
}

/** The request fields this module reads, beside the trade-off fields weights, beta, c. */
export interface PointRequest {
  weights?: unknown;
  beta?: unknown;
  c?: unknown;
  operatingPoint?: unknown;
  context?: unknown;
}

/**
 * The points of a loaded model and the routes to use: `routes` (e.g. from `serve --routes FILE`, named by
 * `source`) replaces the model's own. Routes are checked here, at start-up: an unknown point, a malformed
 * rule or a rule that can never match is a ConfigError naming the source and the rule.
 */
export function servingPointsOf(saved: Pick<SavedModel, 'operatingPoints' | 'routes'>, override?: RoutesOverride): ServingPoints {
  const stored = saved.operatingPoints ?? [];
  const points = new Map(stored.map((p) => [p.name, { weights: [...p.weights], c: p.c, ...(p.beta ? { beta: [...p.beta] } : {}) }]));
  const routes = override ? override.routes : (saved.routes ?? []);
  const source = override ? override.source : saved.routes ? 'model.json' : null;
  const issues = routeIssues(routes, [...points.keys()]);
  if (issues.length > 0) throw new ConfigError(issues, source ?? 'routes');
  return { points, routes: routes as Route[], routesSource: source, stored };
}

/** Reads a routes file (JSON array of rules); checking against a model happens in `servingPointsOf`. */
export async function readRoutesFile(file: string): Promise<RoutesOverride> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ path: 'routes', value: file, expected: `a readable routes file (${err instanceof Error ? err.message : String(err)})` }], file);
  }
  try {
    return { routes: JSON.parse(text) as unknown, source: file };
  } catch (err) {
    throw new ConfigError([{ path: 'routes', value: text.slice(0, 80), expected: `JSON (${err instanceof Error ? err.message : String(err)})` }], file);
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The trade-off of a request after operating points and routes (see the module comment): the
 * weights/beta/c to resolve as usual (`{}` = the model's default) and where they came from. Request
 * errors name the field.
 */
export function applyOperatingPoint<T extends PointRequest>(request: T, sp: ServingPoints | undefined): { tradeOff: Pick<T, 'weights' | 'beta' | 'c'>; source: string } {
  const { operatingPoint, context, ...explicit } = request;
  const given = (['weights', 'beta', 'c'] as const).filter((k) => explicit[k] !== undefined);
  if (context !== undefined) {
    if (!isRecord(context)) throw new RequestError('context', 'expected an object {attribute: string | number | boolean}');
    for (const [k, v] of Object.entries(context)) {
      if (!['string', 'number', 'boolean'].includes(typeof v)) throw new RequestError(`context.${k}`, `expected a string, number or boolean, got ${shown(v)}`);
    }
  }
  type Chosen = Pick<T, 'weights' | 'beta' | 'c'>;
  const unused = (why: string) => (context === undefined ? '' : `; context unused (${why})`);
  let name: string;
  let source: string;
  if (operatingPoint !== undefined) {
    if (typeof operatingPoint !== 'string') throw new RequestError('operatingPoint', `expected the name of an operating point, got ${shown(operatingPoint)}`);
    if (given.length > 0) {
      throw new RequestError('operatingPoint', `cannot be combined with ${given.join(', ')}: a request names either an operating point or a trade-off (weights, beta, c)`);
    }
    name = operatingPoint;
    source = `point=${name}${unused('a named point comes first')}`;
  } else if (given.length > 0) {
    return { tradeOff: explicit as Chosen, source: `request${unused(`${given.join(', ')} given`)}` };
  } else if (!sp || sp.routes.length === 0) {
    return { tradeOff: explicit as Chosen, source: `default${unused('this model has no routes')}` };
  } else {
    name = routeOf(sp.routes, context as Record<string, unknown> | undefined);
    source = `route=${name}`;
  }
  if (name === DEFAULT_POINT) return { tradeOff: {} as Chosen, source };
  const point = sp?.points.get(name);
  if (!point) {
    const known = sp && sp.points.size > 0 ? `this model has ${[...sp.points.keys()].join(', ')} (and '${DEFAULT_POINT}')` : `this model has no operating points (only '${DEFAULT_POINT}')`;
    throw new RequestError('operatingPoint', `unknown operating point ${shown(name)}; ${known}`);
  }
  return { tradeOff: { weights: point.weights, c: point.c, ...(point.beta ? { beta: point.beta } : {}) } as Chosen, source };
}

/** The points and routes as `GET /model` lists them. */
export function describeServingPoints(sp: ServingPoints | undefined, objectives: string[]): Record<string, unknown> {
  if (!sp) return { operatingPoints: [], routes: [] };
  return {
    operatingPoints: sp.stored.map((p) => ({
      name: p.name,
      weights: Object.fromEntries(objectives.map((o, j) => [o, p.weights[j]])),
      c: p.c,
      ...(p.beta ? { beta: Object.fromEntries(objectives.map((o, j) => [o, (p.beta as number[])[j]])) } : {}),
      constraints: p.provenance.constraints,
      maximize: p.provenance.maximize,
      objectives: p.provenance.objectives,
      base: p.provenance.base,
      data: p.provenance.data,
      createdAt: p.provenance.createdAt,
    })),
    routes: sp.routes,
    ...(sp.routesSource ? { routesSource: sp.routesSource } : {}),
  };
}
