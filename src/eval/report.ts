/**
 * The evaluation report: a Markdown document with optional sections, filled by `cosrank eval` and by the
 * end-to-end pipeline. Every section is optional and appears only when its input is given, in this order:
 * dataset, objectives, metric policy, metric tables (base ranker, model…), summary (the paper's Table 1
 * columns: auxiliary hypervolume with its reference point, mean ± std main NDCG@k over the weight points,
 * training time, parameter count), sweep table (weights, NDCG@k per objective, front membership),
 * plots, notes.
 *
 * `writeReport` writes `report.md` plus the artefacts beside it (plots as SVG and PNG, `sweep.csv`,
 * `summary.json`) and returns their paths. Front, hypervolume and main NDCG mean ± std come from
 * `frontSummary` (hypervolume.ts) unless given.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { ObjectiveMetric } from './metrics';
import type { SweepTable } from './sweep';
import { frontSummary, type FrontSummary } from './hypervolume';
import type { TrainingLogEntry } from './trainingLog';
import { atK, formatWeights, frontPlotSpec, trainingCurvesSpec } from './plots';
import { renderSvg, svgToPng, type PngOptions } from './render';

/** One row of the summary table: a method (the model, or a baseline) as in the paper's Table 1. */
export interface MethodSummary {
  method: string;
  /** Hypervolume of the auxiliary NDCG@k points (w.r.t. `ReportInput.reference`). */
  hypervolume?: number;
  /** Mean and (population) standard deviation of the main NDCG@k over the weight points. */
  mainNdcg?: { mean: number; std: number };
  trainingSeconds?: number;
  parameters?: number;
}

/** The metric conventions, and per objective how many queries had IDCG = 0 (the policy applied to them). */
export interface ReportPolicy {
  gain: string;
  k: number;
  idcgZero: 'skip' | 'one' | 'zero';
  ties: string;
  /** Objective → number of queries with no label > 0 (IDCG = 0). */
  idcgZeroQueries?: Record<string, number>;
}

export interface ReportInput {
  /** Level-1 heading. Default "cosrank evaluation report". */
  title?: string;
  /** Free key/value summary of the dataset (file, queries, documents, features…). */
  dataset?: Record<string, string | number>;
  /** Objective names (main first) with a one-line definition each. */
  objectives?: { name: string; definition: string }[];
  policy?: ReportPolicy;
  /** Mean metric tables, e.g. `{ title: 'Base ranker', rows: evaluateObjectives(...) }`. */
  metricTables?: { title: string; rows: ObjectiveMetric[] }[];
  sweep?: SweepTable;
  /** Hypervolume reference point for the sweep's auxiliary NDCG@k vectors. Default the origin. */
  reference?: number[];
  /** Front, hypervolume and main NDCG mean ± std of the sweep; default `frontSummary(sweep, reference)`. */
  summary?: FrontSummary;
  /** Training cost of the model of the sweep. */
  training?: { seconds?: number; parameters?: number };
  /** Name of the swept model in the summary table. Default "model". */
  method?: string;
  /** Other methods (baselines) for the summary table, shown below the swept model. */
  baselines?: MethodSummary[];
  /** Plots to link, paths relative to the report. `writeReport` adds the ones it renders. */
  plots?: { title: string; file: string }[];
  notes?: string[];
}

/** NDCG-like values: 4 decimals; NaN → n/a. */
function fixed(v: number, digits = 4): string {
  return Number.isFinite(v) ? v.toFixed(digits) : 'n/a';
}

/** Hypervolumes span orders of magnitude (the paper reports 1.648e-3): 4 significant digits. */
export function formatHypervolume(v: number): string {
  return Number.isFinite(v) ? v.toExponential(3) : 'n/a';
}

function integer(v: number): string {
  return Math.round(v).toLocaleString('en-US');
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

/** The policy section's sentence about IDCG = 0 queries, e.g. `skip (52 queries skipped for relevance)`. */
export function describeIdcgZero(policy: Pick<ReportPolicy, 'idcgZero' | 'idcgZeroQueries'>): string {
  const counts = Object.entries(policy.idcgZeroQueries ?? {}).filter(([, n]) => n > 0);
  const effect = policy.idcgZero === 'skip' ? 'skipped' : `scored ${policy.idcgZero === 'one' ? 1 : 0}`;
  if (counts.length === 0) return `${policy.idcgZero} (no query has IDCG = 0)`;
  const parts = counts.map(([objective, n]) => `${n} ${n === 1 ? 'query' : 'queries'} ${effect} for ${objective}`);
  return `${policy.idcgZero} (${parts.join(', ')})`;
}

/** The sweep's front summary: the one given, else computed from the sweep; null without a sweep. */
function sweepSummary(input: ReportInput): FrontSummary | null {
  return input.summary ?? (input.sweep ? frontSummary(input.sweep, input.reference) : null);
}

function referenceOf(input: ReportInput): number[] {
  return input.reference ?? new Array<number>(Math.max(0, (input.sweep?.objectives.length ?? 1) - 1)).fill(0);
}

function summaryRows(input: ReportInput, fs: FrontSummary | null): MethodSummary[] {
  const rows: MethodSummary[] = [];
  if (fs || input.training) {
    rows.push({
      method: input.method ?? 'model',
      hypervolume: fs?.hypervolume,
      mainNdcg: fs ? { mean: fs.mainMean, std: fs.mainStd } : undefined,
      trainingSeconds: input.training?.seconds,
      parameters: input.training?.parameters,
    });
  }
  return rows.concat(input.baselines ?? []);
}

/** Builds the Markdown report (sections as listed in the module comment). */
export function buildReport(input: ReportInput): string {
  const out: string[] = [`# ${input.title ?? 'cosrank evaluation report'}`];
  const section = (heading: string, body: string): void => {
    out.push(`## ${heading}`, body);
  };
  if (input.dataset) {
    section('Dataset', table(['', ''], Object.entries(input.dataset).map(([key, v]) => [key, typeof v === 'number' ? String(v) : v])));
  }
  if (input.objectives) {
    section('Objectives', table(['objective', 'definition'], input.objectives.map((o, i) => [i === 0 ? `${o.name} (main)` : o.name, o.definition])));
  }
  if (input.policy) {
    const p = input.policy;
    section(
      'Metric policy',
      [`- gain: ${p.gain}`, `- k: ${p.k === Infinity ? 'all (whole list)' : p.k}`, `- ties: ${p.ties}`, `- IDCG=0 policy: ${describeIdcgZero(p)}`].join('\n'),
    );
  }
  for (const t of input.metricTables ?? []) {
    section(
      t.title,
      table(
        ['objective', 'metric', 'mean', 'queries', 'skipped'],
        t.rows.map((r) => [r.objective, `${r.metric}${atK(r.k)}`, fixed(r.mean), String(r.queries), String(r.skippedQueries)]),
      ),
    );
  }
  const fs = sweepSummary(input);
  const summary = summaryRows(input, fs);
  if (summary.length > 0) {
    const k = input.sweep?.k ?? input.policy?.k;
    const hvHeader = input.sweep ? `auxiliary hypervolume (reference ${formatWeights(referenceOf(input))})` : 'auxiliary hypervolume';
    section(
      'Summary',
      table(
        ['method', hvHeader, `main NDCG${k === undefined ? '' : atK(k)} mean ± std`, 'training time (s)', 'parameters'],
        summary.map((s) => [
          s.method,
          s.hypervolume === undefined ? '–' : formatHypervolume(s.hypervolume),
          s.mainNdcg ? `${fixed(s.mainNdcg.mean)} ± ${fixed(s.mainNdcg.std)}` : '–',
          s.trainingSeconds === undefined ? '–' : s.trainingSeconds.toFixed(1),
          s.parameters === undefined ? '–' : integer(s.parameters),
        ]),
      ),
    );
  }
  if (input.sweep) {
    const t = input.sweep;
    const onFront = fs ? new Set(fs.front) : null;
    section(
      `Sweep (NDCG${atK(t.k)}, ${t.policy})`,
      table(
        ['point', `weights (${t.objectives.slice(1).join(', ')})`, ...t.objectives.map((o, j) => (j === 0 ? `${o} (main)` : o)), ...(onFront ? ['front'] : [])],
        t.rows.map((r, i) => [String(i), formatWeights(r.weights), ...r.ndcg.map((v) => fixed(v)), ...(onFront ? [onFront.has(i) ? 'yes' : ''] : [])]),
      ),
    );
  }
  if (input.plots && input.plots.length > 0) {
    section('Plots', input.plots.map((p) => `![${p.title}](${encodeURI(p.file)})`).join('\n\n'));
  }
  if (input.notes && input.notes.length > 0) section('Notes', input.notes.map((n) => `- ${n}`).join('\n'));
  return out.join('\n\n') + '\n';
}

/** The sweep as CSV: point, one weight column per auxiliary objective, NDCG@k per objective, front flag. */
export function sweepCsv(t: SweepTable, front?: number[]): string {
  const onFront = new Set(front ?? []);
  const quote = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const header = ['point', ...t.objectives.slice(1).map((o) => `w_${o}`), ...t.objectives.map((o) => `${o}_ndcg${atK(t.k)}`), ...(front ? ['front'] : [])];
  const rows = t.rows.map((r, i) => [String(i), ...r.weights.map(String), ...r.ndcg.map(String), ...(front ? [onFront.has(i) ? '1' : '0'] : [])]);
  return [header.map(quote).join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n';
}

export interface WriteReportOptions {
  /** Training log to plot as training curves (`training.svg`/`.png`). */
  trainingLog?: TrainingLogEntry[];
  png?: PngOptions;
}

/**
 * Writes `dir/report.md` and, beside it: for a sweep `sweep.csv`, `front.svg` and `front.png`; for a
 * training log `training.svg` and `training.png`; and `summary.json` (hypervolume and its reference point,
 * main NDCG mean ± std, front indices, policy, training cost) when any of those exist.
 * Creates `dir`. Returns the paths written, report first.
 */
export async function writeReport(dir: string, input: ReportInput, options: WriteReportOptions = {}): Promise<{ report: string; files: string[] }> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const plots = [...(input.plots ?? [])];
  const plot = async (name: string, title: string, spec: TopLevelSpec): Promise<void> => {
    const svg = await renderSvg(spec);
    const svgPath = join(dir, `${name}.svg`);
    const pngPath = join(dir, `${name}.png`);
    await writeFile(svgPath, svg);
    await writeFile(pngPath, svgToPng(svg, options.png));
    files.push(svgPath, pngPath);
    plots.push({ title, file: `${name}.png` });
  };
  const fs = sweepSummary(input);
  if (input.sweep && fs) {
    const csvPath = join(dir, 'sweep.csv');
    await writeFile(csvPath, sweepCsv(input.sweep, fs.front));
    files.push(csvPath);
    const title = input.sweep.objectives.length > 3 ? 'Auxiliary NDCG scatter matrix' : 'Trade-off front';
    await plot('front', title, frontPlotSpec(input.sweep, { front: fs.front, title }));
  }
  if (options.trainingLog && options.trainingLog.length > 0) {
    await plot('training', 'Training curves', trainingCurvesSpec(options.trainingLog, { title: 'Training curves' }));
  }
  if (fs || input.policy || input.training) {
    const summaryPath = join(dir, 'summary.json');
    const summary = {
      hypervolume: fs ? { value: fs.hypervolume, reference: referenceOf(input) } : null,
      mainNdcg: fs ? { mean: fs.mainMean, std: fs.mainStd } : null,
      front: fs?.front ?? null,
      policy: input.policy ?? null,
      training: input.training ?? null,
    };
    await writeFile(summaryPath, JSON.stringify(summary, null, 2) + '\n');
    files.push(summaryPath);
  }
  const report = join(dir, 'report.md');
  await writeFile(report, buildReport({ ...input, plots }));
  return { report, files: [report, ...files] };
}
