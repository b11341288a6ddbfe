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

export interface PlotOptions {
  /** Plot title; default none. */
  title?: string;
  /** Size of one panel in pixels (before any PNG scale). Defaults 360 × 300 (front), 160 × 160 (matrix cell). */
  width?: number;
  height?: number;
  /** Indices of `table.rows` on the Pareto front; when given, points are shaped by front membership. */
  front?: number[];
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
function fieldRef(name: string): string {
  return name.replace(/[\\.[\]]/g, (c) => `\\${c}`);
}

/** `0.3, 0.7`: a weight vector as shown in tooltips and tables (up to 4 decimals, trailing zeros kept short). */
export function formatWeights(weights: number[]): string {
  return weights.map((w) => String(Number(w.toFixed(4)))).join(', ');
}

/**
 * One data row per sweep point, in table order: `point` (row index), `weights` (label), `onFront`
 * (when a front is given) and one NDCG field per objective (main first).
 */
export function sweepPlotRows(table: SweepTable, front?: number[]): Record<string, number | string | boolean>[] {
  const onFront = front ? new Set(front) : null;
  return table.rows.map((row, i) => {
    const out: Record<string, number | string | boolean> = { point: i, weights: formatWeights(row.weights) };
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
export function frontPlotSpec(table: SweepTable, options: PlotOptions = {}): TopLevelSpec {
  checkTable(table);
  const m = table.objectives.length - 1;
  if (m > 2) return scatterMatrixSpec(table, options);
  const main = fieldRef(ndcgField(table.objectives[0], table.k));
  const x = fieldRef(ndcgField(table.objectives[1], table.k));
  const y = m === 2 ? fieldRef(ndcgField(table.objectives[2], table.k)) : main;
  const scale = { zero: false };
  return {
    $schema: SCHEMA,
    ...(options.title ? { title: options.title } : {}),
    width: options.width ?? 360,
    height: options.height ?? 300,
    data: { values: sweepPlotRows(table, options.front) },
    encoding: {
      x: { field: x, type: 'quantitative', scale },
      y: { field: y, type: 'quantitative', scale },
    },
    layer: [
      { mark: { type: 'line', color: '#9e9e9e' }, encoding: { order: { field: 'point', type: 'quantitative' } } },
      {
        mark: { type: 'point', filled: true, size: 80 },
        encoding: {
          color: { field: main, type: 'quantitative', scale: { scheme: 'viridis' } },
          ...(options.front ? { shape: { field: 'onFront', type: 'nominal', title: 'Pareto front' } } : {}),
          tooltip: tooltip(table, options.front !== undefined),
        },
      },
    ],
  };
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
export function scatterMatrixSpec(table: SweepTable, options: PlotOptions = {}): TopLevelSpec {
  checkTable(table);
  const aux = table.objectives.slice(1).map((name) => fieldRef(ndcgField(name, table.k)));
  const main = fieldRef(ndcgField(table.objectives[0], table.k));
  return {
    $schema: SCHEMA,
    ...(options.title ? { title: options.title } : {}),
    data: { values: sweepPlotRows(table, options.front) },
    repeat: { row: aux, column: aux },
    spec: {
      width: options.width ?? 160,
      height: options.height ?? 160,
      mark: { type: 'point', filled: true },
      encoding: {
        x: { field: { repeat: 'column' }, type: 'quantitative', scale: { zero: false } },
        y: { field: { repeat: 'row' }, type: 'quantitative', scale: { zero: false } },
        color: { field: main, type: 'quantitative', scale: { scheme: 'viridis' } },
        ...(options.front ? { shape: { field: 'onFront', type: 'nominal', title: 'Pareto front' } } : {}),
        tooltip: tooltip(table, options.front !== undefined),
      },
    },
  };
}

/** Long-form rows of a training log: one per (step, series) with a value; `panel` is `loss` or `validation`. */
export function trainingCurveRows(log: TrainingLogEntry[]): { step: number; panel: string; series: string; value: number }[] {
  const rows: { step: number; panel: string; series: string; value: number }[] = [];
  for (const e of log) {
    if (e.loss !== undefined) rows.push({ step: e.step, panel: 'loss', series: 'loss', value: e.loss });
    for (const [name, value] of Object.entries(e.validation ?? {})) {
      rows.push({ step: e.step, panel: 'validation', series: name, value });
    }
  }
  return rows;
}

/**
 * Training curves: training loss and each validation metric against the step, as a row facet with one
 * panel for the loss and one for the validation metrics (independent y scales; a log with no validation
 * entries has only the loss panel).
 */
export function trainingCurvesSpec(log: TrainingLogEntry[], options: Omit<PlotOptions, 'front'> = {}): TopLevelSpec {
  return {
    $schema: SCHEMA,
    ...(options.title ? { title: options.title } : {}),
    data: { values: trainingCurveRows(log) },
    facet: { row: { field: 'panel', type: 'nominal', title: null, sort: ['loss', 'validation'] } },
    spec: {
      width: options.width ?? 420,
      height: options.height ?? 180,
      mark: { type: 'line', point: log.length <= 50 },
      encoding: {
        x: { field: 'step', type: 'quantitative' },
        y: { field: 'value', type: 'quantitative', scale: { zero: false }, title: null },
        color: { field: 'series', type: 'nominal', title: null },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}
