import { applyOverrides, configHash, configReference, DEFAULTS, parseTrainConfig } from '../../src/train/config';
import { configIssues } from '../configIssues';

describe('parseTrainConfig', () => {
  it('takes seeds 0 … 2^32 − 1 only: the generator is seeded from 32 bits, so 2^32 would repeat seed 0', () => {
    expect(parseTrainConfig({ seed: 2 ** 32 - 1 }).seed).toBe(4294967295);
    const expected = 'an integer 0 … 4294967295 (2^32 − 1: seeds are 32-bit)';
    for (const seed of [2 ** 32, 1e30, -1, 1.5]) expect(configIssues(() => parseTrainConfig({ seed }))).toEqual([{ path: 'seed', value: seed, expected }]);
  });

  it('bounds network sizes, naming the field: a layer width, and the weights between hidden layers', () => {
    expect(configIssues(() => parseTrainConfig({ model: { hidden: [1e9] } }))).toEqual([{ path: 'model.hidden', value: [1e9], expected: 'an array of integers 1 … 65536' }]);
    expect(configIssues(() => parseTrainConfig({ cos: { net: { hidden: [20000, 20000] } } }))).toEqual([
      { path: 'cos.net.hidden', value: [20000, 20000], expected: 'a network with at most 16777216 weights between hidden layers (this one has 400000000)' },
    ]);
    expect(configIssues(() => parseTrainConfig({ model: { kind: 'transformer', dModel: 4096, ffHidden: 16384 } }))[0].path).toBe('model.dModel');
    expect(parseTrainConfig({ model: { hidden: [4096, 4096] } }).model.hidden).toEqual([4096, 4096]);
    expect(configIssues(() => parseTrainConfig({ cos: { sweepDivisions: 100000 } }))).toEqual([
      { path: 'cos.sweepDivisions', value: 100000, expected: 'an integer ≥ 1 and ≤ 99999' },
    ]);
  });

  it('fills every field from DEFAULTS', () => {
    expect(parseTrainConfig({})).toEqual(DEFAULTS);
    const c = parseTrainConfig({ seed: 5, base: { listsPerBatch: 8, optimizer: { learningRate: 0.01 } } });
    expect(c.seed).toBe(5);
    expect(c.base.listsPerBatch).toBe(8);
    expect(c.base.optimizer.learningRate).toBe(0.01);
    expect(c.base.optimizer.beta2).toBe(DEFAULTS.base.optimizer.beta2);
    expect(c.cos.listsPerBatch).toBe(32);
    expect(c.base.metricK).toBe(10);
    expect(c.cos.sweepDivisions).toBe(10);
    expect(c.cos.betaRange).toEqual([0.67, 1.5]);
  });

  it('does not share nested objects with DEFAULTS', () => {
    const c = parseTrainConfig({});
    c.model.hidden.push(7);
    expect(DEFAULTS.model.hidden).toEqual([64, 64]);
  });

  it('reports every problem at once with path, value and what is allowed', () => {
    const issues = configIssues(() =>
      parseTrainConfig(
        {
          seed: -1,
          engine: 'gpu',
          model: { kind: 'cnn', hiden: [3] },
          base: { loss: 'lambdarank', optimizer: { learningRate: 0 } },
          cos: { mode: 'wcos', betaRange: [2, 1], alpha: [1, -1] },
          extra: true,
        },
        'my.json',
      ),
    );
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    expect(Object.keys(byPath).sort()).toEqual(
      ['base.loss', 'base.optimizer.learningRate', 'cos.alpha', 'cos.betaRange', 'engine', 'extra', 'model.hiden', 'model.kind', 'seed'].sort(),
    );
    expect(byPath.engine.value).toBe('gpu');
    expect(byPath.engine.expected).toContain("'onnx'");
    expect(byPath['model.hiden'].expected).toContain('hidden');
  });

  it('names the source in the error message', () => {
    expect(() => parseTrainConfig({ seed: 'x' }, 'runs/a.json')).toThrow(/runs\/a\.json: 1 problem\n  seed: got "x", expected an integer/);
  });

  it('checks fields against each other', () => {
    const issues = configIssues(() =>
      parseTrainConfig({ model: { kind: 'transformer', dModel: 10, nHeads: 4 }, cos: { alpha: [1, 1], beta: [1, 1, 1], fixedWeights: [0.5, 0.6] } }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(['cos.beta', 'cos.fixedWeights', 'model.nHeads']);
  });
});

describe('applyOverrides', () => {
  it('sets dotted paths with JSON or string values, creating objects, without mutating the input', () => {
    const raw = { base: { maxSteps: 10 } };
    const out = applyOverrides(raw, ['base.maxSteps=500', 'cos.mode=tcos', 'cos.beta=[1,2]', 'cos.alpha.0=3', 'checkpoint.dir=null']);
    expect(raw.base.maxSteps).toBe(10);
    expect(out).toEqual({ base: { maxSteps: 500 }, cos: { mode: 'tcos', beta: [1, 2], alpha: [3] }, checkpoint: { dir: null } });
    const c = parseTrainConfig(applyOverrides({}, ['base.maxSteps=7', 'engine=tfjs']));
    expect(c.base.maxSteps).toBe(7);
    expect(c.engine).toBe('tfjs');
  });

  it('rejects an override without =', () => {
    expect(configIssues(() => applyOverrides({}, ['seed'])).map((i) => i.path)).toEqual(['seed']);
  });
});

describe('configReference / configHash', () => {
  it('documents every leaf with its default', () => {
    const ref = configReference();
    expect(ref).toMatch(/^\| path \| default \| meaning \|/);
    expect(ref).toContain('| `base.listsPerBatch` | `32` |');
    expect(ref).toContain('| `cos.betaRange` | `[0.67,1.5]` |');
    expect(ref).toContain('| `base.optimizer.learningRate` | `0.001` |');
    // one row per leaf of DEFAULTS
    const leaves = (o: unknown): number =>
      o !== null && typeof o === 'object' && !Array.isArray(o) ? Object.values(o).reduce((a: number, v) => a + leaves(v), 0) : 1;
    expect(ref.trim().split('\n').length - 2).toBe(leaves(DEFAULTS));
  });

  it('hashes what changes the weights, not the checkpoint settings or key order', () => {
    const a = parseTrainConfig({ seed: 3, base: { maxSteps: 10, listsPerBatch: 4 } });
    const b = parseTrainConfig({ base: { listsPerBatch: 4, maxSteps: 10 }, seed: 3, checkpoint: { every: 5, dir: '/tmp/x' } });
    expect(configHash(a)).toBe(configHash(b));
    expect(configHash(a)).not.toBe(configHash(parseTrainConfig({ seed: 4, base: { maxSteps: 10, listsPerBatch: 4 } })));
    expect(configHash(a, 'data1')).not.toBe(configHash(a, 'data2'));
  });
});
