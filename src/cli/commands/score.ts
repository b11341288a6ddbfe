/**
 * `cosrank score MODEL DATA --out scores.csv [--weights … | --sweep]`: a dataset scored by a model into a
 * scores file that `cosrank eval` reads (src/pipeline/score.ts does the work).
 */
import { intFlag, listFlag, numberFlag, numberListFlag, parseCommandArgs } from '../args';
import { weightPointsCheck, type WeightPoints } from '../../eval/sweep';
import { scoreDataset } from '../../pipeline/score';
import { UsageError, type CliCommand, type CliIO } from '../io';
import { cliProgress } from '../progress';
import { hasOwn } from '../../util/validate';

const HELP = `Usage: cosrank score MODEL DATA --out scores.csv [--weights W | --sweep] [options]

Scores every document of DATA with the COS model in folder MODEL and writes a scores file (CSV, one row
per document in dataset order, a qid column) that 'cosrank eval --data DATA --scores scores.csv' reads.
DATA is a split cosrank run prepared (e.g. runs/demo/cache/data-*/test.arrow: labels are the model's
objectives, so cosrank eval reproduces the run's sweep table exactly) or raw data with the model's raw
features (the model's objectives are then applied with their frozen cut points).

Options:
  --out FILE             scores file to write                                           (required)
  --weights W            one trade-off: 0.3,0.7 or freshness=0.3,clicks=0.7 (normalised;
                         default the model's default weights) → one 'score' column
  --sweep                every point of a sweep as cosrank run evaluates it → one 'w=…' column each
  --points P             the sweep's points, as the run config's sweep.points: 'lattice' (default) or
                         '{"dirichlet": {"count": 11, "seed": 1, "alpha": 1, "corners": true}}'
  --divisions H          lattice divisions for --sweep (default: as cosrank run, 10 when ≤ 100 points)
  --beta LIST            T-COS temperatures per auxiliary objective (default 1 each)
  --c X                  post-training temperature factor (default 1)
  --engine NAME          auto | tfjs | onnx                                              (default auto)
  --quiet                no progress output
  --json                 print what was written as JSON on stdout`;

/** `0.3,0.7` → [0.3, 0.7]; `freshness=0.3,clicks=0.7` → {freshness: 0.3, clicks: 0.7}. */
function weightsOf(text: string): number[] | Record<string, number> {
  if (!text.includes('=')) return numberListFlag('weights', text);
  const out: Record<string, number> = {};
  for (const part of listFlag('weights', text)) {
    const [name, value, ...rest] = part.split('=').map((s) => s.trim());
    if (!name || value === undefined || rest.length > 0) throw new UsageError(`--weights: expected name=value pairs, got '${part}'`);
    if (hasOwn(out, name)) throw new UsageError(`--weights names '${name}' twice`);
    out[name] = numberFlag(`weights ${name}`, value);
  }
  return out;
}

/** `--points`: 'lattice' or the JSON of a Dirichlet spec, checked as the run config checks `sweep.points`. */
function weightPointsOf(text: string): WeightPoints {
  let value: unknown = text;
  if (text !== 'lattice') {
    try {
      value = JSON.parse(text);
    } catch {
      // not JSON: the check below names what is expected
    }
  }
  const problem = weightPointsCheck(value);
  if (problem !== null) throw new UsageError(`--points must be ${problem}, got '${text}'`);
  return value as WeightPoints;
}

function parseScoreArgs(argv: string[]) {
  const { values, positionals } = parseCommandArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      weights: { type: 'string' },
      sweep: { type: 'boolean', default: false },
      divisions: { type: 'string' },
      points: { type: 'string' },
      beta: { type: 'string' },
      c: { type: 'string' },
      engine: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 2) throw new UsageError(`MODEL and DATA are required (got ${positionals.length} argument${positionals.length === 1 ? '' : 's'})`);
  if (!values.out) throw new UsageError('--out is required');
  if (values.sweep && values.weights !== undefined) throw new UsageError('--weights and --sweep exclude each other');
  if (values.divisions !== undefined && !values.sweep) throw new UsageError('--divisions belongs to --sweep');
  if (values.points !== undefined && !values.sweep) throw new UsageError('--points belongs to --sweep');
  const points = values.points === undefined ? undefined : weightPointsOf(values.points);
  if (points !== undefined && points !== 'lattice' && values.divisions !== undefined) throw new UsageError('--divisions belongs to lattice points, not Dirichlet ones');
  const divisions = values.divisions === undefined ? null : intFlag('divisions', values.divisions, 1);
  const engine = values.engine ?? 'auto';
  if (!['auto', 'tfjs', 'onnx'].includes(engine)) throw new UsageError(`--engine must be one of auto, tfjs, onnx, got '${engine}'`);
  return {
    model: positionals[0],
    data: positionals[1],
    out: values.out,
    weights: values.weights === undefined ? null : weightsOf(values.weights),
    sweep: values.sweep ? { divisions, points } : null,
    beta: values.beta === undefined ? null : numberListFlag('beta', values.beta),
    // checked (> 0, finite in float32) by scoreDataset, with the server's rule
    c: values.c === undefined ? undefined : numberFlag('c', values.c),
    engine: engine as 'auto' | 'tfjs' | 'onnx',
    quiet: values.quiet === true,
    json: values.json === true,
  };
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const { quiet, json, ...request } = parseScoreArgs(argv);
  const progress = cliProgress(io, { quiet });
  try {
    const r = await scoreDataset({ ...request, onProgress: progress });
    progress.stop();
    const what = r.kind === 'sweep' ? `${r.points.length} weight points` : `the trade-off (${r.points[0].map((w) => Number(w.toFixed(4))).join(', ')})`;
    io.stdout(json ? JSON.stringify(r, null, 2) + '\n' : `scored ${r.documents} documents (${r.queries} queries) at ${what} on ${r.engine}${r.appliedObjectives ? ", the model's objectives applied" : ''}\nwrote ${r.out}\n`);
    return 0;
  } finally {
    progress.stop();
  }
}

export const command: CliCommand = {
  name: 'score',
  summary: "score a dataset with a model (one trade-off, or the run's sweep) into a scores file for cosrank eval",
  help: HELP,
  run,
};
