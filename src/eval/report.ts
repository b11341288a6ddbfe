/**
 * The evaluation report: a Markdown document with optional sections, filled by `cosrank eval` and by the
 * end-to-end pipeline. Every section is optional and appears only when its input is given, in this order:
 * dataset, objectives, metric policy, metric tables (base ranker, model…), summary (the paper's Table 1
 * columns: auxiliary hypervolume with its reference point, mean ± std main NDCG@k over the weight points,
 * training time, parameter count), sweep table (weights, NDCG@k per objective, front membership),
 * plots, notes.
 *
 * The sections are built once (`reportDocument`) and written as Markdown (`buildReport`) and as one
 * self-contained HTML page (`buildHtmlReport`, reportHtml.ts: plots inline as SVG, the plot font embedded).
 * `writeReport` writes `report.md` and `report.html` plus the artefacts beside them (plots as SVG and PNG,
 * `sweep.csv`, `summary.json`) and returns their paths. Front, hypervolume and main NDCG mean ± std come from
 * `frontSummary` (hypervolume.ts) unless given.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomicWrite';
import type { ObjectiveMetric } from './metrics';
import type { SweepTable } from './sweep';
import { frontSummary, type FrontSummary } from './hypervolume';
import type { TrainingLogEntry } from './trainingLog';
import { atK, formatWeights, frontPlotSpec, trainingCurvesSpec, type PlotSpec, type StageLog } from './plots';
import { renderSvg, svgToPng, type PngOptions } from './render';
import { htmlReport } from './reportHtml';
import type { ReportBlock, ReportDocument } from './reportDocument';

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
  /** The base ranker s0 on the sweep's data: NDCG@k per sweep objective (main first), drawn on the front plot. */
  base?: { name?: string; ndcg: number[] };
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

export type { ReportBlock, ReportDocument } from './reportDocument';

/** The report's sections (in the order of the module comment), for the Markdown and HTML writers. */
export function reportDocument(input: ReportInput): ReportDocument {
  const sections: ReportDocument['sections'] = [];
  const section = (heading: string, block: ReportBlock): void => {
    sections.push({ heading, blocks: [block] });
  };
  const table = (header: string[], rows: string[][]): ReportBlock => ({ kind: 'table', header, rows });
  if (input.dataset) {
    section('Dataset', table(['', ''], Object.entries(input.dataset).map(([key, v]) => [key, typeof v === 'number' ? String(v) : v])));
  }
  if (input.objectives) {
    section('Objectives', table(['objective', 'definition'], input.objectives.map((o, i) => [i === 0 ? `${o.name} (main)` : o.name, o.definition])));
  }
  if (input.policy) {
    const p = input.policy;
    const items = [`gain: ${p.gain}`, `k: ${p.k === Infinity ? 'all (whole list)' : p.k}`, `ties: ${p.ties}`, `IDCG=0 policy: ${describeIdcgZero(p)}`];
    section('Metric policy', { kind: 'list', items });
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
  if (input.plots && input.plots.length > 0) section('Plots', { kind: 'plots', plots: input.plots });
  if (input.notes && input.notes.length > 0) section('Notes', { kind: 'list', items: input.notes });
  return { title: input.title ?? 'cosrank evaluation report', sections };
}

function markdownTable(header: string[], rows: string[][]): string {
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}

function markdownBlock(block: ReportBlock): string {
  switch (block.kind) {
    case 'table':
      return markdownTable(block.header, block.rows);
    case 'list':
      return block.items.map((item) => `- ${item}`).join('\n');
    case 'plots':
      return block.plots.map((p) => `![${p.title}](${encodeURI(p.file)})`).join('\n\n');
  }
}

/**
 * Builds the report as one self-contained HTML page (same sections as the Markdown). `svgs` maps plot
 * file names of `input.plots` to SVG text placed inline; plots without one are linked.
 */
export function buildHtmlReport(input: ReportInput, svgs: Record<string, string> = {}): string {
  return htmlReport(reportDocument(input), svgs);
}

/** Builds the Markdown report (sections as listed in the module comment). */
export function buildReport(input: ReportInput): string {
  const doc = reportDocument(input);
  const out = [`# ${doc.title}`];
  for (const s of doc.sections) out.push(`## ${s.heading}`, ...s.blocks.map(markdownBlock));
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
  /** Training log to plot as training curves (`training.svg`/`.png`), as one stage named `COS`. */
  trainingLog?: TrainingLogEntry[];
  /** Training logs by stage (e.g. the base ranker's and the COS model's); used instead of `trainingLog`. */
  trainingLogs?: StageLog[];
  png?: PngOptions;
}

/**
 * Writes `dir/report.md` and `dir/report.html` and, beside them: for a sweep `sweep.csv`, `front.svg` and
 * `front.png`; for training logs `training.svg` and `training.png`; and `summary.json` (hypervolume and its
 * reference point, main NDCG mean ± std, front indices, policy, training cost) when any of those exist.
 * Creates `dir`; every file is written atomically. Returns the paths written, report.md first.
 */
export async function writeReport(dir: string, input: ReportInput, options: WriteReportOptions = {}): Promise<{ report: string; html: string; files: string[] }> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  const plots = [...(input.plots ?? [])];
  const svgs: Record<string, string> = {};
  const plot = async (name: string, title: string, spec: PlotSpec): Promise<void> => {
    const svg = await renderSvg(spec);
    const svgPath = join(dir, `${name}.svg`);
    const pngPath = join(dir, `${name}.png`);
    await writeFileAtomic(svgPath, svg);
    await writeFileAtomic(pngPath, svgToPng(svg, options.png));
    files.push(svgPath, pngPath);
    plots.push({ title, file: `${name}.png` });
    svgs[`${name}.png`] = svg;
  };
  const fs = sweepSummary(input);
  if (input.sweep && fs) {
    const csvPath = join(dir, 'sweep.csv');
    await writeFileAtomic(csvPath, sweepCsv(input.sweep, fs.front));
    files.push(csvPath);
    const title = input.sweep.objectives.length > 3 ? 'Auxiliary NDCG scatter matrix' : 'Trade-off front';
    const base = input.base ? { label: input.base.name ?? 's0', ndcg: input.base.ndcg } : undefined;
    await plot('front', title, frontPlotSpec(input.sweep, { front: fs.front, title, base }));
  }
  const logs = options.trainingLogs ?? (options.trainingLog ? [{ stage: 'COS', log: options.trainingLog }] : []);
  if (logs.some((l) => l.log.length > 0)) {
    await plot('training', 'Training curves', trainingCurvesSpec(logs, { title: 'Training curves' }));
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
    await writeFileAtomic(summaryPath, JSON.stringify(summary, null, 2) + '\n');
    files.push(summaryPath);
  }
  const report = join(dir, 'report.md');
  await writeFileAtomic(report, buildReport({ ...input, plots }));
  const html = join(dir, 'report.html');
  await writeFileAtomic(html, buildHtmlReport({ ...input, plots }, svgs));
  return { report, html, files: [report, html, ...files] };
}
