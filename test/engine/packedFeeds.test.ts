/**
 * The packed step's feeds built in reused buffers (issue 12): real documents as rows in list order, each
 * slot pointing at its row, s0 and w per row; lists padded to the bucket with zeros; a later batch (smaller
 * or with gaps in its mask) is written over the same memory and reads exactly as a fresh builder's feeds.
 * Whole-session equality (packed rows = padded lists, step after step) is onnxPacked.test.ts.
 */
import { DEFAULT_OPTIMIZER, type ListBatch } from '../../src/engine/engine';
import type { WireFeeds } from '../../src/engine/onnx/ortWorker';
import { PackedFeedBuffers } from '../../src/engine/onnx/packedFeeds';
import { buildTrainGraph } from '../../src/engine/onnx/trainGraph';
import { initParameters, type RankerSpec, type ScorerSpec } from '../../src/model/spec';
import { Rng } from '../../src/util/rng';
import { randomListBatch } from './listBatchFixture';

const F = 3;
const mlp: ScorerSpec = { kind: 'mlp', inputSize: F, conditioning: { weights: 0, beta: false }, hidden: [4], activation: 'relu', dropout: 0 };
const spec: RankerSpec = { base: mlp, cos: { net: { ...mlp, conditioning: { weights: 2, beta: false } }, parametrisation: 'augment', temperature: false } };
const layout = buildTrainGraph({
  spec,
  target: 'cos',
  loss: { kind: 'lipo', targets: ['sparse', 'sparse'], lambda: 0 },
  optimizer: DEFAULT_OPTIMIZER,
  frozen: initParameters(mlp, new Rng(1)),
  batchSize: 3,
  listSize: 8,
  conditioningLength: 2,
  mode: 'step',
  dropout: 0,
  packed: true,
  s0Input: true,
});

const withS0 = (b: ListBatch): ListBatch => ({ ...b, s0: Float32Array.from({ length: b.batchSize * b.listSize }, (_, i) => 100 + i) });
const plain = (feeds: WireFeeds) => Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { dims: t.dims, data: Array.from(t.data as ArrayLike<number | bigint>) }]));

test('rows in list order, slots pointing at them, s0 and w per row, zero padding to the bucket', () => {
  const batch = withS0(randomListBatch(spec, 5, 3, 4, F, (b) => [2, 0, 3][b]));
  const feeds = new PackedFeedBuffers().build(batch, 8, layout, 2, true);
  expect(feeds.features.dims).toEqual([5, F]);
  // slot (list 2, position 1) of the 8-slot layout is row 3: the features of batch slot 2·4 + 1
  const slots = feeds.slots.data as BigInt64Array;
  expect(slots[2 * 8 + 1]).toBe(3n);
  expect(slots[1 * 8 + 0]).toBe(0n);
  const rows = feeds.features.data as Float32Array;
  expect(Array.from(rows.subarray(3 * F, 4 * F))).toEqual(Array.from(batch.features.subarray((2 * 4 + 1) * F, (2 * 4 + 2) * F)));
  expect(Array.from(feeds.s0.data as Float32Array)).toEqual([100, 101, 108, 109, 110]);
  const w = batch.weights as Float32Array;
  expect(Array.from((feeds.wRows.data as Float32Array).subarray(3 * 2, 4 * 2))).toEqual(Array.from(w.subarray(2 * 2, 3 * 2)));
  expect(Array.from(feeds.mask.data as Float32Array).slice(16, 24)).toEqual([1, 1, 1, 0, 0, 0, 0, 0]);
  const label = feeds['label.0'].data as Float32Array;
  expect(Array.from(label.subarray(2 * 8, 2 * 8 + 3))).toEqual(Array.from(batch.labels[0].subarray(2 * 4, 2 * 4 + 3)));
  expect(Array.from(label.subarray(2 * 8 + 4, 3 * 8))).toEqual([0, 0, 0, 0]);
});

test('a later batch reuses the memory and reads as a fresh builder would build it', () => {
  const buffers = new PackedFeedBuffers();
  const big = withS0(randomListBatch(spec, 6, 3, 8, F, () => 8));
  const first = buffers.build(big, 8, layout, 2, true);
  const firstRows = (first.features.data as Float32Array).buffer;
  // smaller, with a gap in one list's mask (a padded slot between real ones)
  const small = withS0(randomListBatch(spec, 7, 3, 5, F, (b) => [5, 2, 4][b]));
  small.mask[1] = 0;
  const second = buffers.build(small, 8, layout, 2, true);
  expect((second.features.data as Float32Array).buffer).toBe(firstRows);
  expect(plain(second)).toEqual(plain(new PackedFeedBuffers().build(small, 8, layout, 2, true)));
  expect(second.features.dims).toEqual([10, F]);
  const slots = second.slots.data as BigInt64Array;
  expect([slots[0], slots[2], slots[3]]).toEqual([0n, 1n, 2n]);
});
