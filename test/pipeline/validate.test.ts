/**
 * The validation combinators (src/util/validate.ts) and the hostile `--set` / config-key cases of issue 14
 * item 5, through the real parsers: prototype pollution, inherited keys passing the unknown-key check,
 * sparse arrays from huge indices, and a bounded error message.
 */
import { configIssues } from '../configIssues';
import { parseRunConfig } from '../../src/pipeline/runConfig';
import { parseTrainConfig } from '../../src/train/config';
import { parseObjectives } from '../../src/data/objectives';
import { ConfigError, MAX_LISTED_ISSUES } from '../../src/util/errors';
import { applyOverrides, arrayOf, int, nullable, num, ObjectReader, oneOf } from '../../src/util/validate';
import type { ConfigIssue } from '../../src/util/errors';

describe('applyOverrides', () => {
  afterEach(() => {
    delete (Object.prototype as Record<string, unknown>).polluted;
  });

  it('sets nested values, creating objects and arrays on the way', () => {
    expect(applyOverrides({ base: { maxSteps: 5 } }, ['base.maxSteps=7', 'cos.beta.0=2', 'cos.beta.1=3', 'description=hello world'])).toEqual({
      base: { maxSteps: 7 },
      cos: { beta: [2, 3] },
      description: 'hello world',
    });
  });

  it.each(['__proto__.polluted=1', 'constructor.prototype.polluted=1', 'model.__proto__.polluted=1'])('refuses %s and leaves Object.prototype alone', (set) => {
    const issues = configIssues(() => applyOverrides({ model: {} }, [set]));
    expect(issues).toHaveLength(1);
    expect(issues[0].expected).toMatch(/not a config key/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses an array index past the end at once, naming the allowed range', () => {
    const issues = configIssues(() => applyOverrides({ model: { hidden: [64, 32] } }, ['model.hidden.1000000=3']));
    expect(issues).toEqual([{ path: 'model.hidden.1000000', value: '3', expected: 'an array index 0..2 (an existing item or the next one)' }]);
    // a new array starts at index 0
    expect(configIssues(() => applyOverrides({}, ['cos.beta.5=1']))[0].expected).toMatch(/0\.\.0/);
    // an existing item or the next one is fine
    expect(applyOverrides({ model: { hidden: [64, 32] } }, ['model.hidden.1=8', 'model.hidden.2=4'])).toEqual({ model: { hidden: [64, 8, 4] } });
  });

  it('reports every bad --set at once and changes nothing for a refused one', () => {
    const input = { model: { hidden: [1] } };
    const issues = configIssues(() => applyOverrides(input, ['noequals', 'a..b=1', 'model.hidden.9=1']));
    expect(issues.map((i) => i.path)).toEqual(['noequals', 'a..b', 'model.hidden.9']);
    expect(input).toEqual({ model: { hidden: [1] } });
  });
});

describe('own keys only', () => {
  it.each(['toString', 'valueOf', 'hasOwnProperty', 'constructor', '__proto__'])('a training-config key %s is an unknown key', (key) => {
    const json = JSON.parse(`{"${key}": 1, "model": {"${key}": 2}}`);
    const paths = configIssues(() => parseTrainConfig(json)).map((i) => i.path);
    expect(paths).toEqual([key, `model.${key}`]);
  });

  it.each(['toString', 'constructor', '__proto__'])('a run-config key %s is an unknown key', (key) => {
    const json = JSON.parse(`{"${key}": 1, "sweep": {"${key}": 2}, "data": {"split": {"${key}": 3}}}`);
    const paths = configIssues(() => parseRunConfig(json)).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining([key, `sweep.${key}`, `data.split.${key}`]));
  });

  it('an objective grading kind named like an Object member is refused, not looked up', () => {
    const issues = configIssues(() => parseObjectives([{ name: 'a', source: { label: 'a' }, grading: { kind: 'toString' } }]));
    expect(issues).toEqual([{ path: '$[0].grading.kind', value: 'toString', expected: 'a grading kind: asIs, clip, quantile' }]);
    const keys = configIssues(() => parseObjectives(JSON.parse('[{"name":"a","source":{"label":"a","constructor":1},"grading":{"kind":"asIs"},"__proto__":{}}]')));
    expect(keys.map((i) => i.path).sort()).toEqual(['$[0].__proto__', '$[0].source.constructor']);
  });
});

describe('one error, bounded', () => {
  it(`lists at most ${MAX_LISTED_ISSUES} problems and counts the rest`, () => {
    const sweep = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`bad${i}`, i]));
    let error: unknown;
    try {
      parseRunConfig({ sweep }, 'big.json');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const e = error as ConfigError;
    expect(e.issues).toHaveLength(50);
    const lines = e.message.split('\n');
    expect(lines[0]).toBe('big.json: 50 problems');
    expect(lines).toHaveLength(1 + MAX_LISTED_ISSUES + 1);
    expect(lines[lines.length - 1]).toBe('  … and 30 more problems');
  });

  it('quotes a long value in at most ~200 characters', () => {
    const e = new ConfigError([{ path: 'x', value: 'y'.repeat(10_000), expected: 'short' }]);
    expect(e.message.length).toBeLessThan(300);
  });
});

describe('combinators', () => {
  it('check values with messages that say what is allowed', () => {
    expect(int(1)(0)).toBe('an integer ≥ 1');
    expect(int(1)(2)).toBeNull();
    expect(num(0, { open: true })(0)).toBe('a finite number > 0');
    expect(num(0)(Infinity)).toBe('a finite number ≥ 0');
    expect(oneOf('a', 'b')('c')).toBe("one of 'a', 'b'");
    expect(nullable(int(0))(null)).toBeNull();
    expect(nullable(int(0))(-1)).toBe('null or an integer ≥ 0');
    expect(arrayOf(int(1), 'sizes', 1)([])).toBe('an array of sizes (at least 1)');
  });

  it('ObjectReader collects unknown keys and bad values, keeping defaults', () => {
    const issues: ConfigIssue[] = [];
    const r = new ObjectReader({ k: 0, extra: 1 }, 'sweep', ['k', 'gain'], issues);
    expect(r.get('k', 10, int(1))).toBe(10);
    expect(r.get('gain', 'linear', oneOf('linear'))).toBe('linear');
    expect(r.has('toString')).toBe(false);
    expect(issues).toEqual([
      { path: 'sweep.extra', value: 1, expected: 'one of the keys k, gain' },
      { path: 'sweep.k', value: 0, expected: 'an integer ≥ 1' },
    ]);
  });
});
