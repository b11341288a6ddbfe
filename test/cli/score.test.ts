/**
 * `cosrank score`: its scores file, evaluated by `cosrank eval` on the run's test split, reproduces the
 * sweep table `cosrank run` wrote (sweep.json) exactly; one trade-off gives one column; raw data get the
 * model's objectives applied.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readScores } from '../../src/eval/scoresFile';
import { readDataset } from '../../src/data/read';
import { captureIO as capture, runCli as cosrank } from '../cliHarness';

const CONFIG = {
  seed: 7,
  data: { generate: { queries: 60, nFeatures: 20, meanListLength: 12, maxListLength: 30 } },
  objectives: [
    { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 4 } },
    { name: 'freshness', source: { label: 'freshness' }, grading: { kind: 'asIs' } },
    { name: 'clicks', source: { label: 'clicks' }, grading: { kind: 'quantile', buckets: 3 } },
  ],
  model: { hidden: [8] },
  base: { maxSteps: 30, listsPerBatch: 8, validateEvery: 15 },
  cos: { maxSteps: 30, listsPerBatch: 8, validateEvery: 15, net: { hidden: [8] } },
  sweep: { divisions: 4 },
};

describe('cosrank score → cosrank eval', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-score-'));
  const out = path.join(dir, 'run');
  let test: string;
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    fs.writeFileSync(path.join(dir, 'c.json'), JSON.stringify(CONFIG));
    const r = await cosrank('run', path.join(dir, 'c.json'), '--out', out, '--quiet');
    expect(r.code).toBe(0);
    const data = fs.readdirSync(path.join(out, 'cache')).find((f) => f.startsWith('data-')) as string;
    test = path.join(out, 'cache', data, 'test.arrow');
  });

  it('reproduces the run’s sweep table exactly', async () => {
    const scores = path.join(dir, 'sweep-scores.csv');
    const s = await cosrank('score', path.join(out, 'model'), test, '--sweep', '--divisions', '4', '--out', scores, '--quiet');
    expect(s.code).toBe(0);
    const e = await cosrank('eval', '--data', test, '--scores', scores, '--json');
    expect(e.code).toBe(0);
    const evaluated = JSON.parse(e.out);
    const run = JSON.parse(fs.readFileSync(path.join(out, 'sweep.json'), 'utf8'));
    expect(evaluated.sweep.rows).toEqual(run.rows);
    expect(evaluated.sweep.objectives).toEqual(run.objectives);
    expect(evaluated.hypervolume.value).toBe(run.hypervolume);
    expect(evaluated.front).toEqual(run.front);
  });

  it('reproduces a run swept at seeded Dirichlet points, given the same --points', async () => {
    const points = { dirichlet: { count: 5, seed: 3, alpha: 0.5 } };
    const dirichletRun = path.join(dir, 'run-dirichlet');
    fs.writeFileSync(path.join(dir, 'd.json'), JSON.stringify({ ...CONFIG, sweep: { points } }));
    expect((await cosrank('run', path.join(dir, 'd.json'), '--out', dirichletRun, '--quiet')).code).toBe(0);
    const data = fs.readdirSync(path.join(dirichletRun, 'cache')).find((f) => f.startsWith('data-')) as string;
    const split = path.join(dirichletRun, 'cache', data, 'test.arrow');
    const scores = path.join(dir, 'dirichlet-scores.csv');
    expect((await cosrank('score', path.join(dirichletRun, 'model'), split, '--sweep', '--points', JSON.stringify(points), '--out', scores, '--quiet')).code).toBe(0);
    const evaluated = JSON.parse((await cosrank('eval', '--data', split, '--scores', scores, '--json')).out);
    const run = JSON.parse(fs.readFileSync(path.join(dirichletRun, 'sweep.json'), 'utf8'));
    expect(run.rows).toHaveLength(5);
    expect(evaluated.sweep.rows).toEqual(run.rows);
    expect(evaluated.hypervolume.value).toBe(run.hypervolume);
    // the lattice is another set of points: its table differs
    const lattice = path.join(dir, 'dirichlet-lattice.csv');
    expect((await cosrank('score', path.join(dirichletRun, 'model'), split, '--sweep', '--out', lattice, '--quiet')).code).toBe(0);
    expect(JSON.parse((await cosrank('eval', '--data', split, '--scores', lattice, '--json')).out).sweep.rows).not.toEqual(run.rows);
  });

  it('scores one trade-off into one column, by name or in order, normalised', async () => {
    const byName = path.join(dir, 'one.csv');
    const inOrder = path.join(dir, 'two.csv');
    expect((await cosrank('score', path.join(out, 'model'), test, '--weights', 'clicks=3,freshness=1', '--out', byName, '--quiet')).code).toBe(0);
    expect((await cosrank('score', path.join(out, 'model'), test, '--weights', '0.25,0.75', '--out', inOrder, '--quiet')).code).toBe(0);
    const ds = await readDataset(test);
    const a = await readScores(byName, ds);
    expect(a.kind).toBe('single');
    expect(fs.readFileSync(byName, 'utf8')).toBe(fs.readFileSync(inOrder, 'utf8'));
    // the point (0.25, 0.75) is on the divisions-4 lattice: its sweep column holds the same scores
    const sweep = await readScores(path.join(dir, 'sweep-scores.csv'), ds);
    const column = sweep.runs.find((r) => r.weights?.join(',') === '0.25,0.75');
    expect(Array.from(a.runs[0].scores)).toEqual(Array.from(column?.scores ?? []));
  });

  it('refuses bad requests clearly', async () => {
    const model = path.join(out, 'model');
    expect((await cosrank('score', model, test, '--out', path.join(dir, 'x.csv'), '--sweep', '--weights', '1,0')).code).toBe(2);
    const points = await cosrank('score', model, test, '--out', path.join(dir, 'x.csv'), '--sweep', '--points', '{"dirichlet":{"count":0}}');
    expect(points.code).toBe(2);
    expect(points.err).toContain('--points must be \'lattice\' or {"dirichlet"');
    expect((await cosrank('score', model, test, '--out', path.join(dir, 'x.csv'), '--points', 'lattice')).err).toContain('--points belongs to --sweep');
    const unknown = await cosrank('score', model, test, '--out', path.join(dir, 'x.csv'), '--weights', 'speed=1');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toBe("cosrank score: --weights.speed: unknown objective; the model's objectives are freshness, clicks\n");
    const zero = await cosrank('score', model, test, '--out', path.join(dir, 'x.csv'), '--weights', '0,0');
    expect(zero.code).toBe(1);
    expect(zero.err).toBe('cosrank score: --weights: weights must not all be zero\n');
    const short = await cosrank('score', model, test, '--out', path.join(dir, 'x.csv'), '--weights', '1');
    expect(short.err).toBe('cosrank score: --weights: expected 2 weights (freshness, clicks), got 1\n');
    expect(fs.existsSync(path.join(dir, 'x.csv'))).toBe(false);
  });

  it('refuses what the model does not take, by the server’s rule: β for a W-COS model, c beyond float32', async () => {
    const model = path.join(out, 'model');
    const x = path.join(dir, 'x.csv');
    const beta = await cosrank('score', model, test, '--out', x, '--beta', '5,0.1', '--quiet');
    expect(beta.code).toBe(1);
    expect(beta.err).toBe('cosrank score: --beta: this model was trained without temperatures (W-COS), so it takes no beta; send weights (and c) only\n');
    const c = await cosrank('score', model, test, '--out', x, '--c', '1e300', '--quiet');
    expect(c.code).toBe(1);
    expect(c.err).toBe('cosrank score: --c: expected a finite number > 0 (in float32 range), got 1e+300\n');
    expect(fs.existsSync(x)).toBe(false);
  });

  it('takes a negative --weights value as the value, so the weights check reports it', async () => {
    const r = await cosrank('score', path.join(out, 'model'), test, '--out', path.join(dir, 'x.csv'), '--weights', '-1,2', '--quiet');
    expect(r.code).toBe(1);
    expect(r.err).toBe('cosrank score: --weights[0]: weights must be non-negative, got -1\n');
  });
});
