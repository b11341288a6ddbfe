/**
 * Scores every trained method's front on the test split (validation figures beside them) and writes
 * `compare.json`, `compare.md` and the overlay plot `compare.svg` / `compare.png` in the run folder.
 *
 * Per method: `{method, hypervolume, mainMean, mainStd, trainSeconds, validationSeconds, jobs, parameters,
 * points: [{weights, ndcg: {objective: value}}]}` on the test split, and `validation` with the same
 * figures at the chosen step. Monotonicity: for each auxiliary objective j, the points sorted by w_j
 * should not lose NDCG_j from one w_j to the next larger one; every violation is listed.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { RankingDataset } from '../data/dataset';
import type { Engine } from '../engine/engine';
import { compareFrontSpec } from '../eval/compareFront';
import { frontSummary } from '../eval/hypervolume';
import type { MetricOptions } from '../eval/metrics';
import { formatWeights } from '../eval/plots';
import { renderPng, renderSvg } from '../eval/render';
import type { SweepRow, SweepTable } from '../eval/sweep';
import { sweepRanker } from '../train/sweepScoring';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomicWrite';
import type { TrainedMethod } from './compare';

export interface FrontFigures {
  hypervolume: number;
  mainMean: number;
  mainStd: number;
  points: { weights: number[]; ndcg: Record<string, number> }[];
}

export interface MethodComparison extends FrontFigures {
  method: string;
  trainSeconds: number;
  validationSeconds: number;
  jobs: number;
  parameters: number;
  chosenStep: number;
  validation: FrontFigures;
  /** `pagerank: NDCG 0.512 at w=(0.3, 0.7) > 0.508 at w=(0.4, 0.6)` … (empty = monotone). */
  monotonicityViolations: string[];
  notes: string[];
}

function figures(table: SweepTable, reference: number[]): FrontFigures {
  const s = frontSummary(table, reference);
  return {
    hypervolume: s.hypervolume,
    mainMean: s.mainMean,
    mainStd: s.mainStd,
    points: table.rows.map((r) => ({ weights: r.weights, ndcg: Object.fromEntries(table.objectives.map((o, j) => [o, r.ndcg[j]])) })),
  };
}

/** Adjacent pairs (sorted by w_j) where the larger w_j has a smaller NDCG_j, for each auxiliary j. */
export function monotonicityViolations(rows: SweepRow[], objectives: string[]): string[] {
  const out: string[] = [];
  for (let j = 0; j + 1 < objectives.length; j++) {
    const order = rows.map((_, i) => i).sort((a, b) => rows[a].weights[j] - rows[b].weights[j]);
    for (let t = 1; t < order.length; t++) {
      const lo = rows[order[t - 1]];
      const hi = rows[order[t]];
      if (hi.weights[j] > lo.weights[j] && hi.ndcg[j + 1] < lo.ndcg[j + 1]) {
        out.push(`${objectives[j + 1]}: NDCG ${lo.ndcg[j + 1].toFixed(4)} at w=(${formatWeights(lo.weights)}) > ${hi.ndcg[j + 1].toFixed(4)} at w=(${formatWeights(hi.weights)})`);
      }
    }
  }
  return out;
}

/** A method's test sweep: each point scored by the model that serves it. */
async function testTable(engine: Engine, t: TrainedMethod, ds: RankingDataset, metric: MetricOptions): Promise<SweepTable> {
  let table: SweepTable | null = null;
  for (const p of t.points) {
    const model = t.models[p.model];
    const one = await sweepRanker(engine, model.spec, model.params, ds, [p.weights], { ...metric, ...(t.beta ? { beta: t.beta } : {}) });
    if (table === null) table = one;
    else table.rows.push(...one.rows);
  }
  if (table === null) throw new Error(`${t.method}: no weight point`);
  return table;
}

/** Test and validation figures of every method. */
export async function compareMethods(engine: Engine, trained: TrainedMethod[], test: RankingDataset, metric: MetricOptions, reference: number[]): Promise<{ methods: MethodComparison[]; tables: { method: string; table: SweepTable }[] }> {
  const methods: MethodComparison[] = [];
  const tables: { method: string; table: SweepTable }[] = [];
  for (const t of trained) {
    const table = await testTable(engine, t, test, metric);
    tables.push({ method: t.method, table });
    const validationTable: SweepTable = { ...table, rows: t.validation };
    methods.push({
      method: t.method,
      ...figures(table, reference),
      trainSeconds: t.trainSeconds,
      validationSeconds: t.validationSeconds,
      jobs: t.jobs,
      parameters: t.parameters,
      chosenStep: t.chosenStep,
      validation: figures(validationTable, reference),
      monotonicityViolations: monotonicityViolations(table.rows, table.objectives),
      notes: t.notes,
    });
  }
  return { methods, tables };
}

const f4 = (x: number) => x.toFixed(4);

/** compare.md: the table (test figures, validation beside them), monotonicity and notes per method. */
export function compareMarkdown(methods: MethodComparison[], context: { title: string; split: string; k: number; machine: string }): string {
  const lines = [
    `# ${context.title}`,
    '',
    `${context.split}. NDCG@${context.k}; hypervolume of the auxiliary NDCGs, reference point 0; main = the first objective; ` +
      'train s = optimiser steps of every job the front needs (validation excluded); each method\'s checkpoint chosen by its front\'s validation hypervolume.',
    '',
    '| method | hypervolume (test) | hypervolume (validation) | main mean ± std (test) | main mean ± std (validation) | train s | validation s | jobs | parameters |',
    '|---|---|---|---|---|---|---|---|---|',
    ...methods.map(
      (m) =>
        `| ${m.method} | ${f4(m.hypervolume)} | ${f4(m.validation.hypervolume)} | ${f4(m.mainMean)} ± ${f4(m.mainStd)} | ${f4(m.validation.mainMean)} ± ${f4(m.validation.mainStd)} | ` +
        `${m.trainSeconds.toFixed(1)} | ${m.validationSeconds.toFixed(1)} | ${m.jobs} | ${m.parameters.toLocaleString('en-US')} |`,
    ),
    '',
    '## Monotonicity in w (test split)',
    '',
    ...methods.map((m) => (m.monotonicityViolations.length === 0 ? `- ${m.method}: monotone in w for every auxiliary objective` : `- ${m.method}: ${m.monotonicityViolations.length} violation(s)\n${m.monotonicityViolations.map((v) => `  - ${v}`).join('\n')}`)),
    '',
    '## Notes',
    '',
    ...methods.flatMap((m) => m.notes.map((n) => `- ${m.method}: ${n}`)),
    '',
    `Machine: ${context.machine}`,
    '',
  ];
  return lines.join('\n');
}

/** Writes compare.json, compare.md and compare.svg/.png (the plot only when m ≥ 2). Returns the files. */
export async function writeComparison(
  out: string,
  result: { methods: MethodComparison[]; tables: { method: string; table: SweepTable }[] },
  context: { title: string; split: string; k: number; reference: number[]; pngScale?: number },
): Promise<string[]> {
  const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end of the run`;
  const files = [path.join(out, 'compare.json'), path.join(out, 'compare.md')];
  await writeJsonAtomic(files[0], { split: context.split, k: context.k, reference: context.reference, machine, methods: result.methods });
  await writeFileAtomic(files[1], compareMarkdown(result.methods, { ...context, machine }));
  if (result.tables[0].table.objectives.length >= 3) {
    const spec = compareFrontSpec(result.tables, { title: 'Fronts of the methods (test split)' });
    const svg = path.join(out, 'compare.svg');
    const png = path.join(out, 'compare.png');
    await writeFileAtomic(svg, await renderSvg(spec));
    await writeFileAtomic(png, await renderPng(spec, { scale: context.pngScale ?? 2 }));
    files.push(svg, png);
  }
  return files;
}
