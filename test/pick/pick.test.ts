/**
 * `pickOperatingPoint` on a small trained model: the search against an exhaustive fine grid, the stored
 * operating point and its provenance, held-out figures that never influence the choice, and bad input.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createEngine } from '../../src/engine/select';
import type { Engine } from '../../src/engine/engine';
import { parseConstraints, constraintMargin, satisfies } from '../../src/eval/constraints';
import { evaluateObjectives } from '../../src/eval/metrics';
import { UnsatisfiableError } from '../../src/eval/operatingSearch';
import { loadModel, saveModel } from '../../src/model/modelFile';
import { pickOperatingPoint, storeRoutes, type PickOptions } from '../../src/pipeline/pick';
import { ConfigError, DataError } from '../../src/util/errors';
import { smallModel, type SmallModel } from './smallModel';

let engine: Engine;
let small: SmallModel;
let root: string;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-pick-'));
  engine = await createEngine('auto');
  small = await smallModel(engine, root);
}, 120_000);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const CONSTRAINT = 'relevance >= 0.97 * base.relevance';
const opts = (patch: Partial<PickOptions> = {}): PickOptions => ({
  model: small.dir,
  data: small.pickData,
  maximize: ['freshness'],
  constraints: [CONSTRAINT],
  name: 'fresh',
  engineInstance: engine,
  force: true,
  ...patch,
});

/** NDCG@10 per objective of the small model at (w, c) on the pick data, computed here directly. */
async function ndcgAt(weights: number[] | null, c = 1): Promise<number[]> {
  const m = small.model;
  const ds = small.pick;
  const scores =
    weights === null
      ? await engine.score({ base: m.spec.base }, { base: m.params.base }, { features: ds.features, queryOffsets: ds.queryOffsets })
      : await engine.score(m.spec, m.params, { features: ds.features, queryOffsets: ds.queryOffsets, weights: Float32Array.from(weights), c });
  return evaluateObjectives(scores, ds, { k: 10 }).map((e) => e.mean);
}

it('finds a feasible point at least as good as an exhaustive fine grid, within 0.005, with far fewer evaluations', async () => {
  const r = await pickOperatingPoint(opts());
  const [constraint] = parseConstraints([CONSTRAINT], ['relevance', 'freshness', 'clicks']);
  const base = await ndcgAt(null);
  // the chosen point, re-scored independently, satisfies the constraint
  const at = await ndcgAt([r.point.weights.freshness, r.point.weights.clicks], r.point.c);
  expect(at[1]).toBeCloseTo(r.data.ndcg.freshness, 6);
  expect(satisfies(constraint, constraintMargin(constraint, { point: at, base }))).toBe(true);
  // exhaustive grid: w_fresh in steps of 0.02, 31 values of c log-spaced over the search bounds [0.25, 6]
  let gridBest = -Infinity;
  let gridPoints = 0;
  for (let i = 0; i <= 50; i++) {
    for (let j = 0; j <= 30; j++) {
      const c = 0.25 * Math.pow(6 / 0.25, j / 30);
      const v = await ndcgAt([i / 50, 1 - i / 50], c);
      gridPoints++;
      if (satisfies(constraint, constraintMargin(constraint, { point: v, base }))) gridBest = Math.max(gridBest, v[1]);
    }
  }
  process.stderr.write(`pick: freshness NDCG@10 ${r.data.ndcg.freshness.toFixed(4)} after ${r.evaluated} points; fine grid best ${gridBest.toFixed(4)} over ${gridPoints} points\n`);
  expect(r.data.ndcg.freshness).toBeGreaterThanOrEqual(gridBest - 0.005);
  expect(r.evaluated).toBeLessThan(gridPoints / 2);
  // never below the best feasible point of the plain 11-point sweep
  if (r.sweepBest) expect(r.score).toBeGreaterThanOrEqual(r.sweepBest.score);
}, 180_000);

it('stores the point with its provenance; an existing name needs force; older points are kept', async () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const first = await pickOperatingPoint(opts({ name: 'clicky', maximize: ['clicks'], constraints: [], now }));
  const loaded = await loadModel(small.dir);
  const p = loaded.operatingPoints!.find((x) => x.name === 'clicky')!;
  expect(p.weights).toEqual([first.point.weights.freshness, first.point.weights.clicks].map((v) => expect.closeTo(v, 12)));
  expect(p.weights[0] + p.weights[1]).toBeCloseTo(1, 12);
  expect(p.c).toBe(first.point.c);
  expect(p.provenance.createdAt).toBe(now.toISOString());
  expect(p.provenance.data.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(p.provenance.constraints).toEqual([]);
  expect(p.provenance.objectives.clicks).toBe(first.data.ndcg.clicks);
  expect(p.provenance.evaluated).toBe(first.evaluated);
  expect(fs.readFileSync(first.files.summary, 'utf8')).toContain("# Operating point `clicky`");
  expect(path.dirname(first.files.summary)).toBe(path.dirname(path.resolve(small.dir)));

  await expect(pickOperatingPoint(opts({ name: 'clicky', force: false }))).rejects.toThrow(/name: got "clicky", expected a new name: .*--force/);
  const again = await pickOperatingPoint(opts({ name: 'clicky', maximize: ['clicks'], constraints: [], force: true }));
  expect(again.replaced).toBe(true);
  const names = (await loadModel(small.dir)).operatingPoints!.map((x) => x.name);
  expect(names.filter((n) => n === 'clicky')).toHaveLength(1);
}, 120_000);

it('the held-out data never changes the choice, and its figures are the point scored there', async () => {
  const without = await pickOperatingPoint(opts({ name: 'a' }));
  const withTest = await pickOperatingPoint(opts({ name: 'b', test: small.testData }));
  expect(withTest.point).toEqual(without.point);
  expect(withTest.evaluated).toBe(without.evaluated);
  expect(withTest.test!.queries).toBe(20);
  expect(withTest.test!.ndcg.freshness).not.toBe(withTest.data.ndcg.freshness);
  expect((await loadModel(small.dir)).operatingPoints!.find((x) => x.name === 'b')!.provenance.test!.objectives.freshness).toBe(withTest.test!.ndcg.freshness);
}, 120_000);

describe('bad input', () => {
  const issues = async (patch: Partial<PickOptions>): Promise<string> => {
    try {
      await pickOperatingPoint(opts(patch));
    } catch (err) {
      if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.expected}`).join('\n');
      throw err;
    }
    throw new Error('expected a ConfigError');
  };

  it.each([
    ['an unknown objective in a constraint', { constraints: ['ctr >= 0.5'] }, "constraints[0]: objective names of this model (relevance, freshness, clicks) or base.<name>; 'ctr' is unknown"],
    ['a constraint that is not a comparison', { constraints: ['relevance * 2'] }, 'constraints[0]: one comparison with >=, >, <= or <'],
    ['an unknown objective to maximise', { maximize: ['ctr'] }, 'maximize[0]: an objective of this model (relevance, freshness, clicks)'],
    ['nothing to maximise', { maximize: [] }, 'maximize: at least one objective'],
    ['the reserved name', { name: 'default' }, "name: a name matching"],
    ['a malformed name', { name: '../x' }, 'name: a name matching'],
  ])('%s', async (_what, patch, expected) => {
    expect(await issues(patch as Partial<PickOptions>)).toContain(expected);
  });

  it('a base-only model', async () => {
    const dir = path.join(root, 'base-only');
    await saveModel(dir, { ...small.model, spec: { base: small.model.spec.base }, params: { base: small.model.params.base } });
    expect(await issues({ model: dir })).toContain('model: a COS model');
  });

  it('data with other features than the model', async () => {
    const wrong = path.join(root, 'wrong.txt');
    fs.writeFileSync(wrong, '1 qid:1 1:0.5 2:0.1\n0 qid:1 1:0.2 2:0.3\n');
    await expect(pickOperatingPoint(opts({ data: wrong }))).rejects.toThrow(DataError);
  });

  it('an unsatisfiable set names the best reachable value of each constraint', async () => {
    const err = await pickOperatingPoint(opts({ constraints: ['relevance >= 1.5 * base.relevance', 'clicks >= 0'] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsatisfiableError);
    const message = (err as Error).message;
    expect(message).toMatch(/relevance >= 1\.5 \* base\.relevance: left side 0\.\d{4} vs right side \d\.\d{4} \(margin -0\.\d{4}\) at w=\(/);
    expect(message).toContain('clicks >= 0: left side');
    // the best reachable relevance is at least what the lattice saw at any point
    const best = (err as UnsatisfiableError).reachable[0];
    const atDefault = await ndcgAt([0.5, 0.5]);
    expect(best.lhs).toBeGreaterThanOrEqual(atDefault[0]);
  }, 120_000);
});

describe('routes stored in the model', () => {
  it('are checked against the points, stored, and checked again when the model loads', async () => {
    await pickOperatingPoint(opts({ name: 'fresh' }));
    const file = path.join(root, 'routes.json');
    fs.writeFileSync(file, JSON.stringify([{ when: { vertical: 'news' }, use: 'fresh' }, { use: 'default' }]));
    const { routes } = await storeRoutes(small.dir, file);
    expect((await loadModel(small.dir)).routes).toEqual(routes);

    fs.writeFileSync(file, JSON.stringify([{ use: 'stale' }]));
    await expect(storeRoutes(small.dir, file)).rejects.toThrow(`${file}: 1 problem\n  routes[0].use: got "stale", expected an operating point of the model (`);
    fs.writeFileSync(file, JSON.stringify([{ use: 'default' }, { when: { vertical: 'news' }, use: 'fresh' }]));
    await expect(storeRoutes(small.dir, file)).rejects.toThrow('no rule after the catch-all routes[0]');
    fs.writeFileSync(file, '[{"use": ');
    await expect(storeRoutes(small.dir, file)).rejects.toThrow(/expected JSON/);

    // a routes file given with a new point may name it; the check runs before the search
    fs.writeFileSync(file, JSON.stringify([{ when: { vertical: 'news' }, use: 'newest' }]));
    await pickOperatingPoint(opts({ name: 'newest', routes: file }));
    expect((await loadModel(small.dir)).routes).toEqual([{ when: { vertical: 'news' }, use: 'newest' }]);

    // model.json edited by hand to route to a point it lacks: the model no longer loads
    const jsonFile = path.join(small.dir, 'model.json');
    const json = JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(jsonFile, JSON.stringify({ ...json, integrity: undefined, routes: [{ use: 'gone' }] }));
    await expect(loadModel(small.dir)).rejects.toThrow(/model\.json: routes\[0\]\.use: got "gone"/);
    fs.writeFileSync(jsonFile, JSON.stringify(json));
  }, 120_000);

  it('an operating point edited in model.json is caught by the model checksum', async () => {
    await pickOperatingPoint(opts({ name: 'fresh' }));
    const jsonFile = path.join(small.dir, 'model.json');
    const text = fs.readFileSync(jsonFile, 'utf8');
    const json = JSON.parse(text) as { operatingPoints: { name: string; c: number }[] };
    const point = json.operatingPoints.find((p) => p.name === 'fresh')!;
    point.c = point.c * 1.5;
    fs.writeFileSync(jsonFile, JSON.stringify(json));
    await expect(loadModel(small.dir)).rejects.toThrow(/checksum mismatch/);
    fs.writeFileSync(jsonFile, text);
    expect((await loadModel(small.dir)).operatingPoints!.some((p) => p.name === 'fresh')).toBe(true);
  }, 120_000);

  it('a model file without operating points or routes loads unchanged', async () => {
    const dir = path.join(root, 'plain');
    await saveModel(dir, small.model);
    const loaded = await loadModel(dir);
    expect(loaded.operatingPoints).toBeUndefined();
    expect(loaded.routes).toBeUndefined();
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'))).not.toHaveProperty('operatingPoints');
  });
});

it('a T-COS model: β is searched and stored with the point', async () => {
  const dir = path.join(root, 'tcos');
  fs.mkdirSync(dir);
  const t = await smallModel(engine, dir, 8, 'tcos');
  const r = await pickOperatingPoint({ ...opts(), model: t.dir, data: t.pickData, search: { maxEvaluations: 700 } });
  expect(Object.keys(r.point.beta!)).toEqual(['freshness', 'clicks']);
  expect(r.latticeSize).toBe(11 * 6 * 9);
  const stored = (await loadModel(t.dir)).operatingPoints![0];
  expect(stored.beta).toEqual([r.point.beta!.freshness, r.point.beta!.clicks]);
  for (const b of stored.beta!) expect(b >= 0.67 && b <= 1.5).toBe(true);
}, 180_000);
