import * as path from 'node:path';
import { MSLR_LIKE_LABEL_NOISE } from '../../src/data/generate';
import { DEFAULTS, parseRunConfig, resolveConfigPaths } from '../../src/pipeline/runConfig';
import { latticeSize, planRun, formatPlan, sweepDivisions } from '../../src/pipeline/run';
import { applyOverrides } from '../../src/train/config';
import { configIssues } from '../configIssues';

function issuesOf(json: unknown): { path: string; expected: string }[] {
  return configIssues(() => parseRunConfig(json, 'test.json')).map((i) => ({ path: i.path, expected: i.expected }));
}

describe('parseRunConfig', () => {
  it('fills every default from an empty config', () => {
    const c = parseRunConfig({});
    expect(c).toEqual(DEFAULTS);
    expect(c.cos.mode).toBe('wcos');
    expect(c.sweep.k).toBe(10);
  });

  it('reports every problem at once, each with its JSON path', () => {
    const paths = issuesOf({
      sead: 1, // unknown root key
      base: { maxSteps: 0 }, // training section, checked by parseTrainConfig
      cos: { net: { kind: 'rnn' } },
      objectives: [{ name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'bucket' } }],
      data: { file: 'a.txt', train: ['b.txt'], generate: { queries: 0, colour: 'red' }, split: { ratios: [0.5, 0.5, 0.5] }, csv: { delimeter: ';' } },
      sweep: { k: 0, gain: 'log', extra: true },
      report: { pngScale: -1 },
      out: 3,
    }).map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'sead',
        'base.maxSteps',
        'cos.net.kind',
        'objectives[0].grading.kind',
        'data', // two sources
        'data.validation', // train without validation
        'data.generate.queries',
        'data.generate.colour',
        'data.split.ratios',
        'data.csv.delimeter',
        'sweep.k',
        'sweep.gain',
        'sweep.extra',
        'report.pngScale',
        'out',
      ]),
    );
  });

  it('rejects an unknown preset and names the known ones', () => {
    const [issue] = issuesOf({ objectives: 'msrl' });
    expect(issue.path).toBe('objectives');
    expect(issue.expected).toContain('mslr');
  });

  it('passes the generator’s own checks through with data.generate paths', () => {
    const issues = issuesOf({ data: { generate: { objectives: [{ name: 'fresh', correlation: 2 }] } } });
    expect(issues.map((i) => i.path)).toContain('data.generate.objectives[0].correlation');
  });

  it('takes the generator label noise (default the calibrated MSLR-like one, 0 explicitly) and refuses one outside [0, 1)', () => {
    expect(parseRunConfig({ data: { generate: {} } }, 't.json').data.generate?.labelNoise).toBe(MSLR_LIKE_LABEL_NOISE);
    expect(parseRunConfig({ data: { generate: { labelNoise: 0 } } }, 't.json').data.generate?.labelNoise).toBe(0);
    expect(parseRunConfig({ data: { generate: { labelNoise: 0.5 } } }, 't.json').data.generate?.labelNoise).toBe(0.5);
    expect(issuesOf({ data: { generate: { labelNoise: 1 } } }).map((i) => i.path)).toContain('data.generate.labelNoise');
    expect(issuesOf({ data: { generate: { labelNoise: -0.1 } } }).map((i) => i.path)).toContain('data.generate.labelNoise');
  });

  it('normalises one path to a list and resolves paths against the config folder', () => {
    const c = parseRunConfig({ data: { train: ['S1.txt', 'S2.txt'], validation: 'S4.txt' }, out: 'runs/x' });
    expect(c.data.validation).toEqual(['S4.txt']);
    const r = resolveConfigPaths(c, '/data/examples');
    expect(r.data.train).toEqual(['/data/examples/S1.txt', '/data/examples/S2.txt']);
    expect(r.data.validation).toEqual([path.resolve('/data/examples', 'S4.txt')]);
    expect(r.out).toBe('/data/examples/runs/x');
    expect(c.data.train).toEqual(['S1.txt', 'S2.txt']); // input not mutated
  });

  it('takes --set overrides before validation', () => {
    const c = parseRunConfig(applyOverrides({ cos: { maxSteps: 10 } }, ['cos.maxSteps=25', 'sweep.divisions=4', 'objectives=letor4']));
    expect(c.cos.maxSteps).toBe(25);
    expect(c.sweep.divisions).toBe(4);
    expect(c.objectives).toBe('letor4');
  });
});

describe('sweep lattice', () => {
  it('counts C(H + m − 1, m − 1) points', () => {
    expect(latticeSize(10, 2)).toBe(11);
    expect(latticeSize(10, 3)).toBe(66); // C(12, 2)
    expect(latticeSize(4, 5)).toBe(70); // C(8, 4)
  });

  it('defaults to H = 10 while that gives at most 100 points, else the largest H that does', () => {
    expect(sweepDivisions(2, null)).toBe(10);
    expect(sweepDivisions(3, null)).toBe(10);
    expect(sweepDivisions(4, null)).toBe(6); // C(9,3) = 84; H = 7 gives 120
    expect(sweepDivisions(5, null)).toBe(4); // C(8,4) = 70; H = 5 gives 126
    expect(sweepDivisions(5, 2)).toBe(2);
  });
});

describe('bounded sizes (seeds, sweep points)', () => {
  it('refuses seeds beyond 2^32 − 1 wherever a seed is configured', () => {
    const expected = 'null or an integer 0 … 4294967295 (2^32 − 1: seeds are 32-bit)';
    expect(issuesOf({ seed: 1e30, data: { split: { seed: 2 ** 32 } } })).toEqual([
      { path: 'seed', expected: 'an integer 0 … 4294967295 (2^32 − 1: seeds are 32-bit)' },
      { path: 'data.split.seed', expected },
    ]);
    expect(issuesOf({ data: { generate: { seed: 2 ** 32 } } })).toEqual([{ path: 'data.generate.seed', expected }]);
  });

  it('refuses a lattice of more than 100,000 points: H ≤ 99,999 always, and C(H + m − 1, m − 1) once m is known', () => {
    expect(issuesOf({ sweep: { divisions: 1000000 } })).toEqual([{ path: 'sweep.divisions', expected: 'null or an integer ≥ 1 and ≤ 99999' }]);
    // generated data without objectives: m = 3 is known before anything is read
    const m3 = parseRunConfig({ sweep: { divisions: 500 } });
    expect(configIssues(() => planRun(m3))).toEqual([
      { path: 'sweep.divisions', value: 500, expected: 'divisions H whose lattice for m = 3 auxiliary objectives, C(H + m − 1, m − 1), has at most 100000 points (H = 500 gives 1.26e+5)' },
    ]);
    expect(planRun(parseRunConfig({ sweep: { divisions: 400 } })).steps.find((s) => s.stage === 'sweep')?.action).toContain('80601 weight points');
    // Dirichlet points ignore the divisions
    expect(() => planRun(parseRunConfig({ sweep: { divisions: 500, points: { dirichlet: { count: 5 } } } }))).not.toThrow();
  });

  it('a top level that is not an object is refused, not read as an empty config', () => {
    for (const json of [[], null, 3]) expect(issuesOf(applyOverrides(json, ['seed=2']))).toEqual([{ path: '(root)', expected: 'a JSON object' }]);
  });
});

describe('planRun', () => {
  it('describes every stage from the config alone', () => {
    const c = resolveConfigPaths(
      parseRunConfig({ objectives: 'letor4', data: { train: ['S1.txt', 'S2.txt', 'S3.txt'], validation: 'S4.txt' }, out: 'o' }),
      '/x',
    );
    const plan = planRun(c);
    expect(plan.steps.map((s) => s.stage)).toEqual(['data', 'objectives', 'base', 'cos', 'sweep', 'outputs']);
    expect(plan.steps[0].action).toContain('S1.txt + S2.txt + S3.txt');
    expect(plan.steps[0].action).toContain('validation split doubles as test');
    expect(plan.steps[1].action).toContain("preset 'letor4'");
    expect(plan.steps[4].action).toContain('11 weight points');
    expect(plan.cacheDir).toBe('/x/o/cache');
    expect(formatPlan(plan).split('\n').length).toBeGreaterThan(6);
  });

  it('says when the methods stage must train the cos mode a second time (its validation points differ)', () => {
    const methodsAction = (json: object) => planRun(parseRunConfig({ objectives: 'letor4', data: { train: 'a.txt', validation: 'b.txt' }, methods: ['wcos', 'soup'], ...json })).steps.find((s) => s.stage === 'methods')?.action ?? '';
    // letor4: m = 2; the sweep's default divisions by m (10) equal cos.sweepDivisions' default (10)
    expect(methodsAction({})).not.toContain('trained twice');
    expect(methodsAction({ sweep: { divisions: 4 } })).toContain('wcos is trained twice');
    expect(methodsAction({ sweep: { divisions: 4 }, cos: { sweepDivisions: 4 } })).not.toContain('trained twice');
    const dirichlet = { dirichlet: { count: 7, seed: 3 } };
    expect(methodsAction({ sweep: { points: dirichlet } })).toContain('trained twice');
    expect(methodsAction({ sweep: { points: dirichlet }, cos: { sweepPoints: dirichlet } })).not.toContain('trained twice');
    // the cos mode not among the methods: nothing is trained twice
    expect(methodsAction({ methods: ['soup'], sweep: { divisions: 4 } })).not.toContain('trained twice');
  });
});
