/**
 * Issue 11 item 5 on MQ2008 (train S1–S3, validation S4, objectives letor4): a W-COS run with the run
 * config's defaults ends within 0.005 validation hypervolume of the best its full step budget reaches,
 * for each of the acceptance's three seeds (the old defaults failed on some seeds, not on all).
 * One full-budget run (patience 0) is trained; the default rule is applied to its recorded validation
 * figures (the early-stopped run is the same trajectory cut where the rule stops: same seed, same batches),
 * which keeps the test to one training run. Skips with a message when ../shared/data/MQ2008 is absent.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { objectiveDefsOf } from '../../src/data/presets';
import { createEngine } from '../../src/engine/select';
import { prepareDatasets, readDatasets } from '../../src/pipeline/datasets';
import { DEFAULTS } from '../../src/pipeline/runConfig';
import { trainBase } from '../../src/train/baseTraining';
import { parseTrainConfig } from '../../src/train/config';
import { trainCos } from '../../src/train/cosTraining';
import { stoppingIndex } from '../../src/train/earlyStopping';

const dir = path.resolve(__dirname, '../../../shared/data/MQ2008');
const haveData = existsSync(path.join(dir, 'S4.txt'));
const maybe = haveData ? describe : describe.skip;
if (!haveData) process.stderr.write(`earlyStoppingMq2008.test: skipped, ${dir} is absent\n`);

maybe('early stopping on MQ2008 with the default config', () => {
  jest.setTimeout(60 * 60 * 1000);

  it.each([1, 2, 3])('seed %i: ends within 0.005 validation hypervolume of the full-budget best', async (seed) => {
    const trainRaw = await readDatasets(['S1', 'S2', 'S3'].map((s) => path.join(dir, `${s}.txt`)));
    const validationRaw = await readDatasets([path.join(dir, 'S4.txt')]);
    const { train, validation } = prepareDatasets(trainRaw, validationRaw, objectiveDefsOf('letor4', trainRaw.labelNames));
    const raw: Record<string, unknown> = {};
    for (const k of Object.keys(parseTrainConfig({}))) raw[k] = (DEFAULTS as unknown as Record<string, unknown>)[k];
    const defaults = { ...parseTrainConfig(raw), seed };
    const engine = await createEngine('auto');
    const base = await trainBase(engine, train, validation, defaults);
    const full = await trainCos(engine, base, train, validation, { ...defaults, cos: { ...defaults.cos, patience: 0 } });
    const figures = full.history.map((h) => h.validation?.hypervolume ?? NaN);
    const steps = full.history.map((h) => h.step);
    const stop = stoppingIndex(figures, defaults.cos.patience);
    const kept = Math.max(...figures.slice(0, stop + 1));
    const best = Math.max(...figures);
    process.stderr.write(
      `earlyStoppingMq2008.test: seed ${seed}: default run stops at step ${steps[stop]} of ${steps[steps.length - 1]} keeping hypervolume ${kept.toFixed(4)}; ` +
        `full-budget best ${best.toFixed(4)} at step ${steps[figures.indexOf(best)]}\n`,
    );
    expect(kept).toBeGreaterThanOrEqual(best - 0.005);
  });
});
