import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createTfjsEngine } from '../../src/engine/tfjs/engine';
import type { Engine } from '../../src/engine/engine';
import { trainBase } from '../../src/train/baseTraining';
import { checkpointPath, readCheckpoint } from '../../src/train/checkpoint';
import { NonFiniteLossError } from '../../src/train/trainer';
import { smallConfig, smallData } from './smallData';

describe('trainer safety', () => {
  let engine: Engine;
  let root: string;
  beforeAll(async () => {
    engine = await createTfjsEngine({ backend: 'cpu' });
    root = mkdtempSync(path.join(tmpdir(), 'cosrank-nan-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('a diverging run stops at the step whose loss is not finite and keeps the last good checkpoint', async () => {
    const train = smallData(24, 3);
    const dir = path.join(root, 'lr');
    const config = smallConfig({ base: { maxSteps: 50, optimizer: { learningRate: 1e30 } }, checkpoint: { every: 1 } });
    let stepsSeen = 0;
    const err = await trainBase(engine, train, smallData(10, 4), config, { checkpointDir: dir, onProgress: (e) => (stepsSeen = e.done) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(NonFiniteLossError);
    const e = err as NonFiniteLossError;
    expect(e.message).toContain(`at step ${e.step}`);
    expect(e.step).toBeGreaterThan(1);
    expect(e.step).toBe(stepsSeen + 1);
    const ckpt = await readCheckpoint(dir);
    expect(ckpt?.step).toBe(e.lastCheckpointStep);
    expect(ckpt?.step).toBe(e.step - 1);
    expect(e.message).toContain(`step ${ckpt?.step}, is kept`);
    for (const group of Object.values(ckpt?.tensors ?? {})) for (const t of Object.values(group)) expect(t.data.every(Number.isFinite)).toBe(true);
    expect(readFileSync(checkpointPath(dir)).length).toBeGreaterThan(0);
  });

  it('an infinite feature stops the run at step 1 with no checkpoint written', async () => {
    const train = smallData(24, 3);
    const features = train.features.slice();
    features[5] = Infinity;
    const err = await trainBase(engine, { ...train, features }, smallData(10, 4), smallConfig({ checkpoint: { every: 1 } }), { checkpointDir: path.join(root, 'inf') }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as Error).message).toMatch(/at step 1; training stopped \(no checkpoint was written\)/);
    expect(await readCheckpoint(path.join(root, 'inf'))).toBeNull();
  });

  it('keeps the number of live tensors constant across epochs', async () => {
    const train = smallData(24, 5); // 3 batches of 8 per epoch
    const counts: number[] = [];
    await trainBase(engine, train, smallData(10, 6), smallConfig({ base: { maxSteps: 30, validateEvery: 3 } }), {
      onProgress: (e) => {
        if (e.done % 3 === 0) counts.push(tf.memory().numTensors);
      },
    });
    expect(counts).toHaveLength(10);
    expect(new Set(counts).size).toBe(1);
  });
});
