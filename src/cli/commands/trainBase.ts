/**
 * `cosrank train-base`: trains the base ranker s0 on the main objective and writes its model directory
 * (model.json, weights.bin, run.json, training-log.jsonl).
 */
import { trainBase } from '../../train/baseTraining';
import { objectiveDefsOf } from '../../data/presets';
import { prepareDatasets, readDatasets } from '../../train/data';
import type { CliCommand, CliIO } from '../io';
import { cliProgress } from '../progress';
import { checkpointDirOf, COMMON_OPTIONS_HELP, CONFIG_REFERENCE_HELP, engineFor, figureLines, modelInputs, parseTrainArgs, writeRun } from './trainShared';

const HELP = `Usage: cosrank train-base --config C.json --train T --validation V --out DIR [options]

Trains the base ranker s0 on the main objective (the first objective of the config; ListNet by default)
with early stopping on validation NDCG@k (linear gain, queries without a relevant document skipped),
and writes the best model to DIR.

Options:
${COMMON_OPTIONS_HELP}
  --steps N              same as --set base.maxSteps=N

${CONFIG_REFERENCE_HELP}`;

async function run(argv: string[], io: CliIO): Promise<number> {
  const args = await parseTrainArgs(argv, 'base');
  const started = Date.now();
  const progress = cliProgress(io, { quiet: args.quiet });
  try {
    const trainRaw = await readDatasets(args.train);
    const validationRaw = await readDatasets(args.validation);
    const { train, validation, objectives } = prepareDatasets(trainRaw, validationRaw, objectiveDefsOf(args.config.objectives, trainRaw.labelNames));
    const engine = await engineFor(args.config);
    progress({ stage: 'train-base', done: 0, message: `engine ${engine.description}` });
    const readSeconds = (Date.now() - started) / 1000;
    const result = await trainBase(engine, train, validation, args.config, { onProgress: progress, checkpointDir: checkpointDirOf(args), resume: args.resume });
    progress.stop();
    const metrics = Object.fromEntries(Object.entries(result.metrics).map(([k, v]) => [`base.validation.${k}`, v]));
    await writeRun(
      args,
      { spec: result.spec, params: result.params, ...modelInputs(trainRaw, train, objectives), defaultWeights: [], metrics, info: { configHash: result.configHash, engine: engine.name } },
      {
        stage: 'train-base',
        engine,
        train,
        validation,
        history: result.history,
        timings: { readSeconds, trainSeconds: result.seconds, totalSeconds: (Date.now() - started) / 1000, startedAt: new Date(started).toISOString() },
        results: { ...metrics, bestStep: result.bestStep, steps: result.steps, stoppedEarly: result.stoppedEarly, resumedFrom: result.resumedFrom },
      },
    );
    const figures = { ...result.metrics, 'best step': result.bestStep, steps: result.steps, 'stopped early': String(result.stoppedEarly), 'train seconds': result.seconds, engine: engine.name, model: args.out };
    io.stdout(args.json ? JSON.stringify(figures) + '\n' : figureLines(figures) + '\n');
    return 0;
  } finally {
    progress.stop();
  }
}

export const command: CliCommand = { name: 'train-base', summary: 'train the base ranker s0 on the main objective', help: HELP, run };
