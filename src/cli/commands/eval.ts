/**
 * `cosrank eval`: evaluates a scores file against a dataset. A single run prints the mean metric of every
 * objective; a sweep (weight columns, see `src/eval/scoresFile.ts`) prints NDCG@k per objective at every
 * weight point, the Pareto front of the auxiliary objectives, its hypervolume and the main NDCG mean ± std.
 * Optional outputs: per-query metrics (CSV/JSON/Arrow by extension) and a report folder.
 */
import { extname } from 'node:path';
import { intFlag, listFlag, numberListFlag, parseCommandArgs } from '../args';
import { UsageError, type CliCommand, type CliIO } from '../io';
import { describePolicy, METRIC_NAMES, resolveMetricOptions, type GainKind, type IdcgZeroPolicy, type MetricName, type TiePolicy } from '../../eval/metrics';
import { PER_QUERY_FORMATS } from '../../eval/perQuery';
import { atK, formatWeights } from '../../eval/plots';
import { describeIdcgZero, formatHypervolume } from '../../eval/report';
import { evaluateScores, type EvaluateOutcome, type EvaluateRequest } from '../../pipeline/evaluate';

const HELP = `Usage: cosrank eval --data FILE --scores FILE [options]

Evaluates model scores against a dataset. The scores file is CSV with one row per document in the
dataset's order: a 'score' column (one run) or weight columns 'w=0.3;0.7' (a sweep over the weights of
the auxiliary objectives); optional 'qid' and 'doc' columns are checked against the dataset.

Options:
  --data FILE            dataset (.arrow, LETOR text, … — anything readDataset reads)   (required)
  --scores FILE          scores CSV                                                      (required)
  --k N                  cut-off, a positive integer or 'all'                            (default 10)
  --gain KIND            linear (z) | exponential (2^z - 1)                             (default linear)
  --idcg-zero POLICY     queries with no label > 0: skip | one | zero                    (default skip)
  --ties RULE            equal scores: stable (document order) | pessimistic            (default stable)
  --metrics LIST         comma-separated: ndcg,err,mrr,precision                         (default ndcg)
  --reference LIST       hypervolume reference point, one value per auxiliary objective  (default 0,…)
  --per-query FILE       write per-query metrics; .csv, .json or .arrow by extension
  --out DIR              write report.md (+ for a sweep: sweep.csv, summary.json, front.svg/.png)
  --json                 print machine-readable JSON on stdout instead of tables`;

/** The evaluation request plus how to print it. */
interface EvalArgs extends EvaluateRequest {
  json: boolean;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got '${value}'`);
  return value as T;
}

function parseEvalArgs(argv: string[]): EvalArgs {
  const { values } = parseCommandArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      data: { type: 'string' },
      scores: { type: 'string' },
      k: { type: 'string' },
      gain: { type: 'string' },
      'idcg-zero': { type: 'string' },
      ties: { type: 'string' },
      metrics: { type: 'string' },
      reference: { type: 'string' },
      'per-query': { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.data) throw new UsageError('--data is required');
  if (!values.scores) throw new UsageError('--scores is required');
  const k = values.k === 'all' ? Infinity : intFlag('k', values.k ?? '10', 1, Infinity, "or 'all'");
  const metrics = listFlag('metrics', values.metrics ?? 'ndcg');
  for (const m of metrics) {
    if (!(METRIC_NAMES as readonly string[]).includes(m)) throw new UsageError(`--metrics: unknown metric '${m}' (known: ${METRIC_NAMES.join(', ')})`);
  }
  if (new Set(metrics).size !== metrics.length) throw new UsageError(`--metrics lists a metric twice: ${values.metrics}`);
  const reference = values.reference === undefined ? null : numberListFlag('reference', values.reference);
  const perQuery = values['per-query'] ?? null;
  if (perQuery !== null && !PER_QUERY_FORMATS.includes(extname(perQuery).toLowerCase())) {
    throw new UsageError(`--per-query file must end in ${PER_QUERY_FORMATS.join(', ')}, got '${perQuery}'`);
  }
  const metricOptions = resolveMetricOptions({
    k,
    gain: oneOf<GainKind>('gain', values.gain, ['linear', 'exponential'], 'linear'),
    idcgZero: oneOf<IdcgZeroPolicy>('idcg-zero', values['idcg-zero'], ['skip', 'one', 'zero'], 'skip'),
    ties: oneOf<TiePolicy>('ties', values.ties, ['stable', 'pessimistic'], 'stable'),
  });
  return {
    data: values.data,
    scores: values.scores,
    metricOptions,
    metrics: metrics as MetricName[],
    reference,
    perQuery,
    out: values.out ?? null,
    json: values.json ?? false,
  };
}

function fmt(v: number): string {
  return Number.isFinite(v) ? v.toFixed(4) : 'n/a';
}

/** Plain-text table with columns padded to their widest cell. */
function textTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]): string => cells.map((s, c) => s.padEnd(widths[c])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** The outcome as JSON (no Infinity/NaN in JSON: k = 'all' and empty means become null). */
function jsonOf(args: EvalArgs, r: EvaluateOutcome): string {
  const body = {
    data: args.data,
    scores: args.scores,
    kind: r.kind,
    policy: { ...r.policy, description: describePolicy(args.metricOptions) },
    ...(r.sweep
      ? {
          points: r.runs.map((x) => ({ name: x.run.name, weights: x.run.weights, results: x.results })),
          sweep: r.sweep.table,
          front: r.sweep.summary.front,
          hypervolume: { value: r.sweep.summary.hypervolume, reference: r.reference },
          mainNdcg: { mean: r.sweep.summary.mainMean, std: r.sweep.summary.mainStd },
        }
      : { results: r.runs[0].results }),
    files: r.files,
  };
  return JSON.stringify(body, null, 2) + '\n';
}

/** The tables as text: the sweep with its front, hypervolume and main NDCG, or the mean metrics of one run. */
function textOf(args: EvalArgs, r: EvaluateOutcome): string {
  const o = args.metricOptions;
  const lines: string[] = [];
  if (r.sweep) {
    const { table, summary } = r.sweep;
    const onFront = new Set(summary.front);
    lines.push(`NDCG${atK(o.k)} over ${table.rows.length} weight points (weights of ${r.dataset.labelNames.slice(1).join(', ')}):\n`);
    lines.push(
      textTable(
        ['point', 'weights', ...table.objectives.map((n, j) => (j === 0 ? `${n} (main)` : n)), 'front'],
        table.rows.map((row, i) => [String(i), formatWeights(row.weights), ...row.ndcg.map(fmt), onFront.has(i) ? '*' : '']),
      ),
    );
    lines.push(`hypervolume (reference ${formatWeights(r.reference)}): ${formatHypervolume(summary.hypervolume)}\n`);
    lines.push(`main NDCG${atK(o.k)}: ${fmt(summary.mainMean)} ± ${fmt(summary.mainStd)} over ${table.rows.length} points\n`);
  } else {
    const rows = r.runs[0].results;
    lines.push(textTable(['objective', 'metric', 'mean', 'queries', 'skipped'], rows.map((x) => [x.objective, `${x.metric}${atK(x.k)}`, fmt(x.mean), String(x.queries), String(x.skippedQueries)])));
  }
  lines.push(`IDCG=0 policy: ${describeIdcgZero(r.policy)}\n${describePolicy(o)}\n`);
  for (const f of r.files) lines.push(`wrote ${f}\n`);
  return lines.join('');
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const args = parseEvalArgs(argv);
  const outcome = await evaluateScores(args);
  io.stdout(args.json ? jsonOf(args, outcome) : textOf(args, outcome));
  return 0;
}

export const command: CliCommand = {
  name: 'eval',
  summary: 'evaluate a scores file against a dataset (NDCG, ERR, MRR, precision; sweeps: front, hypervolume, report)',
  help: HELP,
  run,
};
