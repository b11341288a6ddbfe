/**
 * `cosrank train`: COS-DPO fine-tuning (W-COS, T-COS, or the DPO-LS baseline) on top of a base model
 * written by `cosrank train-base`. The base model's objectives (with their frozen cut points) define the
 * auxiliary objectives and the model input.
 */
import * as path from 'node:path';
import { loadModel, type SavedModel } from '../../model/modelFile';
import type { SweepTable } from '../../eval/sweep';
import { trainCos, trainDpoLs, type CosTrainResult } from '../../train/cosTraining';
import { objectiveDefsOf } from '../../data/presets';
import { prepareDatasets, readDatasets } from '../../train/data';
import { ConfigError } from '../../util/errors';
import type { CliCommand, CliIO } from '../io';
import { cliProgress } from '../progress';
import { checkpointDirOf, COMMON_OPTIONS_HELP, CONFIG_REFERENCE_HELP, engineFor, figureLines, modelInputs, parseTrainArgs, writeRun } from './trainShared';

const HELP = `Usage: cosrank train --config C.json --base DIR --train T --validation V --out DIR [options]

Fine-tunes one ranker conditioned on the trade-off w (cos.mode wcos | tcos) against the frozen base ranker,
with early stopping on the validation hypervolume of the auxiliary NDCG@k over the weight grid, and
writes the best model to DIR. cos.mode dpo-ls trains one model per weight point (DIR/point-<i>) instead,
or one model for cos.fixedWeights.

Options:
  --base DIR             base model directory (from cosrank train-base)          (required)
${COMMON_OPTIONS_HELP}
  --steps N              same as --set cos.maxSteps=N

${CONFIG_REFERENCE_HELP}`;

function sweepLines(table: SweepTable): string {
  const head = ['w'.padEnd(24), ...table.objectives.map((o) => o.padStart(14))].join('');
  const rows = table.rows.map((r) => [`(${r.weights.map((w) => w.toFixed(2)).join(', ')})`.padEnd(24), ...r.ndcg.map((v) => v.toFixed(4).padStart(14))].join(''));
  return [`NDCG@${table.k} (${table.policy})`, head, ...rows].join('\n');
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const args = await parseTrainArgs(argv, 'cos');
  const started = Date.now();
  const progress = cliProgress(io, { quiet: args.quiet });
  try {
    const base = await loadModel(args.base as string);
    const trainRaw = await readDatasets(args.train);
    const validationRaw = await readDatasets(args.validation);
    if (args.config.objectives !== null) {
      const declared = objectiveDefsOf(args.config.objectives, trainRaw.labelNames).map((d) => d.name);
      const used = base.objectives.map((o) => o.name);
      if (declared.join(',') !== used.join(',')) {
        throw new ConfigError([{ path: 'objectives', value: declared, expected: `the base model's objectives (${used.join(', ')}) or null` }], args.configPath ?? 'config');
      }
    }
    if (base.objectives.length < 2) {
      throw new ConfigError([{ path: 'objectives', value: base.objectives.map((o) => o.name), expected: 'auxiliary objectives after the main one, declared when the base model was trained' }], args.base as string);
    }
    const { train, validation, objectives } = prepareDatasets(trainRaw, validationRaw, base.objectives, base.objectives);
    const engine = await engineFor(args.config);
    progress({ stage: 'train-cos', done: 0, message: `engine ${engine.description}` });
    const options = { onProgress: progress, checkpointDir: checkpointDirOf(args), resume: args.resume };
    const m = objectives.length - 1;
    const inputs = modelInputs(trainRaw, train, objectives);
    const write = (dir: string, r: CosTrainResult, weights: number[]) =>
      writeRun(
        { ...args, out: dir },
        modelOf(base, r, inputs, weights),
        {
          stage: `train-cos ${args.config.cos.mode}`,
          engine,
          train,
          validation,
          history: r.history,
          timings: { trainSeconds: r.seconds, totalSeconds: (Date.now() - started) / 1000, startedAt: new Date(started).toISOString() },
          results: { ...r.metrics, hypervolume: r.hypervolume, bestStep: r.bestStep, steps: r.steps, stoppedEarly: r.stoppedEarly, resumedFrom: r.resumedFrom, sweep: r.sweep },
        },
      );

    if (args.config.cos.mode === 'dpo-ls' && args.config.cos.fixedWeights === null) {
      const d = await trainDpoLs(engine, base, train, validation, args.config, options);
      progress.stop();
      for (let i = 0; i < d.models.length; i++) await write(path.join(args.out, `point-${i}`), d.models[i], d.sweep.rows[i].weights);
      const figures = { hypervolume: d.hypervolume, [`mean ${objectives[0].name} NDCG@${d.sweep.k}`]: d.meanMain, 'train seconds': d.seconds, models: d.models.length, engine: engine.name, out: args.out };
      io.stdout(args.json ? JSON.stringify({ ...figures, sweep: d.sweep }) + '\n' : `${sweepLines(d.sweep)}\n\n${figureLines(figures)}\n`);
      return 0;
    }
    const r = await trainCos(engine, base, train, validation, args.config, options);
    progress.stop();
    await write(args.out, r, args.config.cos.fixedWeights ?? new Array<number>(m).fill(1 / m));
    const figures = { ...r.metrics, 'best step': r.bestStep, steps: r.steps, 'stopped early': String(r.stoppedEarly), 'train seconds': r.seconds, engine: engine.name, model: args.out };
    io.stdout(args.json ? JSON.stringify({ ...figures, sweep: r.sweep }) + '\n' : `${sweepLines(r.sweep)}\n\n${figureLines(figures)}\n`);
    return 0;
  } finally {
    progress.stop();
  }
}

/** The saved COS model: the base's s0 and objectives, the new network, base and COS figures. */
function modelOf(base: SavedModel, r: CosTrainResult, inputs: Pick<SavedModel, 'objectives' | 'rawFeatureCount' | 'inputFeatures' | 'inputFeatureNames'>, defaultWeights: number[]): SavedModel {
  const cosMetrics = Object.fromEntries(Object.entries({ ...r.metrics, hypervolume: r.hypervolume }).map(([k, v]) => [`cos.validation.${k}`, v]));
  return {
    spec: r.spec,
    params: r.params,
    ...inputs,
    defaultWeights,
    metrics: { ...base.metrics, ...cosMetrics },
    info: { configHash: r.configHash, baseInfo: base.info ?? null },
  };
}

export const command: CliCommand = { name: 'train', summary: 'COS-DPO fine-tuning on top of a base model', help: HELP, run };
