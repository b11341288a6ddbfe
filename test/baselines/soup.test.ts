/** DPO Soup's parameter mixing against hand-mixed parameters at the corners and the midpoint. */
import { mixParameters } from '../../src/train/baselines/soup';
import type { Parameters } from '../../src/model/spec';
import { ConfigError } from '../../src/util/errors';

const t = (shape: number[], values: number[]) => ({ shape, data: Float32Array.from(values) });

/** Two tiny "single-objective models": same frozen normalisation, different trained tensors. */
const a: Parameters = {
  'input.mean': t([2], [0.5, -1]),
  'input.scale': t([2], [2, 0.25]),
  'layers.0.weight': t([2, 1], [1, -2]),
  'layers.0.bias': t([1], [0.75]),
};
const b: Parameters = {
  'input.mean': t([2], [0.5, -1]),
  'input.scale': t([2], [2, 0.25]),
  'layers.0.weight': t([2, 1], [3, 4]),
  'layers.0.bias': t([1], [-0.25]),
};

describe('DPO Soup mixing', () => {
  it('gives exactly model j at the corner w = e_j', () => {
    for (const [w, model] of [[[1, 0], a], [[0, 1], b]] as const) {
      const mixed = mixParameters([a, b], w);
      for (const name of Object.keys(model)) {
        expect(mixed[name].shape).toEqual(model[name].shape);
        expect(Array.from(mixed[name].data)).toEqual(Array.from(model[name].data));
      }
    }
  });

  it('mixes the trained tensors linearly at the midpoint and at w = (0.25, 0.75)', () => {
    const mid = mixParameters([a, b], [0.5, 0.5]);
    expect(Array.from(mid['layers.0.weight'].data)).toEqual([2, 1]); // (1+3)/2, (−2+4)/2
    expect(Array.from(mid['layers.0.bias'].data)).toEqual([0.25]); // (0.75 − 0.25)/2
    const q = mixParameters([a, b], [0.25, 0.75]);
    expect(Array.from(q['layers.0.weight'].data)).toEqual([2.5, 2.5]); // 0.25·1 + 0.75·3, 0.25·(−2) + 0.75·4
    expect(Array.from(q['layers.0.bias'].data)).toEqual([0]);
    // the frozen input normalisation is copied, not mixed
    expect(Array.from(mid['input.scale'].data)).toEqual([2, 0.25]);
  });

  it('refuses weights off the simplex, mismatched counts and models with different frozen tensors', () => {
    expect(() => mixParameters([a, b], [0.6, 0.6])).toThrow(ConfigError);
    expect(() => mixParameters([a, b], [1])).toThrow(/2 weights/);
    const c = { ...b, 'input.mean': t([2], [0, 0]) };
    expect(() => mixParameters([a, c], [0.5, 0.5])).toThrow(/input.mean/);
    const d = { ...b, 'layers.0.bias': t([2], [0, 0]) };
    expect(() => mixParameters([a, d], [0.5, 0.5])).toThrow(/shape/);
  });
});
