/** The trade-off a caller gives, turned into model inputs: hand cases for weights, β and c. */
import { RequestError, resolveBeta, resolveFactor, resolveWeights } from '../../src/serve/tradeoff';

const names = ['freshness', 'clicks', 'quality'];
const defaults = [0.2, 0.3, 0.5];

function errorOf(f: () => unknown): RequestError {
  try {
    f();
  } catch (err) {
    if (err instanceof RequestError) return err;
    throw err;
  }
  throw new Error('expected a RequestError');
}

describe('resolveWeights', () => {
  it('normalises positional weights to the simplex', () => {
    expect(Array.from(resolveWeights([1, 1, 2], names, defaults))).toEqual([0.25, 0.25, 0.5]);
    expect(Array.from(resolveWeights([0, 3, 0], names, defaults))).toEqual([0, 1, 0]);
  });

  it('takes weights by name; names not given count 0', () => {
    // {clicks: 0.7, freshness: 0.3} in any key order → (0.3, 0.7, 0)
    expect(Array.from(resolveWeights({ clicks: 0.7, freshness: 0.3 }, names, defaults))).toEqual([Math.fround(0.3), Math.fround(0.7), 0]);
    // 2 and 6 → 2/8, 6/8
    expect(Array.from(resolveWeights({ quality: 6, freshness: 2 }, names, defaults))).toEqual([0.25, 0, 0.75]);
  });

  it('defaults to the model default when no weights are given', () => {
    expect(Array.from(resolveWeights(undefined, names, defaults))).toEqual(defaults.map(Math.fround));
  });

  it('rejects unknown names, negative, non-finite and all-zero weights, naming the field', () => {
    expect(errorOf(() => resolveWeights({ freshnes: 1 }, names, defaults)).field).toBe('weights.freshnes');
    expect(errorOf(() => resolveWeights({ clicks: -0.1, quality: 1 }, names, defaults)).field).toBe('weights.clicks');
    expect(errorOf(() => resolveWeights([1, -1, 1], names, defaults)).field).toBe('weights[1]');
    expect(errorOf(() => resolveWeights([1, NaN, 1], names, defaults)).field).toBe('weights[1]');
    expect(errorOf(() => resolveWeights([1, Infinity, 1], names, defaults)).field).toBe('weights[1]');
    expect(errorOf(() => resolveWeights({ clicks: '1' } as unknown as Record<string, number>, names, defaults)).field).toBe('weights.clicks');
    expect(errorOf(() => resolveWeights([0, 0, 0], names, defaults)).message).toMatch(/^weights: .*all be zero/);
    expect(errorOf(() => resolveWeights({}, names, defaults)).message).toMatch(/all be zero/);
    expect(errorOf(() => resolveWeights([1, 2], names, defaults)).message).toMatch(/^weights: expected 3 weights/);
    expect(errorOf(() => resolveWeights(5 as unknown as number[], names, defaults)).field).toBe('weights');
  });

  it('huge weights whose sum overflows to ∞ still normalise (not to all zeros)', () => {
    expect(Array.from(resolveWeights([1e308, 1e308, 0], names, defaults))).toEqual([0.5, 0.5, 0]);
    expect(Array.from(resolveWeights({ quality: Number.MAX_VALUE }, names, defaults))).toEqual([0, 0, 1]);
  });

  it('a model without auxiliary objectives takes no weights', () => {
    expect(resolveWeights(undefined, [], [])).toHaveLength(0);
    expect(resolveWeights({}, [], [])).toHaveLength(0);
    expect(errorOf(() => resolveWeights({ clicks: 1 }, [], [])).field).toBe('weights');
  });
});

describe('resolveBeta and resolveFactor', () => {
  it('β by position or name, missing names 1, each > 0', () => {
    expect(Array.from(resolveBeta(undefined, names))).toEqual([1, 1, 1]);
    expect(Array.from(resolveBeta({ clicks: 2 }, names))).toEqual([1, 2, 1]);
    expect(Array.from(resolveBeta([0.5, 1, 4], names))).toEqual([0.5, 1, 4]);
    expect(errorOf(() => resolveBeta({ clicks: 0 }, names)).field).toBe('beta.clicks');
    expect(errorOf(() => resolveBeta({ nope: 1 }, names)).field).toBe('beta.nope');
    expect(errorOf(() => resolveBeta([1, 1], names)).field).toBe('beta');
    expect(errorOf(() => resolveBeta(null as unknown as number[], names)).field).toBe('beta');
  });

  it('β and c must stay finite and > 0 in float32 (1e-50 rounds to 0, 1e39 to ∞)', () => {
    expect(errorOf(() => resolveBeta([1e-50, 1, 1], names)).field).toBe('beta[0]');
    expect(errorOf(() => resolveBeta({ quality: 1e39 }, names)).field).toBe('beta.quality');
    expect(errorOf(() => resolveFactor(1e-50)).field).toBe('c');
    expect(errorOf(() => resolveFactor(1e39)).field).toBe('c');
    expect(Array.from(resolveBeta([1e-30, 1, 3e38], names))).toEqual([Math.fround(1e-30), 1, Math.fround(3e38)]);
    expect(resolveFactor(3e38)).toBe(3e38);
  });

  it('c defaults to 1 and must be finite and > 0', () => {
    expect(resolveFactor(undefined)).toBe(1);
    expect(resolveFactor(2.5)).toBe(2.5);
    for (const bad of [0, -1, NaN, Infinity, '2']) expect(errorOf(() => resolveFactor(bad)).field).toBe('c');
  });
});
