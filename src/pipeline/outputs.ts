/**
 * The report stage of `cosrank run`: the files a run leaves in its output folder besides the cache —
 * `model/` (the COS model with its test figures), `sweep.json`, `front.json`, the report with its plots
 * (src/eval/report.ts), `run.json` (the manifest) and `config.json` (the normalised config).
 */
import * as path from 'node:path';
import { documentCount, queryCount } from '../data/dataset';
import type { ResolvedObjective } from '../data/objectives';
import { hypervolume, type FrontSummary } from '../eval/hypervolume';
import type { ObjectiveMetric } from '../eval/metrics';
import { writeReport, type MethodSummary, type ReportInput } from '../eval/report';
import type { SweepTable } from '../eval/sweep';
import type { TrainingLogEntry } from '../eval/trainingLog';
import type { StageLog } from '../eval/plots';
import { saveModel, type SavedModel } from '../model/modelFile';
import { writeJsonAtomic } from '../util/atomicWrite';
import type { PreparedData } from './loadData';
import type { RunConfig } from './runConfig';
import type { SweepOutcome } from './sweepStage';

/** The files of a run's output folder. */
export interface RunFiles {
  model: string;
  report: string;
  sweepCsv: string;
  sweepJson: string;
  frontJson: string;
  plots: string[];
  manifest: string;
}

/** How the COS stage trained, for the report. */
export interface CosStageFigures {
  bestStep: number;
  steps: number;
  stoppedEarly: boolean;
  history: TrainingLogEntry[];
  seconds: number;
  parameters: number;
}

/** The name of the trained method in tables: `W-COS-DPO (this run)`. */
export function methodName(mode: RunConfig['cos']['mode']): string {
  return `${mode === 'tcos' ? 'T-COS' : mode === 'wcos' ? 'W-COS' : 'DPO-LS'}-DPO (this run)`;
}

/** One line saying how an objective was declared, for the report. */
export function objectiveDefinition(o: ResolvedObjective, featureNames: string[]): string {
  const s = o.source;
  const from = 'label' in s ? `label column '${s.label}'` : 'feature' in s ? `feature ${s.feature} (${featureNames[s.feature - 1] ?? '?'})` : `expression \`${s.expression}\``;
  const g = o.grading;
  const grading =
    g.kind === 'asIs'
      ? `graded as is${g.max !== undefined ? ` (0..${g.max})` : ''}`
      : g.kind === 'clip'
        ? `clipped to 0..${g.max}`
        : `${g.buckets} quantile buckets, cut points fitted on train [${(o.cutPoints ?? []).map((c) => Number(c.toPrecision(4))).join(', ')}]`;
  const parts = [from, `${o.invert ? 'inverted (larger raw is worse), ' : ''}${grading}`, `${o.target} target`];
  if (o.droppedFeatures.length) parts.push(`feature${o.droppedFeatures.length > 1 ? 's' : ''} ${o.droppedFeatures.join(', ')} dropped from the input`);
  return parts.join('; ');
}

/** Split sizes as the report shows them. */
function datasetSection(data: PreparedData): Record<string, string> {
  return {
    source: data.source,
    'train (queries / documents)': `${queryCount(data.train)} / ${documentCount(data.train)}`,
    'validation (queries / documents)': `${queryCount(data.validation)} / ${documentCount(data.validation)}`,
    'test (queries / documents)': `${queryCount(data.test)} / ${documentCount(data.test)}${data.testIsValidation ? ' (= validation)' : ''}`,
    'features (raw / model input)': `${data.rawFeatureCount} / ${data.train.nFeatures}`,
  };
}

/** s0 as one point of the summary table. */
export function baseSummary(baseTest: ObjectiveMetric[], reference: number[], seconds: number, parameters: number): MethodSummary {
  const aux = baseTest.slice(1).map((r) => r.mean);
  return {
    method: 'base ranker s0 (one point)',
    hypervolume: aux.every((v) => Number.isFinite(v)) ? hypervolume([aux], reference) : undefined,
    mainNdcg: { mean: baseTest[0].mean, std: 0 },
    trainingSeconds: seconds,
    parameters,
  };
}

/** The report of a run: data, objectives, conventions, s0, the sweep and its front, the methods compared, notes. */
export function runReportInput(
  config: RunConfig,
  data: PreparedData,
  sweep: SweepOutcome,
  cos: CosStageFigures,
  extra: { baselines: MethodSummary[]; notes: string[]; engine: { name: string; description: string } },
): ReportInput {
  const s = config.sweep;
  const table = sweep.table;
  return {
    title: config.report.title ?? `cosrank run${config.description ? `: ${config.description}` : ''}`,
    dataset: datasetSection(data),
    objectives: data.objectives.map((o) => ({ name: o.name, definition: objectiveDefinition(o, data.rawFeatureNames) })),
    policy: { gain: s.gain, k: s.k, idcgZero: s.idcgZero, ties: s.ties, idcgZeroQueries: Object.fromEntries(table.objectives.map((o, j) => [o, table.counts[j]?.skipped ?? 0])) },
    metricTables: [{ title: 'Base ranker s0 on the test split', rows: sweep.baseTest }],
    sweep: table,
    // s0 on the front plot: its test NDCG@k per objective of the sweep (same split, same objectives)
    base: sameObjectives(sweep.baseTest, table.objectives) ? { name: 's0', ndcg: sweep.baseTest.map((r) => r.mean) } : undefined,
    reference: sweep.reference,
    summary: sweep.front,
    method: methodName(config.cos.mode),
    training: { seconds: cos.seconds, parameters: cos.parameters },
    baselines: extra.baselines,
    notes: [
      ...extra.notes,
      `COS model: best validation at step ${cos.bestStep} of ${cos.steps}${cos.stoppedEarly ? ' (stopped early)' : ''}; training time and parameters in the summary are the COS network's (s0 is listed separately).`,
      `engine: ${extra.engine.name} (${extra.engine.description})`,
      ...(s.c !== 1 ? [`the sweep scores with the post-training temperature factor c = ${s.c} (s_c = (1 − 1/c)·s0 + (1/c)·s)`] : []),
      ...(data.testIsValidation ? ['the config gives no test files: the sweep is on the validation split, which also drove early stopping'] : []),
    ],
  };
}

function sameObjectives(rows: ObjectiveMetric[], objectives: string[]): boolean {
  return rows.length === objectives.length && rows.every((r, j) => r.objective === objectives[j]);
}

/** `sweep.json`: the table with its front, hypervolume, reference and main NDCG mean ± std. */
export async function writeSweepJson(file: string, table: SweepTable, front: FrontSummary, reference: number[]): Promise<void> {
  await writeJsonAtomic(file, { ...table, front: front.front, hypervolume: front.hypervolume, reference, mainNdcg: { mean: front.mainMean, std: front.mainStd } });
}

/** `front.json`: the points of the front with their weights and NDCG. */
export async function writeFrontJson(file: string, table: SweepTable, front: FrontSummary, reference: number[]): Promise<void> {
  await writeJsonAtomic(file, {
    objectives: table.objectives,
    k: table.k,
    reference,
    hypervolume: front.hypervolume,
    points: front.front.map((i) => ({ point: i, weights: table.rows[i].weights, ndcg: table.rows[i].ndcg })),
  });
}

/** Writes the model (with its test figures), the sweep and front files and the report; returns the paths (the manifest is written last, by the caller). */
export async function writeRunOutputs(out: string, cos: SavedModel, sweep: SweepOutcome, report: ReportInput, trainingLogs: StageLog[], pngScale: number): Promise<RunFiles> {
  const front = sweep.front;
  const model = path.join(out, 'model');
  const testMetrics = { 'test.hypervolume': front.hypervolume, 'test.mainNdcg.mean': front.mainMean, 'test.mainNdcg.std': front.mainStd };
  await saveModel(model, { ...cos, metrics: { ...cos.metrics, ...testMetrics } });
  const sweepJson = path.join(out, 'sweep.json');
  await writeSweepJson(sweepJson, sweep.table, front, sweep.reference);
  const frontJson = path.join(out, 'front.json');
  await writeFrontJson(frontJson, sweep.table, front, sweep.reference);
  const written = await writeReport(out, report, { trainingLogs, png: { scale: pngScale } });
  const plots = written.files.filter((f) => /\.(png|svg)$/.test(f));
  return { model, report: written.report, sweepCsv: path.join(out, 'sweep.csv'), sweepJson, frontJson, plots, manifest: path.join(out, 'run.json') };
}
