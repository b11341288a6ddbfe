/**
 * `cosrank` entry point: picks the subcommand, runs it, maps errors to exit codes.
 * Only this folder prints or exits (DEVELOPERS.md, house style).
 */
import { processIO, UsageError, type CliCommand, type CliIO } from './io';
import { DataError, ConfigError } from '../util/errors';

/** Subcommands, loaded on demand so `cosrank inspect` does not pay for tfjs start-up. */
const COMMANDS: Record<string, () => CliCommand> = {
  convert: () => require('./commands/convert').command,
  inspect: () => require('./commands/inspect').command,
  generate: () => require('./commands/generate').command,
  eval: () => require('./commands/eval').command,
  'train-base': () => require('./commands/trainBase').command,
  train: () => require('./commands/train').command,
  run: () => require('./commands/run').command,
  serve: () => require('./commands/serve').command,
  export: () => require('./commands/export').command,
  datasets: () => require('./commands/datasets').command,
  pick: () => require('./commands/pick').command,
};

function usage(): string {
  const lines = ['Usage: cosrank <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    let summary = '';
    try {
      summary = load().summary;
    } catch {
      summary = '(not available in this build)';
    }
    lines.push(`  ${name.padEnd(12)} ${summary}`);
  }
  lines.push('', "Run 'cosrank <command> --help' for a command's options.");
  return lines.join('\n') + '\n';
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    io.stderr(`cosrank: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const command = load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.help + '\n');
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
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
