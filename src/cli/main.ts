/**
 * `cosrank` entry point: picks the subcommand, runs it, maps errors to exit codes.
 * Only this folder prints or exits (DEVELOPERS.md, house style).
 */
import { processIO, UsageError, type CliCommand, type CliIO } from './io';
import { didYouMean, packageVersion, usageErrorOf } from './usage';
import { DataError, ConfigError } from '../util/errors';

/**
 * Subcommands: the one-line summary shown by `cosrank --help` and the module, loaded on demand so that
 * `--help` and light commands (`inspect`) never load the heavy ones' libraries (tfjs, onnxruntime,
 * fastify). Each summary equals the command's own `summary` (test/package/cliStartup.test.ts).
 */
export const COMMANDS: Record<string, { summary: string; load: () => CliCommand }> = {
  convert: { summary: 'convert a dataset between LETOR, CSV, Arrow and Parquet (optionally applying objectives)', load: () => require('./commands/convert').command },
  inspect: { summary: 'summarise a dataset: sizes, label histograms, degenerate queries, feature ranges', load: () => require('./commands/inspect').command },
  generate: { summary: 'write a synthetic MSLR-shaped dataset (Arrow) with correlated auxiliary objectives', load: () => require('./commands/generate').command },
  eval: { summary: 'evaluate a scores file against a dataset (NDCG, ERR, MRR, precision; sweeps: front, hypervolume, report)', load: () => require('./commands/eval').command },
  'train-base': { summary: 'train the base ranker s0 on the main objective', load: () => require('./commands/trainBase').command },
  train: { summary: 'COS-DPO fine-tuning on top of a base model', load: () => require('./commands/train').command },
  run: { summary: 'run the whole pipeline from one config (data → base → COS-DPO → sweep → report), cached by stage', load: () => require('./commands/run').command },
  serve: { summary: 'serve a model over HTTP: re-rank with the trade-off chosen per request', load: () => require('./commands/serve').command },
  export: { summary: 'export a model as ONNX with the trade-off as inputs (verified)', load: () => require('./commands/export').command },
  datasets: { summary: 'list the public LTR datasets, or fetch one as Arrow folds with its objective preset', load: () => require('./commands/datasets').command },
  pick: { summary: 'choose an operating point under constraints and store it in the model', load: () => require('./commands/pick').command },
  score: { summary: "score a dataset with a model (one trade-off, or the run's sweep) into a scores file for cosrank eval", load: () => require('./commands/score').command },
};

function usage(): string {
  const lines = ['Usage: cosrank <command> [options]', '', 'Commands:'];
  for (const [name, { summary }] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(12)} ${summary}`);
  lines.push('', "Run 'cosrank help <command>' (or 'cosrank <command> --help') for a command's options; 'cosrank --version' for the version.");
  return lines.join('\n') + '\n';
}

/** The command a name selects, or a usage message (exit 2) suggesting the nearest name. */
function commandOf(name: string, io: CliIO): CliCommand | null {
  const entry = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (entry) return entry.load();
  io.stderr(`cosrank: unknown command '${name}'${didYouMean(name, Object.keys(COMMANDS))}\n\n${usage()}`);
  return null;
}

/** Exit codes: 0 done, 1 bad data, config or a failure while running, 2 a usage error (printed with the command's help). */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V' || name === 'version') {
    io.stdout(`cosrank ${packageVersion()}\n`);
    return 0;
  }
  if (name === 'help' && rest.length > 0) {
    const command = commandOf(rest[0], io);
    if (!command) return 2;
    io.stdout(command.help + '\n');
    return 0;
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name ? 0 : 2;
  }
  const command = commandOf(name, io);
  if (!command) return 2;
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.help + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (caught) {
    const err = usageErrorOf(caught, command.help) ?? caught;
    if (err instanceof UsageError) {
      io.stderr(`cosrank ${name}: ${err.message}\n\n${command.help}\n`);
      return 2;
    }
    if (err instanceof DataError || err instanceof ConfigError) {
      io.stderr(`cosrank ${name}: ${err.message}\n`);
      return 1;
    }
    io.stderr(`cosrank ${name}: ${err instanceof Error ? (process.env.COSRANK_DEBUG ? err.stack : err.message) : String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
