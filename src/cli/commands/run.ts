/**
 * `cosrank run <config.json>`: the whole pipeline from one config (src/pipeline/run.ts). Prints which
 * stages were computed and which were reused from the cache, then the front table and where the report,
 * plots and model are.
 */
import * as path from 'node:path';
import { namingFlags, parseCommandArgs } from '../args';
import { UsageError, type CliCommand, type CliIO } from '../io';
import { readConfigFile } from '../configFile';
import { cliProgress } from '../progress';
import { applyOverrides } from '../../train/config';
import { parseRunConfig, resolveConfigPaths, type RunConfig } from '../../pipeline/runConfig';
import { formatPlan, runPipeline, type RunOutcome } from '../../pipeline/run';
import { formatHypervolume } from '../../eval/report';

const HELP = `Usage: cosrank run <config.json> [options]

Runs the whole pipeline a config describes: read or generate the data, split it, declare the objectives,
train (or reuse) the base ranker, train (or reuse) the COS-DPO ranker, sweep the trade-off weights on the
test split, and write the model, the per-point table, the front with its hypervolume, the plots, a report
and the run manifest into the output folder. Every stage is cached under <out>/cache by a content hash:
a rerun that changes only a late stage (the sweep, the COS settings) reuses the earlier ones.
Paths inside the config are relative to the config file.

Options:
  --out DIR              output folder (default: the config's "out", else runs/<config name>)
  --set PATH=VALUE       override a config value, e.g. --set cos.maxSteps=500 (repeatable; VALUE is JSON
                         when it parses, else a string)
  --seed N               same as --set seed=N
  --dry-run              print the plan and exit: nothing is read, trained or written
  --quiet                no progress output
  --json                 print the result (or the plan) as JSON on stdout`;

interface RunArgs {
  configFile: string;
  out: string | null;
  sets: string[];
  seedGiven: boolean;
  dryRun: boolean;
  quiet: boolean;
  json: boolean;
}

function parseRunArgs(argv: string[]): RunArgs {
  const { values, positionals } = parseCommandArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      set: { type: 'string', multiple: true },
      seed: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  // --seed is a shorthand for --set and wins over the file, as --set does
  const sets = [...(values.set ?? []), ...(values.seed !== undefined ? [`seed=${values.seed}`] : [])];
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'a config file is required' : `one config file expected, got ${positionals.join(' ')}`);
  return { configFile: positionals[0], out: values.out ?? null, sets, seedGiven: values.seed !== undefined, dryRun: values['dry-run'] === true, quiet: values.quiet === true, json: values.json === true };
}

/** Reads, overrides, validates and path-resolves a run config file. */
export async function loadRunConfig(file: string, sets: string[] = []): Promise<RunConfig> {
  const json = await readConfigFile(file, 'the config file');
  const config = parseRunConfig(applyOverrides(json, sets), file);
  return resolveConfigPaths(config, path.dirname(path.resolve(file)));
}

function fixed(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : 'n/a';
}

/** The front table: weights, NDCG@k per auxiliary objective, main NDCG@k, front membership; then the figures and files. */
export function formatOutcome(o: RunOutcome): string {
  const t = o.sweep;
  const aux = t.objectives.slice(1);
  const header = ['point', ...aux.map((a) => `w_${a}`), ...aux.map((a) => `${a} NDCG@${t.k}`), `${t.objectives[0]} NDCG@${t.k} (main)`, 'front'];
  const onFront = new Set(o.front.front);
  const rows = t.rows.map((r, i) => [String(i), ...r.weights.map((w) => w.toFixed(2)), ...r.ndcg.slice(1).map(fixed), fixed(r.ndcg[0]), onFront.has(i) ? '*' : '']);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => cells.map((s, c) => (c === cells.length - 1 ? s : s.padStart(widths[c]))).join('  ').trimEnd();
  const rel = (p: string) => {
    const r = path.relative(process.cwd(), p);
    return r === '' ? '.' : r.startsWith('..') ? p : r;
  };
  return [
    ...o.stages.map((s) => s.message),
    '',
    `Front on the test split (${t.rows.length} weight points, ${t.policy}):`,
    line(header),
    ...rows.map(line),
    '',
    `hypervolume of the auxiliary NDCG@${t.k} (reference ${o.reference.join(', ')}): ${formatHypervolume(o.front.hypervolume)}`,
    `main ${t.objectives[0]} NDCG@${t.k} over the points: ${fixed(o.front.mainMean)} ± ${fixed(o.front.mainStd)} (base ranker s0: ${fixed(o.baseTest[0].mean)})`,
    `COS training ${o.training.cosSeconds.toFixed(1)} s, ${o.training.cosParameters.toLocaleString('en-US')} parameters; base ${o.training.baseSeconds.toFixed(1)} s, ${o.training.baseParameters.toLocaleString('en-US')} parameters; engine ${o.engine.name}`,
    '',
    `report: ${rel(o.files.report)}`,
    `plots:  ${o.files.plots.filter((f) => f.endsWith('.png')).map(rel).join(', ')} (and .svg)`,
    `table:  ${rel(o.files.sweepCsv)}, ${rel(o.files.sweepJson)}; front: ${rel(o.files.frontJson)}`,
    `model:  ${rel(o.files.model)}; manifest: ${rel(o.files.manifest)}`,
    `done in ${o.seconds.toFixed(1)} s`,
  ].join('\n') + '\n';
}

export const command: CliCommand = {
  name: 'run',
  summary: 'run the whole pipeline from one config (data → base → COS-DPO → sweep → report), cached by stage',
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseRunArgs(argv);
    const config = await namingFlags(args.seedGiven ? { seed: '--seed' } : {}, args.configFile, () => loadRunConfig(args.configFile, args.sets));
    const out = args.out !== null ? path.resolve(args.out) : (config.out ?? path.resolve('runs', path.basename(args.configFile).replace(/\.json$/i, '')));
    if (args.dryRun) {
      const { plan } = await runPipeline({ ...config, out }, { dryRun: true });
      io.stdout(args.json ? JSON.stringify(plan, null, 2) + '\n' : formatPlan(plan));
      return 0;
    }
    const progress = cliProgress(io, { quiet: args.quiet });
    try {
      const { outcome } = await runPipeline({ ...config, out }, { onProgress: progress });
      if (!outcome) return 1;
      // the models are in files.model; their tensors do not belong on stdout
      const { models: _models, ...printed } = outcome;
      io.stdout(args.json ? JSON.stringify(printed, null, 2) + '\n' : formatOutcome(outcome));
    } finally {
      progress.stop();
    }
    return 0;
  },
};
