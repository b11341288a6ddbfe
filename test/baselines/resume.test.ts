/**
 * Baseline jobs resume (issue 11): a methods stage interrupted inside a job continues where it stopped —
 * finished jobs loaded from their records, the running job from its last loop checkpoint — and ends with
 * the same weights, snapshots and chosen steps as an uninterrupted run with the same seed. Also the
 * single-mode DPO-LS (`cos.mode: "dpo-ls"` with `cos.fixedWeights`): one unconditioned network, the
 * same job as that point of the front, resumable the same way.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createOnnxEngine } from '../../src/engine/onnx/engine';
import type { Engine } from '../../src/engine/engine';
import { weightGrid } from '../../src/eval/sweep';
import type { Parameters } from '../../src/model/spec';
import { runPipeline } from '../../src/pipeline/run';
import { parseRunConfig } from '../../src/pipeline/runConfig';
import { trainBase } from '../../src/train/baseTraining';
import { trainFixedJob, type JobContext } from '../../src/train/baselines/fixedJob';
import { trainFixedWeights, WEIGHTED_FIGURE } from '../../src/train/baselines/fixedWeights';
import { BaselineRunner, type BaselineFront } from '../../src/train/baselines/methods';
import type { TrainConfig } from '../../src/train/config';
import { TrainingAbortedError } from '../../src/train/trainer';
import type { ProgressEvent } from '../../src/util/progress';
import { smallConfig, smallData } from '../train/smallData';
import { TINY } from './tinyRun';

jest.setTimeout(15 * 60 * 1000);

function sameParams(a: Parameters | undefined, b: Parameters | undefined): void {
  expect(Object.keys(a ?? {}).sort()).toEqual(Object.keys(b ?? {}).sort());
  for (const name of Object.keys(a ?? {})) expect(Buffer.from((a as Parameters)[name].data.buffer).equals(Buffer.from((b as Parameters)[name].data.buffer))).toBe(true);
}

function sameFront(a: BaselineFront, b: BaselineFront): void {
  expect(a.chosenStep).toBe(b.chosenStep);
  expect(a.validation).toEqual(b.validation);
  a.points.forEach((p, i) => sameParams(p.params.cos, b.points[i].params.cos));
}

describe('baseline jobs resume', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-baseline-resume-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let engine: Engine;
  let ctx: JobContext;
  let config: TrainConfig;
  const points = weightGrid(2, { divisions: 4 });

  beforeAll(async () => {
    engine = await createOnnxEngine({ threads: 1 });
    const train = smallData(24, 71);
    const validation = smallData(12, 72);
    // checkpoints every 15 steps, validation every 10: the two grids do not line up
    config = smallConfig({ cos: { maxSteps: 40, listsPerBatch: 8, validateEvery: 10, patience: 0, net: { hidden: [8] }, optimizer: { learningRate: 0.02 } }, checkpoint: { every: 15 } });
    const base = await trainBase(engine, train, validation, config);
    ctx = { engine, base: { spec: base.spec, params: base.params }, train, validation, cos: config.cos, seed: 4, targets: ['sparse', 'sparse'], metric: { k: 10 } };
  });

  it('an interrupted DPO-LS front resumes: finished jobs loaded, the running one from its checkpoint, identical weights', async () => {
    const reference = new BaselineRunner(ctx, points);
    const refDpoLs = await reference.dpoLs();
    const refMoDpo = await reference.moDpo();

    const root = path.join(dir, 'jobs');
    const abort = new AbortController();
    const interrupted = new BaselineRunner(
      { ...ctx, checkpoint: { dir: root, every: 15, resume: true }, signal: abort.signal, onProgress: (e) => (e.stage === 'dpo-ls 3/5' && e.done === 23 ? abort.abort() : undefined) },
      points,
    );
    await expect(interrupted.dpoLs()).rejects.toBeInstanceOf(TrainingAbortedError);

    const events: ProgressEvent[] = [];
    const resumed = new BaselineRunner({ ...ctx, checkpoint: { dir: root, every: 15, resume: true }, onProgress: (e) => events.push(e) }, points);
    const dpoLs = await resumed.dpoLs();
    sameFront(dpoLs, refDpoLs);
    // the two single-objective jobs and dpo-ls 2/5 were finished: loaded, no step trained
    for (const label of ['single-objective 1/2', 'single-objective 2/2', 'dpo-ls 2/5']) {
      const own = events.filter((e) => e.stage === label);
      expect(own).toHaveLength(1);
      expect(own[0].message).toMatch(/finished job recorded/);
    }
    // dpo-ls 3/5 went on from its checkpoint at step 15 (interrupted after step 23)
    const steps = events.filter((e) => e.stage === 'dpo-ls 3/5' && e.message === undefined).map((e) => e.done);
    expect(steps[0]).toBe(16);
    expect(steps[steps.length - 1]).toBe(40);
    // MO-DPO's margin jobs on top of the loaded single-objective models: the same as uninterrupted
    sameFront(await resumed.moDpo(), refMoDpo);
  });

  it('cos.mode "dpo-ls" with fixedWeights: one unconditioned network, the front\'s job at w, best weighted step, resumable', async () => {
    const fixedConfig: TrainConfig = { ...config, seed: 4, cos: { ...config.cos, mode: 'dpo-ls', fixedWeights: [0.25, 0.75] } };
    const options = { targets: ['sparse', 'sparse'] as ('sparse' | 'dense')[] };
    const r = await trainFixedWeights(engine, ctx.base, ctx.train, ctx.validation, fixedConfig, options);
    expect(r.spec.cos?.net.conditioning).toEqual({ weights: 0, beta: false });
    // the chosen step has the largest w-weighted figure of the loop's validation log (earliest on ties)
    const figures = r.history.map((h) => h.validation?.[WEIGHTED_FIGURE] ?? NaN);
    const best = figures.indexOf(Math.max(...figures));
    expect(r.bestStep).toBe(r.history[best].step);
    expect(r.sweep.rows).toHaveLength(1);
    expect(r.metrics[WEIGHTED_FIGURE]).toBeCloseTo(0.25 * r.sweep.rows[0].ndcg[1] + 0.75 * r.sweep.rows[0].ndcg[2], 12);
    // the same network as the DPO-LS front's job at that w (same seeds and batches), at that step
    const job = await trainFixedJob({ ...ctx, cos: fixedConfig.cos }, [0.25, 0.75], 'front job');
    sameParams(r.params.cos, job.snapshots.find((s) => s.step === r.bestStep)?.params);

    // interrupted after step 27 (checkpoint at 15), resumed: the same model and log
    const checkpointDir = path.join(dir, 'fixed');
    const abort = new AbortController();
    const onProgress = (e: ProgressEvent) => (e.done === 27 && e.message === undefined ? abort.abort() : undefined);
    await expect(trainFixedWeights(engine, ctx.base, ctx.train, ctx.validation, fixedConfig, { ...options, checkpointDir, signal: abort.signal, onProgress })).rejects.toBeInstanceOf(TrainingAbortedError);
    const resumed = await trainFixedWeights(engine, ctx.base, ctx.train, ctx.validation, fixedConfig, { ...options, checkpointDir, resume: true });
    expect(resumed.resumedFrom).toBe(15);
    expect(resumed.bestStep).toBe(r.bestStep);
    expect(resumed.history.map((h) => h.validation)).toEqual(r.history.map((h) => h.validation));
    sameParams(resumed.params.cos, r.params.cos);
  });

  it('cosrank run with methods and checkpoints: interrupted inside an MO-DPO job, run again, the same comparison', async () => {
    const tiny = { ...TINY, methods: ['dpo-ls', 'mo-dpo'] };
    const plain = await runPipeline(parseRunConfig(tiny), { out: path.join(dir, 'run-plain') });

    const out = path.join(dir, 'run-interrupted');
    const config = parseRunConfig({ ...tiny, checkpoint: { every: 7 } });
    const stop = (e: ProgressEvent) => {
      if (e.stage === 'mo-dpo 3/5' && e.done === 30) throw new Error('interrupted for the test');
    };
    await expect(runPipeline(config, { out, onProgress: stop })).rejects.toThrow('interrupted for the test');
    const folders = fs.readdirSync(path.join(out, 'cache')).filter((f) => f.startsWith('methods-'));
    expect(folders).toHaveLength(1);
    const events: ProgressEvent[] = [];
    const again = await runPipeline(config, { out, onProgress: (e) => events.push(e) });
    // dpo-ls was cached as a method; the single-objective jobs and mo-dpo 2/5 come from their records
    expect(events.some((e) => e.message?.includes('dpo-ls: reusing cache'))).toBe(true);
    expect(events.filter((e) => e.message?.includes('finished job recorded')).map((e) => e.stage)).toEqual(['single-objective 1/2', 'single-objective 2/2', 'mo-dpo 2/5']);
    expect(events.find((e) => e.stage === 'mo-dpo 3/5' && e.message === undefined)?.done).toBe(29);
    const strip = (ms: NonNullable<typeof plain.outcome>['compare']) => ms?.methods.map((m) => ({ method: m.method, hypervolume: m.hypervolume, points: m.points, validation: m.validation }));
    expect(strip(again.outcome?.compare)).toEqual(strip(plain.outcome?.compare));
    // the stage's checkpoints and job records are removed once every method is done
    expect(fs.existsSync(path.join(out, 'cache', folders[0]))).toBe(false);
  });
});
