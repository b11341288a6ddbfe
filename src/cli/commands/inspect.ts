/**
 * `cosrank inspect FILE`: sizes, list lengths, grade histograms, degenerate queries and feature ranges
 * of a dataset in any supported format (text, or JSON with --json).
 */
import { parseCommandArgs } from '../args';
import { UsageError, type CliCommand, type CliIO } from '../io';
import { inputProgress } from '../progress';
import { readDataset } from '../../data/read';
import { formatSummary, inspectDataset } from '../../data/inspect';
import { READ_ARG_HELP, READ_ARG_OPTIONS, readOptionsFromArgs } from './convert';

const HELP = `Usage: cosrank inspect FILE [options]

Prints queries, documents, features, documents per query (min/median/mean/max), per label column the
grade histogram (or quartiles for non-integer labels), queries whose labels are all equal or have no
label > 0, one-document queries, and per-feature min/max/NaN counts.

${READ_ARG_HELP}

Output:
  --json                 machine-readable JSON on stdout`;

export const command: CliCommand = {
  name: 'inspect',
  summary: 'summarise a dataset: sizes, label histograms, degenerate queries, feature ranges',
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { ...READ_ARG_OPTIONS, json: { type: 'boolean' } },
    });
    if (positionals.length !== 1) throw new UsageError(`expected one FILE, got ${positionals.length}`);
    const [file] = positionals;
    const progress = await inputProgress(io, file);
    try {
      const ds = await readDataset(file, readOptionsFromArgs(values, progress));
      progress.stop();
      const summary = inspectDataset(ds);
      io.stdout(values.json ? JSON.stringify({ file, ...summary }, null, 2) + '\n' : `${file}\n${formatSummary(summary)}`);
      return 0;
    } finally {
      progress.stop();
    }
  },
};
