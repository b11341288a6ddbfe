/**
 * `cosrank eval` as a library function: a scores file (one run, or a sweep with weight columns, see
 * src/eval/scoresFile.ts) evaluated against a dataset — mean metrics per objective, or per weight point the
 * NDCG@k of every objective, the Pareto front of the auxiliary objectives, its hypervolume and the main
 * NDCG mean ± std — with optional per-query metrics and a report folder.
 */
import { documentCount, queryCount, type RankingDataset } from '../data/dataset';
import { readDataset } from '../data/read';
import { frontSummary, type FrontSummary } from '../eval/hypervolume';
import type { MetricName, ObjectiveMetric, ResolvedMetricOptions } from '../eval/metrics';
import { columnMeans, idcgZeroCounts, perQueryMetrics, sweepTableOf, writePerQuery, type PerQueryColumn } from '../eval/perQuery';
import { atK } from '../eval/plots';
import { writeReport, type ReportPolicy } from '../eval/report';
import { readScores, type ScoreRun, type ScoresFile } from '../eval/scoresFile';
import type { SweepTable } from '../eval/sweep';
import { ConfigError, DataError } from '../util/errors';

export interface EvaluateRequest {
  /** Dataset file (anything `readDataset` reads). */
  data: string;
  /** Scores CSV. */
  scores: string;
  metricOptions: ResolvedMetricOptions;
  metrics: MetricName[];
  /** Hypervolume reference point (one value per auxiliary objective); null = the origin. */
  reference: number[] | null;
  /** Per-query output file (.csv, .json or .arrow), or null. */
  perQuery: string | null;
  /** Report folder, or null. */
  out: string | null;
}

/** One evaluated run (column) of the scores file. */
export interface EvaluatedRun {
  run: ScoreRun;
  columns: PerQueryColumn[];
  results: ObjectiveMetric[];
}

export interface EvaluateOutcome {
  dataset: RankingDataset;
  kind: ScoresFile['kind'];
  runs: EvaluatedRun[];
  policy: ReportPolicy;
  reference: number[];
  /** For a sweep: the table and its front. */
  sweep: { table: SweepTable; summary: FrontSummary } | null;
  /** Files written (per-query metrics, report files). */
  files: string[];
}

/** The weight columns must match the dataset's auxiliary objectives, the reference point too. */
function checkShapes(request: EvaluateRequest, ds: RankingDataset, scores: ScoresFile): void {
  const nAux = ds.labelNames.length - 1;
  if (scores.kind === 'sweep') {
    const m = (scores.runs[0].weights as number[]).length;
    if (m !== nAux) {
      throw new DataError(request.scores, 1, `weight columns have ${m} weights but the dataset has ${nAux} auxiliary objectives (${ds.labelNames.slice(1).join(', ')})`);
    }
  }
  if (request.reference && request.reference.length !== nAux) {
    throw new ConfigError([{ path: 'reference', value: request.reference, expected: `${nAux} values, one per auxiliary objective` }], '--reference');
  }
}

/** Writes the per-query file and the report folder when asked; returns the files written. */
async function writeOutputs(request: EvaluateRequest, o: Omit<EvaluateOutcome, 'files'>): Promise<string[]> {
  const files: string[] = [];
  const sweep = o.kind === 'sweep';
  const ds = o.dataset;
  if (request.perQuery) {
    const k = request.metricOptions.k;
    const columns = o.runs.flatMap((r) => r.columns.map((c) => ({ name: `${sweep ? `${r.run.name}:` : ''}${c.objective}.${c.metric}${atK(k)}`, values: c.values })));
    await writePerQuery(request.perQuery, ds, columns);
    files.push(request.perQuery);
  }
  if (request.out) {
    const written = await writeReport(request.out, {
      dataset: { file: request.data, scores: request.scores, queries: queryCount(ds), documents: documentCount(ds), features: ds.nFeatures, objectives: ds.labelNames.join(', ') },
      policy: o.policy,
      metricTables: sweep ? [] : [{ title: 'Metrics', rows: o.runs[0].results }],
      ...(o.sweep ? { sweep: o.sweep.table, summary: o.sweep.summary, reference: o.reference } : {}),
    });
    files.push(...written.files);
  }
  return files;
}

/** Evaluates a scores file against a dataset (see the module comment). Throws DataError / ConfigError; prints nothing. */
export async function evaluateScores(request: EvaluateRequest): Promise<EvaluateOutcome> {
  const o = request.metricOptions;
  // the labels are the grades the metrics use (no objective grades them), so a negative one is refused
  const dataset = await readDataset(request.data, { grades: true });
  const scores = await readScores(request.scores, dataset);
  checkShapes(request, dataset, scores);
  const sweep = scores.kind === 'sweep';
  // A sweep's table and front are NDCG@k: compute it even when the metrics leave it out.
  const metrics: MetricName[] = sweep && !request.metrics.includes('ndcg') ? ['ndcg', ...request.metrics] : request.metrics;
  const runs = scores.runs.map((run) => {
    const columns = perQueryMetrics(run.scores, dataset, o, metrics);
    return { run, columns, results: columnMeans(columns, o) };
  });
  const policy: ReportPolicy = { gain: o.gain, k: o.k, idcgZero: o.idcgZero, ties: o.ties, idcgZeroQueries: idcgZeroCounts(dataset) };
  const reference = request.reference ?? new Array<number>(dataset.labelNames.length - 1).fill(0);
  let summary: EvaluateOutcome['sweep'] = null;
  if (sweep) {
    const table = sweepTableOf(runs.map((r) => ({ weights: r.run.weights as number[], results: r.results })), dataset, o);
    summary = { table, summary: frontSummary(table, reference) };
  }
  const outcome = { dataset, kind: scores.kind, runs, policy, reference, sweep: summary };
  return { ...outcome, files: await writeOutputs(request, outcome) };
}
