/**
 * The front plot of a pick (`pick-<name>.svg` beside the model): the trade-off between the first maximised
 * objective (x) and the objective the first constraint reads (y; the main objective when the constraint reads
 * the maximised one or there is none), over the weight lattice at the chosen c (and β). The operating point
 * is a labelled diamond, the base ranker s0 a cross, and each constraint on the y (or x) objective alone
 * whose margin is affine in it is drawn as a dashed line at its bound.
 */
import * as path from 'node:path';
import type { Constraint } from '../eval/constraints';
import { constraintMargin } from '../eval/constraints';
import type { TradeOffPoint } from '../eval/operatingSearch';
import { frontPlotSpec, type PlotSpec } from '../eval/plots';
import { renderSvg } from '../eval/render';
import { weightGrid, type SweepTable } from '../eval/sweep';
import { writeFileAtomic } from '../util/atomicWrite';

export interface PickPlotInput {
  name: string;
  /** Objective names, main first. */
  objectives: string[];
  maximize: string[];
  constraints: Constraint[];
  k: number;
  chosen: TradeOffPoint;
  /** NDCG@k per objective (main first) at the chosen point and for s0. */
  chosenNdcg: number[];
  base: number[];
  /** Lattice divisions of the weights. */
  divisions: number;
}

/** The two plotted objectives as table indices: [y, x]. */
function axes(input: PickPlotInput): [number, number] {
  const x = input.objectives.indexOf(input.maximize[0]);
  const read = input.constraints[0]?.objectives.map((o) => input.objectives.indexOf(o)).find((j) => j !== x);
  return [read ?? (x === 0 ? 1 : 0), x];
}

/**
 * Where `c` holds with equality as a function of objective `j` alone (other values at `at`), when it reads
 * only objective j and its margin is affine in it; else null.
 */
export function constraintBound(c: Constraint, j: number, name: string, at: number[], base: number[]): number | null {
  if (c.objectives.length !== 1 || c.objectives[0] !== name) return null;
  const f = (v: number) => {
    const point = [...at];
    point[j] = v;
    return constraintMargin(c, { point, base });
  };
  const [f0, fh, f1] = [f(0), f(0.5), f(1)];
  if (!(Math.abs(fh - (f0 + f1) / 2) < 1e-12 && f1 !== f0)) return null;
  return -f0 / (f1 - f0);
}

/** The plot's spec, given NDCG@k per objective at each lattice weight point (chosen c and β). */
export function pickPlotSpec(input: PickPlotInput, lattice: { weights: number[]; ndcg: number[] }[]): PlotSpec {
  const [y, x] = axes(input);
  const pick = (v: number[]) => [v[y], v[x]];
  const table: SweepTable = {
    objectives: [input.objectives[y], input.objectives[x]],
    k: input.k,
    policy: '',
    counts: [],
    rows: lattice.map((r) => ({ weights: r.weights, ndcg: pick(r.ndcg) })),
  };
  const thresholds = input.constraints.flatMap((c) =>
    [y, x].flatMap((j, axis) => {
      const v = constraintBound(c, j, input.objectives[j], input.chosenNdcg, input.base);
      return v === null ? [] : [{ objective: axis, value: v, label: c.text }];
    }),
  );
  const c = input.chosen;
  return frontPlotSpec(table, {
    title: `operating point '${input.name}': weights at c = ${Number(c.c.toPrecision(4))}${c.beta ? `, β = (${c.beta.map((b) => Number(b.toPrecision(3))).join(', ')})` : ''}`,
    base: { ndcg: pick(input.base) },
    marked: [{ label: input.name, ndcg: pick(input.chosenNdcg) }],
    thresholds,
  });
}

/** Evaluates the lattice at the chosen c/β, renders the plot and writes it beside the model; returns the file. */
export async function writePickPlot(
  modelDir: string,
  input: PickPlotInput,
  evaluate: (points: TradeOffPoint[]) => Promise<number[][]>,
): Promise<string> {
  const m = input.objectives.length - 1;
  const weights = weightGrid(m, { divisions: input.divisions }).map((w) => Array.from(w));
  const ndcg = await evaluate(weights.map((w) => ({ ...input.chosen, weights: w })));
  const svg = await renderSvg(pickPlotSpec(input, weights.map((w, i) => ({ weights: w, ndcg: ndcg[i] }))));
  const file = path.join(path.dirname(path.resolve(modelDir)), `pick-${input.name}.svg`);
  await writeFileAtomic(file, svg);
  return file;
}
