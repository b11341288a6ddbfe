import { listSizeBucket, padBatch } from '../../src/engine/padding';
import type { ListBatch } from '../../src/engine/engine';

describe('listSizeBucket', () => {
  test('hand cases', () => {
    expect([0, 1, 8, 9, 64, 65, 80, 81, 128, 129, 1300].map(listSizeBucket)).toEqual([8, 8, 8, 16, 64, 80, 80, 96, 128, 160, 1536]);
  });
  test('never smaller than the list, under 20% padding above 64, 28 sizes up to 2048', () => {
    const sizes = new Set<number>();
    for (let n = 1; n <= 2048; n++) {
      const b = listSizeBucket(n);
      expect(b).toBeGreaterThanOrEqual(n);
      if (n > 64) expect((b - n) / b).toBeLessThan(0.2);
      sizes.add(b);
    }
    expect(sizes.size).toBe(28);
  });
});

test('padBatch keeps every real slot and masks the new ones', () => {
  const batch: ListBatch = {
    batchSize: 2,
    listSize: 2,
    inputSize: 1,
    features: Float32Array.of(1, 2, 3, 4),
    mask: Uint8Array.of(1, 1, 1, 0),
    labels: [Float32Array.of(5, 6, 7, 8)],
    weights: Float32Array.of(0.5, 0.5),
  };
  const p = padBatch(batch, 3);
  expect(p.listSize).toBe(3);
  expect(Array.from(p.features)).toEqual([1, 2, 0, 3, 4, 0]);
  expect(Array.from(p.mask)).toEqual([1, 1, 0, 1, 0, 0]);
  expect(Array.from(p.labels[0])).toEqual([5, 6, 0, 7, 8, 0]);
  expect(p.weights).toBe(batch.weights);
  expect(padBatch(batch, 2)).toBe(batch);
  expect(() => padBatch(batch, 1)).toThrow(/cannot pad/);
});
