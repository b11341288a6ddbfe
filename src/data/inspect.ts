/**
 * Dataset inspection: the figures one checks before training (sizes, list lengths, grade histograms,
 * degenerate queries, feature ranges), as a JSON-ready summary plus a text rendering for the CLI.
 */
import { documentCount, queryCount, type RankingDataset } from './dataset';

export interface LabelSummary {
  name: string;
  /** Every value is a finite integer: then `histogram` is given, else min/max/quantiles. */
  integer: boolean;
  /** Grade → number of documents, grades ascending (integer labels only). */
  histogram?: Record<string, number>;
  min: number | null;
  max: number | null;
  /** Quartiles (linear interpolation between order statistics), non-integer labels only. */
  quantiles?: { p25: number; p50: number; p75: number };
  /** NaN or ±Infinity values. */
  nonFinite: number;
  /** Queries whose documents all carry the same value (no preference to learn; includes 1-document queries). */
  allEqualQueries: number;
  /** Queries with no value > 0: IDCG = 0, so NDCG needs a convention for them (DESIGN.md §2). */
  noPositiveQueries: number;
}

export interface FeatureSummary {
  name: string;
  /** Over the non-NaN values; null when every value is NaN. */
  min: number | null;
  max: number | null;
  nan: number;
}

export interface DatasetSummary {
  queries: number;
  documents: number;
  features: number;
  /** Documents per query; the median of an even count is the mean of the two middle values. */
  docsPerQuery: { min: number; median: number; mean: number; max: number };
  oneDocumentQueries: number;
  labels: LabelSummary[];
  featureStats: FeatureSummary[];
  /** Names of features with the same value on every document (min = max), which carry no information. */
  constantFeatures: string[];
}

/** Summarises a dataset (one pass over labels, one over features). */
export function inspectDataset(ds: RankingDataset): DatasetSummary {
  const nQ = queryCount(ds);
  const nDocs = documentCount(ds);
  const sizes = Float64Array.from({ length: nQ }, (_, q) => ds.queryOffsets[q + 1] - ds.queryOffsets[q]).sort();
  const featureStats = featureSummaries(ds);
  return {
    queries: nQ,
    documents: nDocs,
    features: ds.nFeatures,
    docsPerQuery: {
      min: nQ ? sizes[0] : 0,
      median: nQ ? quantile(sizes, 0.5) : 0,
      mean: nQ ? nDocs / nQ : 0,
      max: nQ ? sizes[nQ - 1] : 0,
    },
    oneDocumentQueries: sizes.filter((n) => n === 1).length,
    labels: ds.labelNames.map((name, j) => labelSummary(name, ds.labels[j], ds.queryOffsets)),
    featureStats,
    constantFeatures: featureStats.filter((f) => f.min !== null && f.min === f.max).map((f) => f.name),
  };
}

function labelSummary(name: string, values: Float32Array, offsets: Int32Array): LabelSummary {
  let nonFinite = 0;
  let integer = true;
  let min = Infinity;
  let max = -Infinity;
  const counts = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) {
      nonFinite++;
      integer = false;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    if (integer && Number.isInteger(v)) counts.set(v, (counts.get(v) ?? 0) + 1);
    else integer = false;
  }
  let allEqualQueries = 0;
  let noPositiveQueries = 0;
  for (let q = 0; q + 1 < offsets.length; q++) {
    const a = offsets[q];
    const b = offsets[q + 1];
    let equal = true;
    let positive = false;
    for (let i = a; i < b; i++) {
      if (!Object.is(values[i], values[a])) equal = false;
      if (values[i] > 0) positive = true;
    }
    if (equal) allEqualQueries++;
    if (!positive) noPositiveQueries++;
  }
  const finite = values.length - nonFinite > 0;
  const summary: LabelSummary = {
    name,
    integer,
    min: finite ? min : null,
    max: finite ? max : null,
    nonFinite,
    allEqualQueries,
    noPositiveQueries,
  };
  if (integer) {
    summary.histogram = Object.fromEntries([...counts.entries()].sort((x, y) => x[0] - y[0]).map(([g, c]) => [String(g), c]));
  } else if (finite) {
    const sorted = Float64Array.from(values.filter(Number.isFinite)).sort();
    summary.quantiles = { p25: quantile(sorted, 0.25), p50: quantile(sorted, 0.5), p75: quantile(sorted, 0.75) };
  }
  return summary;
}

function featureSummaries(ds: RankingDataset): FeatureSummary[] {
  const nF = ds.nFeatures;
  const min = new Float64Array(nF).fill(Infinity);
  const max = new Float64Array(nF).fill(-Infinity);
  const nan = new Int32Array(nF);
  const x = ds.features;
  for (let row = 0; row < x.length; row += nF) {
    for (let f = 0; f < nF; f++) {
      const v = x[row + f];
      if (v !== v) nan[f]++;
      else {
        if (v < min[f]) min[f] = v;
        if (v > max[f]) max[f] = v;
      }
    }
  }
  const rows = nF ? x.length / nF : 0;
  return ds.featureNames.map((name, f) => ({
    name,
    min: nan[f] < rows ? min[f] : null,
    max: nan[f] < rows ? max[f] : null,
    nan: nan[f],
  }));
}

/** Quantile p of ascending values, linear interpolation between order statistics (R type 7). */
function quantile(sorted: Float64Array, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** The summary as text for `cosrank inspect`. */
export function formatSummary(s: DatasetSummary): string {
  const num = (v: number | null) => (v === null ? '—' : Number.isInteger(v) ? String(v) : Math.abs(v) >= 1e5 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(3) : v.toFixed(4));
  const pct = (c: number) => (s.documents ? ((100 * c) / s.documents).toFixed(1) : '0.0');
  const d = s.docsPerQuery;
  const lines = [
    `queries     ${s.queries}`,
    `documents   ${s.documents}`,
    `features    ${s.features}`,
    `docs/query  min ${d.min} / median ${num(d.median)} / mean ${d.mean.toFixed(1)} / max ${d.max}`,
    `one-document queries  ${s.oneDocumentQueries}`,
  ];
  for (const l of s.labels) {
    lines.push('', `label '${l.name}'${l.integer ? ' (integer grades)' : ' (not integer: no histogram)'}`);
    if (l.histogram) {
      for (const [g, c] of Object.entries(l.histogram)) lines.push(`  ${g.padStart(6)}: ${String(c).padStart(9)}  (${pct(c)}%)`);
    } else {
      lines.push(`  min ${num(l.min)}  p25 ${num(l.quantiles?.p25 ?? null)}  median ${num(l.quantiles?.p50 ?? null)}  p75 ${num(l.quantiles?.p75 ?? null)}  max ${num(l.max)}`);
    }
    if (l.nonFinite) lines.push(`  non-finite values: ${l.nonFinite}`);
    lines.push(`  queries with all values equal: ${l.allEqualQueries}; with no value > 0: ${l.noPositiveQueries}`);
  }
  const width = s.featureStats.reduce((m, f) => Math.max(m, f.name.length), 7); // no spread: 200,000 features overflow the call stack
  lines.push('', `${'feature'.padEnd(width)}  ${'min'.padStart(11)}  ${'max'.padStart(11)}  ${'NaN'.padStart(7)}`);
  for (const f of s.featureStats) {
    lines.push(`${f.name.padEnd(width)}  ${num(f.min).padStart(11)}  ${num(f.max).padStart(11)}  ${String(f.nan).padStart(7)}`);
  }
  lines.push('', `constant features (${s.constantFeatures.length}): ${s.constantFeatures.join(', ') || 'none'}`);
  return lines.join('\n') + '\n';
}
