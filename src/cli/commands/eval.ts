/**
 * `cosrank eval`: evaluates a scores file against a dataset. A single run prints the mean metric of every
 * objective; a sweep (weight columns, see `src/eval/scoresFile.ts`) prints NDCG@k per objective at every
 * weight point, the Pareto front of the auxiliary objectives, its hypervolume and the main NDCG mean ± std.
 * Optional outputs: per-query metrics (CSV/JSON/Arrow by extension) and a report folder.
 */
import { writeFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { UsageError, type CliCommand, type CliIO } from '../io';
import { readDataset } from '../../data/read';
import { documentCount, queryCount, type RankingDataset } from '../../data/dataset';
import {
  describePolicy,
  meanOverQueries,
  metricFromOrder,
  METRIC_NAMES,
  rankingOrder,
  resolveMetricOptions,
  type GainKind,
  type IdcgZeroPolicy,
  type MetricName,
  type ObjectiveMetric,
  type ResolvedMetricOptions,
  type TiePolicy,
} from '../../eval/metrics';
import { readScores, type ScoreRun } from '../../eval/scoresFile';
import type { SweepTable } from '../../eval/sweep';
import { frontSummary, type FrontSummary } from '../../eval/hypervolume';
import { atK, formatWeights } from '../../eval/plots';
import { describeIdcgZero, formatHypervolume, writeReport, type ReportPolicy } from '../../eval/report';
import { DataError } from '../../util/errors';

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

const PER_QUERY_FORMATS = ['.csv', '.json', '.arrow'];

interface EvalArgs {
  data: string;
  scores: string;
  metricOptions: ResolvedMetricOptions;
  metrics: MetricName[];
  reference: number[] | null;
  perQuery: string | null;
  out: string | null;
  json: boolean;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got '${value}'`);
  return value as T;
}

function parseEvalArgs(argv: string[]): EvalArgs {
  const { values } = parseArgs({
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
  let k = 10;
  if (values.k !== undefined) {
    k = values.k === 'all' ? Infinity : Number(values.k);
    if (!(k === Infinity || (Number.isInteger(k) && k >= 1))) throw new UsageError(`--k must be a positive integer or 'all', got '${values.k}'`);
  }
  const metrics = (values.metrics ?? 'ndcg').split(',').map((m) => m.trim());
  for (const m of metrics) {
    if (!(METRIC_NAMES as readonly string[]).includes(m)) throw new UsageError(`--metrics: unknown metric '${m}' (known: ${METRIC_NAMES.join(', ')})`);
  }
  if (new Set(metrics).size !== metrics.length) throw new UsageError(`--metrics lists a metric twice: ${values.metrics}`);
  let reference: number[] | null = null;
  if (values.reference !== undefined) {
    reference = values.reference.split(',').map(Number);
    if (reference.some((v) => !Number.isFinite(v))) throw new UsageError(`--reference must be comma-separated numbers, got '${values.reference}'`);
  }
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

/** Per-query values of one (objective, metric) pair of one run. */
interface PerQueryColumn {
  objective: string;
  metric: MetricName;
  values: Float64Array;
}

/** Every metric of every objective per query; with stable ties the ranking is shared by all objectives. */
function perQueryMetrics(scores: Float64Array, ds: RankingDataset, o: ResolvedMetricOptions, metrics: MetricName[]): PerQueryColumn[] {
  const shared = o.ties === 'stable' ? rankingOrder(scores, ds.queryOffsets, 'stable') : null;
  const out: PerQueryColumn[] = [];
  ds.labels.forEach((labels, j) => {
    const order = shared ?? rankingOrder(scores, ds.queryOffsets, o.ties, labels);
    for (const metric of metrics) {
      out.push({ objective: ds.labelNames[j], metric, values: metricFromOrder(metric, order, labels, ds.queryOffsets, o) });
    }
  });
  return out;
}

function means(columns: PerQueryColumn[], o: ResolvedMetricOptions): ObjectiveMetric[] {
  const policy = describePolicy(o);
  return columns.map((c) => {
    const m = meanOverQueries(c.values);
    return { objective: c.objective, metric: c.metric, k: o.k, mean: m.mean, queries: m.count, skippedQueries: m.skipped, policy };
  });
}

/** Objective → number of queries with no label > 0 (IDCG = 0), where the `idcgZero` policy applies. */
function idcgZeroCounts(ds: RankingDataset): Record<string, number> {
  const counts: Record<string, number> = {};
  ds.labels.forEach((labels, j) => {
    let n = 0;
    for (let q = 0; q < queryCount(ds); q++) {
      let any = false;
      for (let d = ds.queryOffsets[q]; d < ds.queryOffsets[q + 1] && !any; d++) any = labels[d] > 0;
      if (!any) n++;
    }
    counts[ds.labelNames[j]] = n;
  });
  return counts;
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

/** Writes per-query metrics: one row per query, `qid` then one column per (run, objective, metric). */
async function writePerQuery(path: string, ds: RankingDataset, columns: { name: string; values: Float64Array }[]): Promise<void> {
  const ext = extname(path).toLowerCase();
  if (ext === '.arrow') {
    // Skipped queries stay NaN (a float, not a null), as in the Float64Array the metrics return.
    const arrays: Record<string, string[] | Float64Array> = { qid: ds.queryIds };
    for (const c of columns) arrays[c.name] = c.values;
    await writeFile(path, tableToIPC(tableFromArrays(arrays), 'file'));
    return;
  }
  if (ext === '.json') {
    // JSON has no NaN: a skipped query is null.
    const rows = ds.queryIds.map((qid, q) => {
      const row: Record<string, string | number | null> = { qid };
      for (const c of columns) row[c.name] = Number.isNaN(c.values[q]) ? null : c.values[q];
      return row;
    });
    await writeFile(path, JSON.stringify(rows, null, 1) + '\n');
    return;
  }
  const quote = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [['qid', ...columns.map((c) => c.name)].map(quote).join(',')];
  ds.queryIds.forEach((qid, q) => {
    lines.push([quote(qid), ...columns.map((c) => (Number.isNaN(c.values[q]) ? '' : String(c.values[q])))].join(','));
  });
  await writeFile(path, lines.join('\n') + '\n');
}

interface RunResult {
  run: ScoreRun;
  columns: PerQueryColumn[];
  results: ObjectiveMetric[];
}

/** The sweep table of NDCG@k means per weight point (objectives: the dataset's label columns, main first). */
function sweepTable(runs: RunResult[], ds: RankingDataset, o: ResolvedMetricOptions): SweepTable {
  const ndcg = (r: RunResult): ObjectiveMetric[] => r.results.filter((x) => x.metric === 'ndcg');
  return {
    objectives: [...ds.labelNames],
    k: o.k,
    policy: describePolicy(o),
    counts: ndcg(runs[0]).map((x) => ({ queries: x.queries, skipped: x.skippedQueries })),
    rows: runs.map((r) => ({ weights: r.run.weights as number[], ndcg: ndcg(r).map((x) => x.mean) })),
  };
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const args = parseEvalArgs(argv);
  const o = args.metricOptions;
  const ds = await readDataset(args.data);
  const scoresFile = await readScores(args.scores, ds);
  const sweep = scoresFile.kind === 'sweep';
  const nAux = ds.labelNames.length - 1;
  if (sweep) {
    const m = (scoresFile.runs[0].weights as number[]).length;
    if (m !== nAux) {
      throw new DataError(args.scores, 1, `weight columns have ${m} weights but the dataset has ${nAux} auxiliary objectives (${ds.labelNames.slice(1).join(', ')})`);
    }
  }
  if (args.reference && args.reference.length !== nAux) {
    throw new UsageError(`--reference has ${args.reference.length} values, the dataset has ${nAux} auxiliary objectives`);
  }
  // A sweep's table and front are NDCG@k: compute it even when --metrics leaves it out.
  const metrics = sweep && !args.metrics.includes('ndcg') ? ['ndcg' as MetricName, ...args.metrics] : args.metrics;
  const runs: RunResult[] = scoresFile.runs.map((r) => {
    const columns = perQueryMetrics(r.scores, ds, o, metrics);
    return { run: r, columns, results: means(columns, o) };
  });
  const policy: ReportPolicy = { gain: o.gain, k: o.k, idcgZero: o.idcgZero, ties: o.ties, idcgZeroQueries: idcgZeroCounts(ds) };
  const policyLine = `IDCG=0 policy: ${describeIdcgZero(policy)}`;

  const reference = args.reference ?? new Array<number>(nAux).fill(0);
  let sweepSummary: { table: SweepTable; summary: FrontSummary } | null = null;
  if (sweep) {
    const table = sweepTable(runs, ds, o);
    sweepSummary = { table, summary: frontSummary(table, reference) };
  }

  const files: string[] = [];
  if (args.perQuery) {
    const columns = runs.flatMap((r) =>
      r.columns.map((c) => ({ name: `${sweep ? `${r.run.name}:` : ''}${c.objective}.${`${c.metric}${atK(o.k)}`}`, values: c.values })),
    );
    await writePerQuery(args.perQuery, ds, columns);
    files.push(args.perQuery);
  }
  if (args.out) {
    const written = await writeReport(args.out, {
      dataset: {
        file: args.data,
        scores: args.scores,
        queries: queryCount(ds),
        documents: documentCount(ds),
        features: ds.nFeatures,
        objectives: ds.labelNames.join(', '),
      },
      policy,
      metricTables: sweep ? [] : [{ title: 'Metrics', rows: runs[0].results }],
      ...(sweepSummary ? { sweep: sweepSummary.table, summary: sweepSummary.summary, reference } : {}),
    });
    files.push(...written.files);
  }

  if (args.json) {
    const body = {
      data: args.data,
      scores: args.scores,
      kind: scoresFile.kind,
      policy: { ...policy, description: describePolicy(o) },
      ...(sweepSummary
        ? {
            points: runs.map((r) => ({ name: r.run.name, weights: r.run.weights, results: r.results })),
            sweep: sweepSummary.table,
            front: sweepSummary.summary.front,
            hypervolume: { value: sweepSummary.summary.hypervolume, reference },
            mainNdcg: { mean: sweepSummary.summary.mainMean, std: sweepSummary.summary.mainStd },
          }
        : { results: runs[0].results }),
      files,
    };
    // JSON has no Infinity/NaN: k = 'all' and empty means become null.
    io.stdout(JSON.stringify(body, null, 2) + '\n');
    return 0;
  }

  if (sweepSummary) {
    const { table, summary } = sweepSummary;
    const onFront = new Set(summary.front);
    io.stdout(`NDCG${atK(o.k)} over ${table.rows.length} weight points (weights of ${ds.labelNames.slice(1).join(', ')}):\n`);
    io.stdout(
      textTable(
        ['point', 'weights', ...table.objectives.map((n, j) => (j === 0 ? `${n} (main)` : n)), 'front'],
        table.rows.map((r, i) => [String(i), formatWeights(r.weights), ...r.ndcg.map(fmt), onFront.has(i) ? '*' : '']),
      ),
    );
    io.stdout(`hypervolume (reference ${formatWeights(reference)}): ${formatHypervolume(summary.hypervolume)}\n`);
    io.stdout(`main NDCG${atK(o.k)}: ${fmt(summary.mainMean)} ± ${fmt(summary.mainStd)} over ${table.rows.length} points\n`);
  } else {
    const rows = runs[0].results;
    io.stdout(
      textTable(
        ['objective', 'metric', 'mean', 'queries', 'skipped'],
        rows.map((r) => [r.objective, `${r.metric}${atK(r.k)}`, fmt(r.mean), String(r.queries), String(r.skippedQueries)]),
      ),
    );
  }
  io.stdout(`${policyLine}\n${describePolicy(o)}\n`);
  for (const f of files) io.stdout(`wrote ${f}\n`);
  return 0;
}

export const command: CliCommand = {
  name: 'eval',
  summary: 'evaluate a scores file against a dataset (NDCG, ERR, MRR, precision; sweeps: front, hypervolume, report)',
  help: HELP,
  run,
};
