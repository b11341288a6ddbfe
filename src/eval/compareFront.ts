/**
 * The comparison plot of `cosrank run` with `methods` (the paper's Fig. 2): every method's front on the
 * test split overlaid, auxiliary objective against auxiliary objective (the first two auxiliaries when
 * m > 2), one colour and marker per method, points labelled by their weights. Pure: returns a Vega-Lite
 * spec for `render.ts`.
 */
import { fieldRef, ndcgField, pointLabel, PLOT_FONT, type PlotSpec } from './plots';
import type { SweepTable } from './sweep';

const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down'];

export function compareFrontSpec(fronts: { method: string; table: SweepTable }[], options: { title?: string; width?: number; height?: number } = {}): PlotSpec {
  if (fronts.length === 0) throw new RangeError('compareFrontSpec: no method to plot');
  const t0 = fronts[0].table;
  if (t0.objectives.length < 3) throw new RangeError(`compareFrontSpec needs two auxiliary objectives, the sweep has ${t0.objectives.length - 1}`);
  const xName = ndcgField(t0.objectives[1], t0.k);
  const yName = ndcgField(t0.objectives[2], t0.k);
  const rows = fronts.flatMap(({ method, table }) =>
    table.rows.map((r, i) => ({ method, point: i, label: pointLabel(r.weights), [xName]: r.ndcg[1], [yName]: r.ndcg[2] })),
  );
  const methods = fronts.map((f) => f.method);
  const color = { field: 'method', type: 'nominal', scale: { domain: methods }, title: 'method' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    config: { font: PLOT_FONT, legend: { labelLimit: 0, titleLimit: 0 } },
    ...(options.title ? { title: options.title } : {}),
    width: options.width ?? 420,
    height: options.height ?? 340,
    data: { values: rows },
    encoding: {
      x: { field: fieldRef(xName), type: 'quantitative', scale: { zero: false }, title: xName },
      y: { field: fieldRef(yName), type: 'quantitative', scale: { zero: false }, title: yName },
      color,
    },
    layer: [
      { mark: { type: 'line', opacity: 0.5 }, encoding: { detail: { field: 'method' }, order: { field: 'point', type: 'quantitative' } } },
      { mark: { type: 'point', filled: true, size: 70 }, encoding: { shape: { field: 'method', type: 'nominal', scale: { domain: methods, range: SHAPES.slice(0, methods.length) } } } },
      { mark: { type: 'text', align: 'left', dx: 6, dy: -6, fontSize: 8 }, encoding: { text: { field: 'label' } } },
    ],
  } as unknown as PlotSpec;
}
