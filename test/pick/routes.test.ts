/**
 * Operating points and routes at serving time, without a model: routing order (first match wins), start-up
 * checks of a routes list, and how a request's operatingPoint / weights / context resolve.
 */
import type { OperatingPoint } from '../../src/model/operatingPoints';
import { operatingPointIssues, routeIssues, routeOf, type Route } from '../../src/model/operatingPoints';
import { applyOperatingPoint, servingPointsOf } from '../../src/serve/operatingPoints';
import { RequestError } from '../../src/serve/tradeoff';
import { ConfigError } from '../../src/util/errors';

const provenance = {
  data: { file: 'pick.arrow', sha256: 'x'.repeat(64), queries: 1, documents: 2 },
  maximize: ['freshness'],
  constraints: [],
  objectives: {},
  base: {},
  metric: 'k=10',
  evaluated: 1,
  createdAt: '2026-12-01T00:00:00.000Z',
};
const POINTS: OperatingPoint[] = [
  { name: 'fresh', weights: [0.9, 0.1], c: 2, provenance },
  { name: 'clicky', weights: [0, 1], c: 0.5, provenance },
];
const ROUTES: Route[] = [
  { when: { vertical: 'news', market: 'de' }, use: 'clicky' },
  { when: { vertical: 'news' }, use: 'fresh' },
  { when: { premium: true }, use: 'default' },
  { use: 'clicky' },
];

describe('routeOf', () => {
  it('takes the first rule whose conditions all hold', () => {
    expect(routeOf(ROUTES, { vertical: 'news', market: 'de' })).toBe('clicky');
    expect(routeOf(ROUTES, { vertical: 'news', market: 'fr' })).toBe('fresh');
    expect(routeOf(ROUTES, { vertical: 'news', premium: true })).toBe('fresh'); // rule 2 comes before rule 3
    expect(routeOf(ROUTES, { premium: true })).toBe('default');
    expect(routeOf(ROUTES, { vertical: 'shop' })).toBe('clicky');
    expect(routeOf(ROUTES, undefined)).toBe('clicky');
  });

  it('compares values strictly (no "1" for 1, no "true" for true) and without a catch-all falls back to default', () => {
    const rules: Route[] = [{ when: { tier: 1 }, use: 'fresh' }, { when: { premium: true }, use: 'clicky' }];
    expect(routeOf(rules, { tier: '1' })).toBe('default');
    expect(routeOf(rules, { premium: 'true' })).toBe('default');
    expect(routeOf(rules, { tier: 1 })).toBe('fresh');
    expect(routeOf(rules, { toString: 'x' })).toBe('default');
  });
});

describe('routeIssues (start-up checks)', () => {
  const names = POINTS.map((p) => p.name);
  it('accepts a well-formed list', () => expect(routeIssues(ROUTES, names)).toEqual([]));
  it.each([
    ['an unknown point', [{ use: 'stale' }], 'routes[0].use', 'an operating point of the model (fresh, clicky, default)'],
    ['a rule after a catch-all', [{ use: 'fresh' }, { when: { vertical: 'news' }, use: 'clicky' }], 'routes[1]', 'no rule after the catch-all routes[0]'],
    ['a repeated condition', [{ when: { a: 1, b: 2 }, use: 'fresh' }, { when: { b: 2, a: 1 }, use: 'clicky' }], 'routes[1]', 'not already tested by routes[0]'],
    ['an empty when after a catch-all', [{ when: {}, use: 'fresh' }, { use: 'clicky' }], 'routes[1]', 'after the catch-all routes[0]'],
    ['a non-scalar condition', [{ when: { tags: ['a'] }, use: 'fresh' }], 'routes[0].when.tags', 'a string, number or boolean'],
    ['an unknown key', [{ when: {}, use: 'fresh', weight: 2 }], 'routes[0].weight', 'only "when" and "use"'],
    ['not a list', { use: 'fresh' }, 'routes', 'an array of rules'],
  ])('refuses %s', (_what, routes, path, expected) => {
    const issues = routeIssues(routes, names);
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0].path).toBe(path);
    expect(issues[0].expected).toContain(expected);
  });

  it('servingPointsOf names the routes source in the error', () => {
    expect(() => servingPointsOf({ operatingPoints: POINTS }, { routes: [{ use: 'stale' }], source: 'routes.json' })).toThrow(/^routes\.json: 1 problem\n  routes\[0\]\.use: got "stale"/);
    expect(() => servingPointsOf({ operatingPoints: POINTS, routes: [{ use: 'default' }, { use: 'fresh' }] })).toThrow(ConfigError);
  });
});

describe('operatingPointIssues (stored points)', () => {
  it('checks names, weights on the simplex, c and β against the model', () => {
    expect(operatingPointIssues(POINTS, 2, false)).toEqual([]);
    const bad = [
      { ...POINTS[0], name: 'default' },
      { ...POINTS[1], weights: [0.5, 0.6] },
      { ...POINTS[1], name: 'x', c: 0 },
      { ...POINTS[1], name: 'y', beta: [1, 1] },
      { ...POINTS[1], name: 'y' },
    ];
    expect(operatingPointIssues(bad, 2, false).map((i) => i.path)).toEqual([
      'operatingPoints[0].name',
      'operatingPoints[1].weights',
      'operatingPoints[2].c',
      'operatingPoints[3].beta',
      'operatingPoints[4].name',
    ]);
    expect(operatingPointIssues([{ ...POINTS[0] }], 2, true).map((i) => i.path)).toEqual(['operatingPoints[0].beta']);
  });
});

describe('applyOperatingPoint', () => {
  const sp = servingPointsOf({ operatingPoints: POINTS, routes: ROUTES });
  const fail = (request: Record<string, unknown>): RequestError => {
    try {
      applyOperatingPoint(request, sp);
    } catch (err) {
      if (err instanceof RequestError) return err;
      throw err;
    }
    throw new Error('expected a RequestError');
  };

  it('a named point gives its stored weights and c', () => {
    expect(applyOperatingPoint({ operatingPoint: 'fresh' }, sp)).toEqual({ tradeOff: { weights: [0.9, 0.1], c: 2 }, source: 'point=fresh' });
    expect(applyOperatingPoint({ operatingPoint: 'default' }, sp)).toEqual({ tradeOff: {}, source: 'point=default' });
  });

  it('explicit weights/c are used as given and routes are not consulted (the context is said to be unused)', () => {
    expect(applyOperatingPoint({ weights: [1, 3], context: { vertical: 'news' } }, sp)).toEqual({ tradeOff: { weights: [1, 3] }, source: 'request; context unused (weights given)' });
  });

  it('without a trade-off the routes decide from the context', () => {
    expect(applyOperatingPoint({ context: { vertical: 'news' } }, sp)).toEqual({ tradeOff: { weights: [0.9, 0.1], c: 2 }, source: 'route=fresh' });
    expect(applyOperatingPoint({ context: { premium: true } }, sp).tradeOff).toEqual({});
    expect(applyOperatingPoint({}, sp).tradeOff).toEqual({ weights: [0, 1], c: 0.5 });
    expect(applyOperatingPoint({}, servingPointsOf({ operatingPoints: POINTS }))).toEqual({ tradeOff: {}, source: 'default' });
  });

  it('refuses a point together with weights, beta or c, naming the fields', () => {
    const e = fail({ operatingPoint: 'fresh', weights: [1, 0], c: 2 });
    expect(e.field).toBe('operatingPoint');
    expect(e.detail).toContain('cannot be combined with weights, c');
  });

  it('refuses an unknown point, listing the known ones', () => {
    const e = fail({ operatingPoint: 'stale' });
    expect(e.message).toBe('operatingPoint: unknown operating point "stale"; this model has fresh, clicky (and \'default\')');
    expect(() => applyOperatingPoint({ operatingPoint: 'fresh' }, servingPointsOf({}))).toThrow('this model has no operating points');
  });

  it('refuses a malformed point name or context', () => {
    expect(fail({ operatingPoint: 3 }).field).toBe('operatingPoint');
    expect(fail({ context: ['news'] }).field).toBe('context');
    expect(fail({ context: { vertical: { a: 1 } } }).field).toBe('context.vertical');
  });
});
