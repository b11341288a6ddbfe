/**
 * `cosrank pick MODEL --data FILE --maximize OBJ --constraint EXPR --name NAME`: chooses an operating point
 * under constraints and stores it in the model (src/pipeline/pick.ts does the work; this only parses and prints).
 */
import { intFlag, parseCommandArgs } from '../args';
import type { EngineRequest } from '../../engine/select';
import { describePoint } from '../../eval/operatingSearch';
import { pickOperatingPoint, storeRoutes, type PickFigures, type PickResult } from '../../pipeline/pick';
import { cliProgress } from '../progress';
import { UsageError, type CliCommand, type CliIO } from '../io';

const HELP = `Usage: cosrank pick MODEL --data FILE --maximize OBJ [--maximize OBJ …] [--constraint EXPR …] --name NAME [options]
       cosrank pick MODEL --routes FILE

Chooses an operating point — the weights w, the factor c (and β for T-COS models) — of a trained COS
model on FILE, and stores it in MODEL's model.json under NAME with its provenance (data hash,
constraints, objective values, date). Serve it with {"operatingPoint": NAME} or
ranker.rerank(docs, { operatingPoint: NAME }). A summary pick-NAME.md and a front plot pick-NAME.svg
(the point, the base ranker s0, the constraint's bound) are written beside MODEL.

Search: a lattice over the weight simplex (the sweep's: H = 10 divisions for up to two auxiliary
objectives, fewer for more so that it has ≤ 100 points) × c ∈ {0.5, 0.75, 1, 1.5, 2, 3}
(× β_j ∈ {0.67, 1, 1.5} for T-COS), then local refinement around the best points (c within
[0.25, 6], β within [0.67, 1.5]). The c = 1 lattice points are the plain sweep's, so the choice is never
worse than the best feasible sweep point.

  --maximize OBJ       objective to maximise (NDCG@k); repeat it for several: they are combined by their
                       MEAN NDCG@k (ties broken by the first given, then the next, …)
  --constraint EXPR    a comparison (>=, >, <=, <) over objective names (the point's NDCG@k) and
                       base.<name> (the base ranker's NDCG@k on the same data), with numbers, + - * /,
                       min, max, abs; e.g. "relevance >= 0.98 * base.relevance" or "clicks >= 0.6".
                       Repeat for several (all must hold). No point satisfying them all is an error that
                       names the best value each constraint reached.
  --data FILE          data of the choice (any format cosrank reads, the model's raw features)  (required)
  --name NAME          name of the operating point (letters, digits, _ - .; not 'default')   (required)
  --test FILE          also report the chosen point on held-out data (never used for the choice)
  --force              replace an existing operating point of the same name
  --routes FILE        store request routes in the model (with the new point, or alone): a JSON array
                       [{"when": {"vertical": "news"}, "use": "fresh"}, {"use": "default"}]; the first rule
                       whose attributes all equal the request's "context" wins; "default" = the model's
                       default trade-off; checked against the model's points (unknown point, a rule that
                       can never match). 'cosrank serve --routes FILE' overrides the stored routes.
  --k N                NDCG cut-off                                                          (default 10)
  --divisions H        lattice divisions of the weights                    (default: the sweep's, 10 for m ≤ 2)
  --max-evaluations N  evaluation budget, lattice included                                  (default 3000)
  --engine E           auto | onnx | tfjs                                                   (default auto)
  --json               print the result as JSON`;

interface PickArgs {
  model: string;
  routes?: string;
  data: string;
  maximize: string[];
  constraints: string[];
  name: string;
  test?: string;
  force: boolean;
  k: number;
  divisions?: number;
  maxEvaluations: number;
  engine: EngineRequest;
  json: boolean;
}

function parsePickArgs(argv: string[]): PickArgs | { routesOnly: string; model: string } {
  const { values, positionals } = parseCommandArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      data: { type: 'string' },
      maximize: { type: 'string', multiple: true },
      constraint: { type: 'string', multiple: true },
      name: { type: 'string' },
      test: { type: 'string' },
      force: { type: 'boolean', default: false },
      routes: { type: 'string' },
      k: { type: 'string', default: '10' },
      divisions: { type: 'string' },
      'max-evaluations': { type: 'string', default: '3000' },
      engine: { type: 'string', default: 'auto' },
      json: { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`expected one model directory, got ${positionals.length} arguments`);
  if (values.routes && !values.data && !values.name && !values.maximize && !values.constraint) return { routesOnly: values.routes, model: positionals[0] };
  if (!values.data) throw new UsageError('--data is required');
  if (!values.name) throw new UsageError('--name is required');
  if (!values.maximize || values.maximize.length === 0) throw new UsageError('--maximize is required (at least one objective)');
  if (!['auto', 'onnx', 'tfjs'].includes(values.engine)) throw new UsageError(`--engine must be one of auto, onnx, tfjs, got '${values.engine}'`);
  return {
    model: positionals[0],
    ...(values.routes ? { routes: values.routes } : {}),
    data: values.data,
    maximize: values.maximize,
    constraints: values.constraint ?? [],
    name: values.name,
    ...(values.test ? { test: values.test } : {}),
    force: values.force,
    k: intFlag('k', values.k, 1, 10_000),
    ...(values.divisions !== undefined ? { divisions: intFlag('divisions', values.divisions, 1, 100) } : {}),
    maxEvaluations: intFlag('max-evaluations', values['max-evaluations'], 1, 1_000_000),
    engine: values.engine as EngineRequest,
    json: values.json,
  };
}

const f4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));

function figureLines(title: string, fig: PickFigures, objectives: string[]): string[] {
  const width = Math.max(9, ...objectives.map((o) => o.length));
  const lines = [title, `  ${'objective'.padEnd(width)}  ${'point'.padStart(8)}  ${'base s0'.padStart(8)}  ${'diff'.padStart(8)}`];
  for (const o of objectives) {
    const d = fig.ndcg[o] - fig.base[o];
    lines.push(`  ${o.padEnd(width)}  ${f4(fig.ndcg[o]).padStart(8)}  ${f4(fig.base[o]).padStart(8)}  ${((d >= 0 ? '+' : '') + f4(d)).padStart(8)}`);
  }
  for (const c of fig.constraints) lines.push(`  constraint ${c.constraint}: ${f4(c.lhs)} vs ${f4(c.rhs)}, margin ${c.margin >= 0 ? '+' : ''}${f4(c.margin)}${c.satisfied ? '' : '  (does NOT hold)'}`);
  return lines;
}

function formatResult(r: PickResult): string {
  const aux = r.objectives.slice(1);
  const point = { weights: aux.map((n) => r.point.weights[n]), c: r.point.c, ...(r.point.beta ? { beta: aux.map((n) => (r.point.beta as Record<string, number>)[n]) } : {}) };
  const lines = [
    `operating point '${r.name}'${r.replaced ? ' (replaced)' : ''}: ${describePoint(point)}  (weights: ${aux.join(', ')})`,
    `  ${r.evaluated} points evaluated (lattice ${r.latticeSize}); maximised ${r.maximize.join(' + ')}: ${f4(r.score)}` +
      (r.sweepBest ? ` (best feasible sweep point at c = 1: ${f4(r.sweepBest.score)})` : ' (no sweep point at c = 1 is feasible)'),
    ...figureLines(`NDCG (${r.metric}) on ${r.data.file}:`, r.data, r.objectives),
    ...(r.test ? figureLines(`held out (not used for the choice) ${r.test.file}:`, r.test, r.objectives) : []),
    `stored in ${r.files.model}/model.json; summary ${r.files.summary}`,
  ];
  return lines.join('\n') + '\n';
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const parsed = parsePickArgs(argv);
  if ('routesOnly' in parsed) {
    const { routes, points } = await storeRoutes(parsed.model, parsed.routesOnly);
    io.stdout(`stored ${routes.length} route${routes.length === 1 ? '' : 's'} in ${parsed.model}/model.json (operating points: ${points.join(', ') || 'none'}, and default)\n`);
    return 0;
  }
  const args = parsed;
  const progress = cliProgress(io);
  try {
    const result = await pickOperatingPoint({
      model: args.model,
      data: args.data,
      maximize: args.maximize,
      constraints: args.constraints,
      name: args.name,
      ...(args.test ? { test: args.test } : {}),
      force: args.force,
      ...(args.routes ? { routes: args.routes } : {}),
      metric: { k: args.k },
      search: { ...(args.divisions !== undefined ? { divisions: args.divisions } : {}), maxEvaluations: args.maxEvaluations },
      engine: args.engine,
      onProgress: progress,
    });
    progress.stop();
    io.stdout(args.json ? JSON.stringify(result, null, 2) + '\n' : formatResult(result));
    return 0;
  } finally {
    progress.stop();
  }
}

export const command: CliCommand = { name: 'pick', summary: 'choose an operating point under constraints and store it in the model', help: HELP, run };
