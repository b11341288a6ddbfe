/**
 * `cosrank datasets list | fetch NAME`: the public LTR datasets (src/data/datasets) one command away.
 */
import { intFlag, parseCommandArgs } from '../args';
import { UsageError, type CliCommand, type CliIO } from '../io';
import { cliProgress } from '../progress';
import { CATALOGUE, type DatasetEntry } from '../../data/datasets/catalogue';

const HELP = `Usage: cosrank datasets list [--json]
       cosrank datasets fetch NAME [options]

list     the public learning-to-rank datasets: size, licence, source, folds, objective preset
         (--json: the registry as JSON, the same as data/registry.json)

fetch    downloads NAME's archive into DATA/NAME/ (progress bar; an interrupted download resumes),
         checks its size and sha256 (recorded in the card when none is published), extracts it,
         converts every fold to Arrow with the dataset's objective preset (cut points fitted on each
         fold's training split) and writes DATA/NAME/README.md. Proxy settings come from HTTP_PROXY,
         HTTPS_PROXY and NO_PROXY. Offline, it says which URL to fetch by hand.
  --from FILE        use a downloaded archive instead of downloading (manual or offline download)
  --url URL          download from this URL (a mirror) instead of the catalogue's
  --data-dir DIR     where datasets live                                      (default data)
  --retries N        extra attempts after an interrupted download               (default 3)
  --json             print a JSON summary of what was written`;

function formatSize(e: DatasetEntry): string {
  const b = e.archive.bytes ?? e.archive.approxBytes;
  if (b === undefined) return 'not published:';
  const text = b >= 1e9 ? `${(b / 1e9).toFixed(2)} GB` : `${Math.round(b / 1e6)} MB`;
  return e.archive.bytes === undefined ? `~${text}` : text;
}

/** The catalogue as a text table, one dataset per block. */
export function formatCatalogue(entries: readonly DatasetEntry[]): string {
  const lines: string[] = [];
  for (const e of entries) {
    lines.push(`${e.name.padEnd(12)} ${e.title}`);
    lines.push(`  size     ${formatSize(e)} ${e.archive.format}${e.archive.sha256 ? ' (sha256 known)' : ''}; ${e.queries.toLocaleString('en-US')} queries, ${e.documents.toLocaleString('en-US')} documents, ${e.features} features, grades ${e.grades}`);
    lines.push(`  licence  ${e.licence}`);
    lines.push(`  source   ${e.url ?? e.homepage}`);
    lines.push(`  folds    ${e.folds.map((f) => f.name).join(', ')}`);
    lines.push(`  preset   ${e.preset}`);
    lines.push('');
  }
  return lines.join('\n');
}

async function fetchCommand(args: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args,
    strict: true,
    allowPositionals: true,
    options: { from: { type: 'string' }, url: { type: 'string' }, 'data-dir': { type: 'string' }, retries: { type: 'string' }, json: { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new UsageError(`fetch takes one dataset NAME, got ${positionals.length}`);
  const retries = values.retries === undefined ? undefined : intFlag('retries', values.retries, 0);
  const { fetchDataset } = await import('../../data/datasets/fetch');
  const progress = cliProgress(io, { intervalMs: 2000 });
  try {
    const r = await fetchDataset(positionals[0], { from: values.from, url: values.url, dataDir: values['data-dir'], retries, onProgress: progress });
    progress.stop();
    if (values.json) {
      const folds = r.folds.map((f) => ({ name: f.name, splits: Object.fromEntries(Object.entries(f.splits).map(([k, s]) => [k, { arrow: `${r.dir}/folds/${s.arrow}`, queries: s.summary.queries, documents: s.summary.documents }])) }));
      io.stdout(JSON.stringify({ name: r.entry.name, dir: r.dir, card: r.card, archive: r.archive, folds }, null, 2) + '\n');
    } else {
      io.stdout(`${r.entry.name}: ${r.folds.length} fold${r.folds.length === 1 ? '' : 's'} in ${r.dir}/folds; sha256 ${r.archive.sha256} (${r.archive.checksum === 'published' ? 'matches the published checksum' : 'recorded'}); card ${r.card}\n`);
    }
    return 0;
  } finally {
    progress.stop();
  }
}

export const command: CliCommand = {
  name: 'datasets',
  summary: 'list the public LTR datasets, or fetch one as Arrow folds with its objective preset',
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const [sub, ...rest] = argv;
    if (sub === 'list') {
      const { values } = parseCommandArgs({ args: rest, strict: true, options: { json: { type: 'boolean' } } });
      io.stdout(values.json ? JSON.stringify(CATALOGUE, null, 2) + '\n' : formatCatalogue(CATALOGUE));
      return 0;
    }
    if (sub === 'fetch') return fetchCommand(rest, io);
    throw new UsageError(sub === undefined ? 'give a subcommand: list or fetch' : `unknown subcommand '${sub}' (list, fetch)`);
  },
};
