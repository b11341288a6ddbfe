/**
 * `cosrank train-base`: trains the base ranker s0 on the main objective and writes its model directory
 * (model.json, weights.bin, run.json, training-log.jsonl) — src/pipeline/trainStages.ts does the work.
 */
import { trainBaseStage } from '../../pipeline/trainStages';
import type { CliCommand, CliIO } from '../io';
import { cliProgress } from '../progress';
import { COMMON_OPTIONS_HELP, CONFIG_REFERENCE_HELP, figureLines, parseTrainArgs, stageJson, stageRequest } from './trainShared';

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
  const progress = cliProgress(io, { quiet: args.quiet });
  try {
    const { result, engine, checkpointsRemoved } = await trainBaseStage(stageRequest(args, progress));
    progress.stop();
    if (args.json) {
      io.stdout(JSON.stringify(stageJson(result, { engine: engine.name, model: args.out, checkpointsRemoved })) + '\n');
      return 0;
    }
    const figures = { ...result.metrics, 'best step': result.bestStep, steps: result.steps, 'stopped early': String(result.stoppedEarly), 'train seconds': result.seconds, engine: engine.name, model: args.out };
    io.stdout(figureLines(figures) + '\n');
    if (checkpointsRemoved) io.stderr(`checkpoints of the finished run removed (${checkpointsRemoved})\n`);
    return 0;
  } finally {
    progress.stop();
  }
}

export const command: CliCommand = { name: 'train-base', summary: 'train the base ranker s0 on the main objective', help: HELP, run };
