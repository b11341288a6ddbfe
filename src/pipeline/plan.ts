/**
 * The plan of `cosrank run`: what each stage will do, derived from the config alone (no file is read,
 * nothing is trained). `--dry-run` prints it; `runPipeline` returns it beside the outcome.
 */
import * as path from 'node:path';
import { objectiveDefsOf } from '../data/presets';
import { describeWeightPoints, MAX_SWEEP_POINTS, sameWeightPoints, weightPoints, type WeightPoints } from '../eval/sweep';
import { ConfigError } from '../util/errors';
import { DEFAULT_DIRICHLET_ALPHA, type NetConfig, type TrainConfig } from '../train/config';
import { DEFAULT_GENERATE, generatorOptions, type RunConfig } from './runConfig';

export interface PlanStep {
  stage: 'data' | 'objectives' | 'base' | 'cos' | 'methods' | 'sweep' | 'outputs';
  /** What the stage will do, one line. */
  action: string;
}

/** What a run will do, derived from the config alone (no file is read, nothing is trained). */
export interface RunPlan {
  description: string;
  out: string | null;
  cacheDir: string | null;
  steps: PlanStep[];
}

/** Number of simplex-lattice points with H divisions in m dimensions: C(H + m − 1, m − 1). */
export function latticeSize(divisions: number, m: number): number {
  let n = 1;
  for (let i = 1; i < m; i++) n = (n * (divisions + i)) / i;
  return Math.round(n);
}

/** Sweep divisions: the configured H, else 10 when that gives ≤ 100 points, else the largest H that does. */
export function sweepDivisions(m: number, divisions: number | null): number {
  if (divisions !== null) return divisions;
  for (let h = 10; h > 1; h--) if (latticeSize(h, m) <= 100) return h;
  return 1;
}

/**
 * `divisions`, refused (naming `path`) when the lattice they give for m objectives would have more than
 * MAX_SWEEP_POINTS points; Dirichlet points ignore the divisions. Every lattice the pipeline builds
 * passes here first, so a large H is an error before the points are allocated.
 */
export function latticeDivisions(m: number, points: WeightPoints, divisions: number, path: string): number {
  const size = latticeSize(divisions, m);
  if (points === 'lattice' && size > MAX_SWEEP_POINTS) {
    const expected = `divisions H whose lattice for m = ${m} auxiliary objectives, C(H + m − 1, m − 1), has at most ${MAX_SWEEP_POINTS} points (H = ${divisions} gives ${size.toExponential(2)})`;
    throw new ConfigError([{ path, value: divisions, expected }], 'weight points');
  }
  return divisions;
}

function netText(net: NetConfig): string {
  return net.kind === 'mlp'
    ? `MLP [${net.hidden.join(', ')}] ${net.activation}`
    : `transformer ${net.nLayers} layers, d=${net.dModel}, ${net.nHeads} heads, ff ${net.ffHidden}, ${net.activation}`;
}

function stepsText(stage: TrainConfig['base'] | TrainConfig['cos']): string {
  const length = stage.epochs !== null ? `${stage.epochs} epochs` : `≤ ${stage.maxSteps} steps`;
  const stop = stage.patience > 0 ? `, early stop after ${stage.patience} without gain` : '';
  return `${length} × ${stage.listsPerBatch} lists, lr ${stage.optimizer.learningRate}, validate every ${stage.validateEvery}${stop}`;
}

function filesText(files: string[]): string {
  return files.map((f) => path.basename(f)).join(' + ');
}

/** Number of auxiliary objectives when the config fixes it (declared objectives or generated labels), else null. */
export function plannedAuxiliaryCount(config: RunConfig): number | null {
  if (config.objectives !== null) return objectiveDefsOf(config.objectives, []).length - 1;
  const sourceless = config.data.file === null && config.data.train === null;
  if (sourceless) {
    const g = generatorOptions(config.data.generate ?? DEFAULT_GENERATE, config.seed);
    return g.objectives ? g.objectives.length : 3;
  }
  return null;
}

/**
 * Whether the methods stage must train the run's cos mode again: it reuses the cos stage's model only when
 * that stage was validated on exactly the comparison's weight points (compare.ts). Unknown m: false.
 */
function cosTrainedTwice(config: RunConfig, m: number | null): boolean {
  const mode = config.cos.mode;
  if (m === null || !config.methods || (mode !== 'wcos' && mode !== 'tcos') || !config.methods.includes(mode)) return false;
  const cosPoints = weightPoints(m, config.cos.sweepPoints, latticeDivisions(m, config.cos.sweepPoints, config.cos.sweepDivisions, 'cos.sweepDivisions'), 'cos.sweepPoints');
  const sweepPoints = weightPoints(m, config.sweep.points, latticeDivisions(m, config.sweep.points, sweepDivisions(m, config.sweep.divisions), 'sweep.divisions'), 'sweep.points');
  return !sameWeightPoints(cosPoints, sweepPoints);
}

/** The plan of a run (pure: reads no file). `--dry-run` prints it. */
export function planRun(config: RunConfig): RunPlan {
  const d = config.data;
  const splitSeed = d.split.seed ?? config.seed;
  const split = `split by query ${d.split.ratios.join('/')} (seed ${splitSeed})`;
  let data: string;
  if (d.train !== null) {
    const sameAsValidation = d.test === null || d.test.join('\u0000') === (d.validation ?? []).join('\u0000');
    const test = sameAsValidation ? `${filesText(d.validation ?? [])} (the validation files: the validation split doubles as test)` : filesText(d.test ?? []);
    data = `read train ${filesText(d.train)}; validation ${filesText(d.validation ?? [])}; test ${test}`;
  } else if (d.file !== null) {
    data = `read ${filesText(d.file)}, ${split}`;
  } else {
    const g = generatorOptions(d.generate ?? DEFAULT_GENERATE, config.seed);
    data = `generate ${g.queries} MSLR-shaped queries (${g.nFeatures} features, ~${g.meanListLength} documents each, seed ${g.seed}), ${split}`;
  }
  const defs = config.objectives === null ? null : objectiveDefsOf(config.objectives, []);
  const objectives = defs
    ? `${typeof config.objectives === 'string' ? `preset '${config.objectives}': ` : ''}${defs.map((o, i) => (i === 0 ? `${o.name} (main)` : o.name)).join(', ')}` +
      (defs.some((o) => o.grading.kind === 'quantile') ? '; quantile cut points fitted on train, frozen for validation and test' : '')
    : 'the label columns as they are (first = main)';
  const m = plannedAuxiliaryCount(config);
  const sweepText =
    m === null
      ? config.sweep.points === 'lattice'
        ? `simplex lattice over the auxiliary weights (${config.sweep.divisions === null ? 'divisions by m' : `H = ${config.sweep.divisions}`})`
        : `${config.sweep.points.dirichlet.count} seeded Dirichlet weight points (sweep.points)`
      : describeWeightPoints(m, config.sweep.points, latticeDivisions(m, config.sweep.points, sweepDivisions(m, config.sweep.divisions), 'sweep.divisions'));
  const s = config.sweep;
  const cos = config.cos;
  const out = config.out;
  return {
    description: config.description,
    out,
    cacheDir: out === null ? null : path.join(out, 'cache'),
    steps: [
      { stage: 'data', action: data },
      { stage: 'objectives', action: objectives },
      { stage: 'base', action: `train s0: ${netText(config.model)}, ${config.base.loss}, ${stepsText(config.base)}; engine ${config.engine}; reused from the cache when unchanged` },
      {
        stage: 'cos',
        action:
          `train ${cos.mode === 'tcos' ? 'T-COS' : cos.mode === 'wcos' ? 'W-COS' : 'DPO-LS'} (${cos.parametrisation}): ${netText(cos.net)}, ${stepsText(cos)}, ` +
          `β ${cos.beta ? `[${cos.beta.join(', ')}]` : '1'}, α ${cos.alpha ? `[${cos.alpha.join(', ')}]` : DEFAULT_DIRICHLET_ALPHA}, one w per ${cos.weightSampling === 'query' ? 'list' : 'step'}, λ ${cos.lambda}, early stopping on validation hypervolume; reused when unchanged`,
      },
      ...(config.methods || (cos.mode === 'dpo-ls' && cos.fixedWeights === null)
        ? [{ stage: 'methods' as const, action: `train ${[...new Set([...(config.methods ?? []), ...(cos.mode === 'dpo-ls' && cos.fixedWeights === null ? ['dpo-ls'] : [])])].join(', ')} from the same s0, data, weight points and step budget (each cached); compare.json, compare.md, compare.png/.svg${cosTrainedTwice(config, m) ? `; ${cos.mode} is trained twice: the cos stage validates on cos.sweepPoints / cos.sweepDivisions, which differ from sweep.points / sweep.divisions (set them alike to reuse it)` : ''}` }]
        : []),
      { stage: 'sweep', action: `${sweepText} on the test split: NDCG@${s.k} (gain ${s.gain}, IDCG=0 ${s.idcgZero}, ties ${s.ties}), c = ${s.c}; Pareto front and hypervolume` },
      { stage: 'outputs', action: `${out ?? '<out>'}: model/, sweep.csv, sweep.json, front.json, front.png/.svg, training.png/.svg, report.md, summary.json, run.json` },
    ],
  };
}

/** The plan as text, one stage a line. */
export function formatPlan(plan: RunPlan): string {
  const lines = [`Plan${plan.description ? ` — ${plan.description}` : ''}`];
  for (const s of plan.steps) lines.push(`  ${s.stage.padEnd(11)}${s.action}`);
  if (plan.cacheDir) lines.push(`  ${'cache'.padEnd(11)}${plan.cacheDir} (each stage keyed by a content hash)`);
  return lines.join('\n') + '\n';
}
