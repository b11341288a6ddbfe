/**
 * `cosrank train`: COS-DPO fine-tuning (W-COS, T-COS, or the DPO-LS baseline) on top of a base model
 * written by `cosrank train-base`. The base model's objectives (with their frozen cut points) define the
 * auxiliary objectives and the model input.
 */
import type { SweepTable } from '../../eval/sweep';
import { trainCosStage } from '../../pipeline/trainStages';
import type { CliCommand, CliIO } from '../io';
import { cliProgress } from '../progress';
import { COMMON_OPTIONS_HELP, CONFIG_REFERENCE_HELP, figureLines, parseTrainArgs, stageJson, stageRequest } from './trainShared';

const HELP = `Usage: cosrank train --config C.json --base DIR --train T --validation V --out DIR [options]

Fine-tunes one ranker conditioned on the trade-off w (cos.mode wcos | tcos) against the frozen base ranker,
with early stopping on the validation hypervolume of the auxiliary NDCG@k over the weight grid, and
writes the best model to DIR. cos.mode dpo-ls trains the DPO-LS baseline instead: one unconditioned model
per weight point, all at one common step chosen by the front's validation hypervolume; DIR holds the model
of the default trade-off (the point nearest w = (1/m, …)) and DIR/point-<i> the model of point i; with
checkpoints, --resume loads its finished jobs and continues the interrupted one. With cos.fixedWeights,
dpo-ls trains the one unconditioned model of that w (the same job as that point of the front).

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
  const progress = cliProgress(io, { quiet: args.quiet });
  try {
    const stage = await trainCosStage({ ...stageRequest(args, progress), base: args.base as string });
    progress.stop();
    const r = stage.result;
    const sweep = stage.sweep as SweepTable;
    const dpoLs = stage.models.length > 1 || (args.config.cos.mode === 'dpo-ls' && args.config.cos.fixedWeights === null);
    if (args.json) {
      const where = dpoLs ? { models: stage.models.map((x) => x.dir) } : { model: args.out };
      io.stdout(JSON.stringify(stageJson(r, { engine: stage.engine.name, ...where, checkpointsRemoved: stage.checkpointsRemoved, sweep })) + '\n');
      return 0;
    }
    const figures = dpoLs
      ? { ...r.metrics, 'train seconds': r.seconds, models: stage.models.length, engine: stage.engine.name, out: args.out }
      : { ...r.metrics, 'best step': r.bestStep, steps: r.steps, 'stopped early': String(r.stoppedEarly), 'train seconds': r.seconds, engine: stage.engine.name, model: args.out };
    io.stdout(`${sweepLines(sweep)}\n\n${figureLines(figures)}\n`);
    if (stage.checkpointsRemoved) io.stderr(`checkpoints of the finished run removed (${stage.checkpointsRemoved})\n`);
    return 0;
  } finally {
    progress.stop();
  }
}

export const command: CliCommand = { name: 'train', summary: 'COS-DPO fine-tuning on top of a base model', help: HELP, run };
