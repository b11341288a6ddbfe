/**
 * Evaluation of a scored dataset query by query: every metric of every objective per query (one value per
 * query, STYLE.md §2), their means, the number of queries without a relevant document (where the IDCG = 0
 * policy applies), the sweep table of a scores file with weight columns, and the per-query writer
 * (CSV, JSON or Arrow by extension).
 */
import { extname } from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { queryCount, type RankingDataset } from '../data/dataset';
import { writeFileAtomic } from '../util/atomicWrite';
import { describePolicy, meanOverQueries, metricFromOrder, rankingOrder, type MetricName, type ObjectiveMetric, type ResolvedMetricOptions } from './metrics';
import type { SweepTable } from './sweep';

/** The per-query file formats, by extension. */
export const PER_QUERY_FORMATS = ['.csv', '.json', '.arrow'];

/** Per-query values of one (objective, metric) pair of one run. */
export interface PerQueryColumn {
  objective: string;
  metric: MetricName;
  values: Float64Array;
}

/** Every metric of every objective per query; with stable ties the ranking is shared by all objectives. */
export function perQueryMetrics(scores: Float64Array | Float32Array, ds: RankingDataset, o: ResolvedMetricOptions, metrics: MetricName[]): PerQueryColumn[] {
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

/** The mean of each column over the queries it does not skip. */
export function columnMeans(columns: PerQueryColumn[], o: ResolvedMetricOptions): ObjectiveMetric[] {
  const policy = describePolicy(o);
  return columns.map((c) => {
    const m = meanOverQueries(c.values);
    return { objective: c.objective, metric: c.metric, k: o.k, mean: m.mean, queries: m.count, skippedQueries: m.skipped, policy };
  });
}

/** Objective → number of queries with no label > 0 (IDCG = 0), where the `idcgZero` policy applies. */
export function idcgZeroCounts(ds: RankingDataset): Record<string, number> {
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

/** One weight point of a sweep: its weights and its NDCG@k means (objectives in dataset order, main first). */
export interface EvaluatedPoint {
  weights: number[];
  results: ObjectiveMetric[];
}

/** The sweep table of NDCG@k means per weight point (objectives: the dataset's label columns, main first). */
export function sweepTableOf(points: EvaluatedPoint[], ds: RankingDataset, o: ResolvedMetricOptions): SweepTable {
  const ndcg = (p: EvaluatedPoint): ObjectiveMetric[] => p.results.filter((x) => x.metric === 'ndcg');
  return {
    objectives: [...ds.labelNames],
    k: o.k,
    policy: describePolicy(o),
    counts: ndcg(points[0]).map((x) => ({ queries: x.queries, skipped: x.skippedQueries })),
    rows: points.map((p) => ({ weights: p.weights, ndcg: ndcg(p).map((x) => x.mean) })),
  };
}

/** Writes per-query metrics atomically: one row per query, `qid` then one column per (run, objective, metric). */
export async function writePerQuery(file: string, ds: RankingDataset, columns: { name: string; values: Float64Array }[]): Promise<void> {
  const ext = extname(file).toLowerCase();
  if (ext === '.arrow') {
    // Skipped queries stay NaN (a float, not a null), as in the Float64Array the metrics return.
    const arrays: Record<string, string[] | Float64Array> = { qid: ds.queryIds };
    for (const c of columns) arrays[c.name] = c.values;
    await writeFileAtomic(file, tableToIPC(tableFromArrays(arrays), 'file'));
    return;
  }
  if (ext === '.json') {
    // JSON has no NaN: a skipped query is null.
    const rows = ds.queryIds.map((qid, q) => {
      const row: Record<string, string | number | null> = { qid };
      for (const c of columns) row[c.name] = Number.isNaN(c.values[q]) ? null : c.values[q];
      return row;
    });
    await writeFileAtomic(file, JSON.stringify(rows, null, 1) + '\n');
    return;
  }
  const quote = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [['qid', ...columns.map((c) => c.name)].map(quote).join(',')];
  ds.queryIds.forEach((qid, q) => {
    lines.push([quote(qid), ...columns.map((c) => (Number.isNaN(c.values[q]) ? '' : String(c.values[q])))].join(','));
  });
  await writeFileAtomic(file, lines.join('\n') + '\n');
}
