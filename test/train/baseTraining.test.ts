/**
 * Base training checkpoints are tied to what s0 depends on only: an interrupted base run resumes after an
 * edit of the COS section (as `cosrank run` does when only COS settings changed) and ends bit-identical to
 * an uninterrupted run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { createTfjsEngine } from '../../src/engine/tfjs/engine';
import type { Engine } from '../../src/engine/engine';
import { trainBase } from '../../src/train/baseTraining';
import { TrainingAbortedError } from '../../src/train/trainer';
import { smallConfig, smallData } from './smallData';

describe('trainBase checkpoints', () => {
  let engine: Engine;
  let root: string;
  beforeAll(async () => {
    engine = await createTfjsEngine({ backend: 'cpu' });
    root = mkdtempSync(path.join(tmpdir(), 'cosrank-base-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('resume ignores COS-only config changes and gives the uninterrupted result bit for bit', async () => {
    const train = smallData(32, 41);
    const validation = smallData(12, 42);
    const config = smallConfig({ base: { maxSteps: 12, validateEvery: 4 }, checkpoint: { every: 3 } });
    const whole = await trainBase(engine, train, validation, config);

    const dir = path.join(root, 'ckpt');
    const abort = new AbortController();
    const err = await trainBase(engine, train, validation, config, {
      checkpointDir: dir,
      signal: abort.signal,
      onProgress: (e) => {
        if (e.done === 6) abort.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingAbortedError);

    const cosEdited = { ...config, cos: { ...config.cos, lambda: 0.5, maxSteps: 99 } };
    const resumed = await trainBase(engine, train, validation, cosEdited, { checkpointDir: dir, resume: true });
    expect(resumed.resumedFrom).toBe(6);
    expect(resumed.configHash).toBe(whole.configHash);
    expect(resumed.bestStep).toBe(whole.bestStep);
    for (const [name, t] of Object.entries(whole.params.base)) expect(Array.from(resumed.params.base[name].data)).toEqual(Array.from(t.data));

    // a change s0 does depend on is still refused
    const baseEdited = { ...config, base: { ...config.base, listsPerBatch: 4 } };
    await expect(trainBase(engine, train, validation, baseEdited, { checkpointDir: dir, resume: true })).rejects.toThrow(/belongs to another run/);
  });
});
