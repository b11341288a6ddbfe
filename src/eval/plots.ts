/**
 * Vega-Lite specifications for the plots of an evaluation: the trade-off front of a weight sweep and the
 * training curves. Pure functions: they return spec objects (inline data, no file or network access);
 * `render.ts` turns a spec into SVG/PNG.
 *
 * Data rows carry one field per objective named `"<objective> NDCG@<k>"` (the axis titles come from the
 * field names); dots and brackets in objective names are escaped in field references as Vega-Lite requires.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { SweepTable } from './sweep';
import type { TrainingLogEntry } from './trainingLog';

/** A Vega-Lite specification (inline data), as `renderSvg`/`renderPng` take it. */
export type PlotSpec = TopLevelSpec;

/**
 * The font every plot asks for. `render.ts` gives resvg the font files of this family from the
 * `@expo-google-fonts/lato` package, so PNG text never depends on the machine's fonts.
 */
export const PLOT_FONT = 'Lato';

/** Shared Vega-Lite config: the plot font, and legends that never cut their labels. */
const CONFIG = { font: PLOT_FONT, legend: { labelLimit: 0, titleLimit: 0 } };

export interface PlotOptions {
  /** Plot title; default none. */
  title?: string;
  /** Size of one panel in pixels (before any PNG scale). Defaults 360 × 300 (front), 160 × 160 (matrix cell). */
  width?: number;
  height?: number;
  /** Indices of `table.rows` on the Pareto front; when given, points off the front are drawn hollow (legend only then). */
  front?: number[];
  /** The base ranker s0: its NDCG@k per objective of the table (main first); drawn as a labelled cross. */
  base?: { label?: string; ndcg: number[] };
  /** Label points with their weights: `'all'`, `'front'` (front points only) or `'none'`. Default all up to 20 points, else front. */
  labels?: 'all' | 'front' | 'none';
  /** Marked points (e.g. operating points chosen by `cosrank pick`): NDCG@k per objective (main first), drawn as labelled diamonds. */
  marked?: { label: string; ndcg: number[] }[];
  /** Dashed threshold lines (e.g. a constraint's bound) at `value` of objective `objective` (table index), drawn where that objective is an axis. */
  thresholds?: { objective: number; value: number; label: string }[];
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** The cut-off as written after a metric name: `@10`, or nothing for k = ∞ (the whole list). */
export function atK(k: number): string {
  return k === Infinity ? '' : `@${k}`;
}

/** The data field holding NDCG@k of an objective. */
export function ndcgField(objective: string, k: number): string {
  return `${objective} NDCG${atK(k)}`;
}

/** A field name as a Vega-Lite field reference: `.`, `[`, `]` and `\` are path syntax unless escaped. */
export function fieldRef(name: string): string {
  return name.replace(/[\\.[\]]/g, (c) => `\\${c}`);
}

/** `0.3, 0.7`: a weight vector as shown in tooltips and tables (up to 4 decimals, trailing zeros kept short). */
export function formatWeights(weights: number[]): string {
  return weights.map((w) => String(Number(w.toFixed(4)))).join(', ');
}

/** A point's label on the front plot: `w=0.3` for one auxiliary weight, `w=(0.3, 0.7)` for several. */
export function pointLabel(weights: number[]): string {
  return weights.length === 1 ? `w=${formatWeights(weights)}` : `w=(${formatWeights(weights)})`;
}

/**
 * One data row per sweep point, in table order: `point` (row index), `weights`, `label` (`pointLabel`), `onFront`
 * (when a front is given) and one NDCG field per objective (main first).
 */
export function sweepPlotRows(table: SweepTable, front?: number[]): Record<string, number | string | boolean>[] {
  const onFront = front ? new Set(front) : null;
  return table.rows.map((row, i) => {
    const out: Record<string, number | string | boolean> = { point: i, weights: formatWeights(row.weights), label: pointLabel(row.weights) };
    if (onFront) out.onFront = onFront.has(i);
    table.objectives.forEach((name, j) => {
      out[ndcgField(name, table.k)] = row.ndcg[j];
    });
    return out;
  });
}

function checkTable(table: SweepTable): void {
  if (table.objectives.length < 2) {
    throw new RangeError(`a sweep plot needs a main and at least one auxiliary objective, got [${table.objectives.join(', ')}]`);
  }
  table.rows.forEach((row, i) => {
    if (row.ndcg.length !== table.objectives.length) {
      throw new RangeError(`sweep row ${i} has ${row.ndcg.length} NDCG values for ${table.objectives.length} objectives`);
    }
  });
}

/**
 * The trade-off front of a sweep.
 * - m = 2 auxiliary objectives: x = NDCG@k of auxiliary 1, y = NDCG@k of auxiliary 2, points joined by a
 *   line in weight (table row) order, points coloured by the main objective's NDCG@k.
 * - m = 1: x = the auxiliary NDCG@k, y = the main NDCG@k (the two-objective trade-off), same marks.
 * - m > 2: the pairwise scatter matrix of `scatterMatrixSpec`.
 * Axes do not start at zero: NDCG differences along a front are small.
 */
export function frontPlotSpec(table: SweepTable, options: PlotOptions = {}): PlotSpec {
  checkTable(table);
  const m = table.objectives.length - 1;
  if (m > 2) return scatterMatrixSpec(table, options);
  const mainName = ndcgField(table.objectives[0], table.k);
  const xName = ndcgField(table.objectives[1], table.k);
  const yName = m === 2 ? ndcgField(table.objectives[2], table.k) : mainName;
  const [main, x, y] = [mainName, xName, yName].map(fieldRef);
  const scale = { zero: false };
  const rows = sweepPlotRows(table, options.front);
  // the front legend only says something when some point is off the front
  const offFront = options.front !== undefined && rows.some((r) => r.onFront === false);
  const labelMode = options.labels ?? (rows.length <= 20 ? 'all' : 'front');
  const candidates = labelMode === 'all' ? rows : labelMode === 'front' ? rows.filter((r) => r.onFront !== false) : [];
  const labelled = spreadLabels(candidates, xName, yName, options.base ? [options.base.ndcg[1], options.base.ndcg[m === 2 ? 2 : 0]] : null);
  const layer: Record<string, unknown>[] = [
    { mark: { type: 'line', color: '#9e9e9e' }, encoding: { order: { field: 'point', type: 'quantitative' } } },
    {
      mark: { type: 'point', filled: true, size: 80 },
      encoding: {
        color: { field: main, type: 'quantitative', scale: { scheme: 'viridis' } },
        ...(offFront ? { shape: { field: 'onFront', type: 'nominal', title: 'Pareto front' } } : {}),
        tooltip: tooltip(table, options.front !== undefined),
      },
    },
  ];
  if (labelled.length > 0) {
    layer.push({ data: { values: labelled }, mark: { type: 'text', align: 'left', dx: 8, dy: -8, fontSize: 9, color: '#424242' }, encoding: { text: { field: 'label' } } });
  }
  if (options.base) {
    if (options.base.ndcg.length !== table.objectives.length) {
      throw new RangeError(`the base ranker has ${options.base.ndcg.length} NDCG values for ${table.objectives.length} objectives`);
    }
    const label = options.base.label ?? 's0';
    const point: Record<string, number | string> = { label, weights: label };
    table.objectives.forEach((name, j) => (point[ndcgField(name, table.k)] = options.base!.ndcg[j]));
    layer.push(
      { data: { values: [point] }, mark: { type: 'point', shape: 'cross', size: 140, filled: true, color: '#d32f2f' }, encoding: { tooltip: tooltip(table, false) } },
      { data: { values: [point] }, mark: { type: 'text', align: 'left', dx: 8, dy: 10, fontSize: 11, fontWeight: 'bold', color: '#d32f2f' }, encoding: { text: { field: 'label' } } },
    );
  }
  layer.push(...markedLayers(table, options, m));
  return {
    $schema: SCHEMA,
    config: CONFIG,
    ...(options.title ? { title: options.title } : {}),
    width: options.width ?? 360,
    height: options.height ?? 300,
    data: { values: rows },
    encoding: {
      x: { field: x, type: 'quantitative', scale, title: xName },
      y: { field: y, type: 'quantitative', scale, title: yName },
    },
    layer,
  } as unknown as PlotSpec; // layers are built as plain records above
}

/** Layers of `options.marked` (diamonds) and `options.thresholds` (dashed rules on the axis showing that objective). */
function markedLayers(table: SweepTable, options: PlotOptions, m: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const p of options.marked ?? []) {
    if (p.ndcg.length !== table.objectives.length) throw new RangeError(`marked point '${p.label}' has ${p.ndcg.length} NDCG values for ${table.objectives.length} objectives`);
    const point: Record<string, number | string> = { label: p.label, weights: p.label };
    table.objectives.forEach((name, j) => (point[ndcgField(name, table.k)] = p.ndcg[j]));
    out.push(
      { data: { values: [point] }, mark: { type: 'point', shape: 'diamond', size: 220, filled: true, color: '#ef6c00' }, encoding: { tooltip: tooltip(table, false) } },
      { data: { values: [point] }, mark: { type: 'text', align: 'left', dx: 10, dy: -10, fontSize: 11, fontWeight: 'bold', color: '#ef6c00' }, encoding: { text: { field: 'label' } } },
    );
  }
  // m = 1: x = objective 1, y = main; m = 2: x = objective 1, y = objective 2 (the main objective is the colour)
  const axisOf = (j: number): 'x' | 'y' | null => (j === 1 ? 'x' : (m === 1 && j === 0) || (m === 2 && j === 2) ? 'y' : null);
  for (const t of options.thresholds ?? []) {
    const axis = axisOf(t.objective);
    if (axis === null) continue;
    const other = axis === 'x' ? 'y' : 'x';
    const values = [{ threshold: t.value, label: t.label }];
    out.push(
      { data: { values }, mark: { type: 'rule', strokeDash: [6, 4], color: '#1565c0' }, encoding: { [axis]: { field: 'threshold', type: 'quantitative' }, [other]: null } },
      {
        data: { values },
        mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 4, dy: -2, fontSize: 10, color: '#1565c0', ...(axis === 'x' ? { angle: 270 } : {}) },
        encoding: { [axis]: { field: 'threshold', type: 'quantitative' }, [other]: { value: 4 }, text: { field: 'label' } },
      },
    );
  }
  return out;
}

/** Smallest distance between two labelled points, as a fraction of the plotted ranges. */
const LABEL_SPACING = 0.06;

/**
 * The rows to label: in order, each row whose point is at least `LABEL_SPACING` (of the x and y ranges
 * of all points, the base included) from every row labelled before it, so dense clusters do not
 * print labels over each other.
 */
function spreadLabels(rows: Record<string, number | string | boolean>[], xName: string, yName: string, base: [number, number] | null): Record<string, number | string | boolean>[] {
  const xs = rows.map((r) => Number(r[xName])).concat(base ? [base[0]] : []);
  const ys = rows.map((r) => Number(r[yName])).concat(base ? [base[1]] : []);
  const span = (v: number[]): number => Math.max(...v) - Math.min(...v) || 1;
  const [sx, sy] = [span(xs), span(ys)];
  const kept: Record<string, number | string | boolean>[] = [];
  for (const r of rows) {
    const far = kept.every((k) => Math.hypot((Number(r[xName]) - Number(k[xName])) / sx, (Number(r[yName]) - Number(k[yName])) / sy) >= LABEL_SPACING);
    if (far) kept.push(r);
  }
  return kept;
}

function tooltip(table: SweepTable, withFront: boolean): { field: string; type: 'nominal' | 'quantitative'; format?: string }[] {
  return [
    { field: 'weights', type: 'nominal' },
    ...table.objectives.map((name) => ({ field: fieldRef(ndcgField(name, table.k)), type: 'quantitative' as const, format: '.4f' })),
    ...(withFront ? [{ field: 'onFront', type: 'nominal' as const }] : []),
  ];
}

/**
 * Pairwise scatter matrix (Vega-Lite `repeat`) of the auxiliary objectives' NDCG@k, every point coloured by
 * the main objective's NDCG@k. Rows and columns both list the auxiliary fields in objective order.
 */
export function scatterMatrixSpec(table: SweepTable, options: PlotOptions = {}): PlotSpec {
  checkTable(table);
  const aux = table.objectives.slice(1).map((name) => fieldRef(ndcgField(name, table.k)));
  const main = fieldRef(ndcgField(table.objectives[0], table.k));
  const rows = sweepPlotRows(table, options.front);
  const offFront = options.front !== undefined && rows.some((r) => r.onFront === false);
  return {
    $schema: SCHEMA,
    config: CONFIG,
    ...(options.title ? { title: options.title } : {}),
    data: { values: rows },
    repeat: { row: aux, column: aux },
    spec: {
      width: options.width ?? 160,
      height: options.height ?? 160,
      mark: { type: 'point', filled: true },
      encoding: {
        x: { field: { repeat: 'column' }, type: 'quantitative', scale: { zero: false } },
        y: { field: { repeat: 'row' }, type: 'quantitative', scale: { zero: false } },
        color: { field: main, type: 'quantitative', scale: { scheme: 'viridis' } },
        ...(offFront ? { shape: { field: 'onFront', type: 'nominal', title: 'Pareto front' } } : {}),
        tooltip: tooltip(table, options.front !== undefined),
      },
    },
  };
}

/** A training log with the name of its stage (e.g. `base s0`, `COS`), one line style per stage. */
export interface StageLog {
  stage: string;
  log: TrainingLogEntry[];
}

/** The panel a validation metric is drawn in: hypervolumes and NDCG-like values have different scales. */
export function metricPanel(name: string): 'hypervolume' | 'validation' {
  return /hypervolume/i.test(name) ? 'hypervolume' : 'validation';
}

/**
 * Long-form rows of training logs: one per (stage, step, series) with a value; `panel` is `loss`,
 * `validation` (NDCG and other per-objective metrics) or `hypervolume`.
 */
export function trainingCurveRows(logs: TrainingLogEntry[] | StageLog[]): { stage: string; step: number; panel: string; series: string; value: number }[] {
  const rows: { stage: string; step: number; panel: string; series: string; value: number }[] = [];
  for (const { stage, log } of stageLogs(logs)) {
    for (const e of log) {
      if (e.loss !== undefined) rows.push({ stage, step: e.step, panel: 'loss', series: 'loss', value: e.loss });
      for (const [name, value] of Object.entries(e.validation ?? {})) {
        rows.push({ stage, step: e.step, panel: metricPanel(name), series: name, value });
      }
    }
  }
  return rows;
}

function stageLogs(logs: TrainingLogEntry[] | StageLog[]): StageLog[] {
  if (logs.length === 0) return [];
  return 'log' in logs[0] ? (logs as StageLog[]) : [{ stage: 'COS', log: logs as TrainingLogEntry[] }];
}

/**
 * Training curves against the step, one row panel each for the training loss, the validation metrics
 * (NDCG…) and the hypervolume (panels without values are left out), independent y scales. Lines are
 * coloured by series and dashed by stage, so the base ranker's curves show beside the COS model's.
 * A plain log is one stage named `COS`.
 */
export function trainingCurvesSpec(logs: TrainingLogEntry[] | StageLog[], options: Omit<PlotOptions, 'front' | 'base' | 'labels'> = {}): PlotSpec {
  const rows = trainingCurveRows(logs);
  const panels = ['loss', 'validation', 'hypervolume'].filter((p) => rows.some((r) => r.panel === p));
  const stages = [...new Set(rows.map((r) => r.stage))];
  const longest = Math.max(...stageLogs(logs).map((s) => s.log.length), 0);
  return {
    $schema: SCHEMA,
    config: CONFIG,
    ...(options.title ? { title: options.title } : {}),
    data: { values: rows },
    facet: { row: { field: 'panel', type: 'nominal', title: null, sort: panels } },
    spec: {
      width: options.width ?? 420,
      height: options.height ?? 160,
      // point markers would replace the dash pattern in the stage legend's symbols
      mark: { type: 'line', point: longest <= 50 && stages.length === 1 },
      encoding: {
        x: { field: 'step', type: 'quantitative' },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
        color: { field: 'series', type: 'nominal', title: 'series', legend: { orient: 'bottom', columns: 2 } },
        ...(stages.length > 1 ? { strokeDash: { field: 'stage', type: 'nominal', title: 'stage', sort: stages, legend: { orient: 'bottom' } } } : {}),
        detail: { field: 'stage', type: 'nominal' },
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as PlotSpec;
}
