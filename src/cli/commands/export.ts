/**
 * `cosrank export <modelDir> --onnx OUT.onnx`: the conditioned ranker as one ONNX graph with the trade-off
 * as inputs, verified against the native runtime on export (src/serve/exportRanker.ts).
 */
import { parseCommandArgs, seedFlag } from '../args';
import { DEFAULT_EXPORT_TOLERANCE, exportRanker, type GraphValue } from '../../serve/exportRanker';
import { UsageError, type CliCommand, type CliIO } from '../io';

/** Largest |onnx − native| accepted on the verification inputs. */
const TOLERANCE = DEFAULT_EXPORT_TOLERANCE;

const HELP = `Usage: cosrank export <modelDir> --onnx OUT.onnx [options]

Writes the whole ranker — base ranker s0 and the conditioned COS network, MLP or transformer, with
parameters baked in — as one ONNX graph (opset 17, IR 8) that takes the trade-off as inputs, for search
engines that run ONNX rankers (Vespa and others). On export the file is scored on seeded random inputs
with onnxruntime-node and with the native runtime (the tfjs engine); the max absolute difference is
printed, and the file is written (atomically) only if it is at most ${TOLERANCE}.

Graph inputs (float32; m = number of auxiliary objectives, F = model-input features):
  features  [R, F]       one row per document, when every scorer is an MLP
            [B, N, F]    B lists of N document slots, when a transformer is involved; then also
  mask      [B, N]       1 = real document, 0 = padding slot
  w         [m]          trade-off in the order of the model's auxiliary objectives; non-negative and
                         summing to 1 (the graph does not normalise it)
  beta      [m]          per-objective temperatures β > 0, 1 = as trained (T-COS models only)
  c         []           post-training temperature factor > 0, 1 = as trained (COS models)
Graph output:
  scores    [R] | [B, N] ranking scores, larger is better
The features are the model-input columns: the raw features minus those the objectives drop, in raw
order. The command prints which raw (1-based LETOR) feature each column is, with the objective order.

Options:
  --onnx FILE        output ONNX file                                      (required)
  --seed S           seed of the verification inputs (0 … 2^32 − 1)        (default 1)
  --json             print the graph interface and the verification as JSON`;

async function run(argv: string[], io: CliIO): Promise<number> {
  const { values, positionals } = parseCommandArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { onnx: { type: 'string' }, seed: { type: 'string', default: '1' }, json: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) throw new UsageError(`expected one model directory, got ${positionals.length} arguments`);
  if (values.onnx === undefined) throw new UsageError('--onnx OUT.onnx is required');
  const seed = seedFlag(values.seed);

  const report = await exportRanker(positionals[0], values.onnx, { seed, tolerance: TOLERANCE });
  const ok = report.verification.passed;
  if (values.json) {
    io.stdout(JSON.stringify(report, null, 2) + '\n');
  } else {
    const shape = (v: GraphValue) => `[${v.shape.join(', ')}]`;
    io.stdout(`${ok ? 'wrote' : 'did not write'} ${report.file} (${report.layout} layout)\n`);
    const conditioning = report.inputs.some((v) => v.name === 'beta') ? 'w and beta' : 'w';
    io.stdout(`objectives: main ${report.mainObjective}; ${conditioning} in the order ${report.objectives.join(', ') || '(none)'}\n`);
    io.stdout(`features: ${report.inputFeatures.length} model-input columns = raw features ${compactRanges(report.inputFeatures)} of ${report.rawFeatureCount}\n`);
    io.stdout(`default w: ${report.defaultWeights.join(', ') || '(none)'}\n`);
    for (const v of report.inputs) io.stdout(`  input  ${v.name.padEnd(9)} ${shape(v).padEnd(12)} ${v.meaning}\n`);
    for (const v of report.outputs) io.stdout(`  output ${v.name.padEnd(9)} ${shape(v).padEnd(12)} ${v.meaning}\n`);
    const { documents, cases, reference, maxAbsDiff } = report.verification;
    io.stdout(`verified: onnxruntime-node vs ${reference} on ${cases} × ${documents} random documents: max |diff| = ${maxAbsDiff.toExponential(2)} (tolerance ${TOLERANCE.toExponential(0)})\n`);
  }
  if (!ok) {
    io.stderr(`cosrank export: verification failed: max |diff| ${report.verification.maxAbsDiff} > ${TOLERANCE}; ${values.onnx} not written\n`);
    return 1;
  }
  return 0;
}

/** `1,2,3,5,7,8` → `1-3, 5, 7-8`. */
function compactRanges(xs: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j] + 1) j++;
    parts.push(j > i ? `${xs[i]}-${xs[j]}` : String(xs[i]));
    i = j + 1;
  }
  return parts.join(', ');
}

export const command: CliCommand = { name: 'export', summary: 'export a model as ONNX with the trade-off as inputs (verified)', help: HELP, run };
