/**
 * `cosrank generate`: writes a synthetic MSLR-shaped dataset (src/data/generate.ts) to an Arrow file,
 * streaming record batches, and prints a short summary (sizes, list lengths, grade histograms).
 */
import { intFlag, listFlag, numberFlag, parseCommandArgs, seedFlag } from '../args';
import { UsageError, type CliCommand, type CliIO } from '../io';
import { cliProgress } from '../progress';
import { GENERATOR_DEFAULTS, generateToArrow, type GenerateSummary, type GeneratorOptions, type SyntheticObjective } from '../../data/generate';

const HELP = `Usage: cosrank generate --queries N --seed S --out FILE.arrow [options]

Generates synthetic MSLR-WEB10K-shaped data: ${GENERATOR_DEFAULTS.nFeatures} features, heavy-tailed list lengths,
relevance 0-4 skewed like MSLR, and auxiliary objectives freshness (grade correlation with relevance
${GENERATOR_DEFAULTS.objectives[0].correlation}), clicks (${GENERATOR_DEFAULTS.objectives[1].correlation}) and quality (${GENERATOR_DEFAULTS.objectives[2].correlation}).
Raw click signals sit at features 134-136 and quality scores at 132-133, as in MSLR.

Options:
  --queries N            number of queries                                  (required)
  --seed S               random seed, an integer 0 … 4294967295 (2^32 − 1)  (required)
  --out FILE             output Arrow IPC file (.arrow)                     (required)
  --mean-length N        mean documents per query                           (default ${GENERATOR_DEFAULTS.meanListLength})
  --max-length N         longest list                                       (default ${GENERATOR_DEFAULTS.maxListLength})
  --noise X              multiplier of the feature noise                    (default ${GENERATOR_DEFAULTS.noise})
  --label-noise L        share λ of relevance no feature sees, in [0, 1)    (default ${GENERATOR_DEFAULTS.labelNoise}: as hard
                         to rank as MSLR-WEB10K; 0 = almost perfectly predictable relevance)
  --objectives LIST      auxiliary objectives as name:correlation pairs, comma-separated, each the
                         grade correlation with relevance (negative allowed), e.g.
                         freshness:-0.3,clicks:0.5,quality:0.2,novelty:-0.2,depth:0.1
                         (default ${GENERATOR_DEFAULTS.objectives.map((o) => `${o.name}:${o.correlation}`).join(',')})
  --json                 print the summary as JSON on stdout`;

/** An optional flag's value through `read` (absent: undefined, the generator's default). */
const optional = <T>(text: string | undefined, read: (text: string) => T): T | undefined => (text === undefined ? undefined : read(text));

/** `name:correlation,…` → objectives (grade shares default; the library checks names and ranges). */
function objectiveList(text: string): SyntheticObjective[] {
  return listFlag('objectives', text).map((item) => {
    const m = /^\s*([^:\s]+)\s*:\s*(\S+)\s*$/.exec(item);
    if (!m) throw new UsageError(`--objectives takes name:correlation pairs separated by commas, got '${item}'`);
    return { name: m[1], correlation: numberFlag('objectives', m[2]) };
  });
}

function parseGenerateArgs(argv: string[]): { options: GeneratorOptions; out: string; json: boolean } {
  const { values } = parseCommandArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      queries: { type: 'string' },
      seed: { type: 'string' },
      out: { type: 'string' },
      'mean-length': { type: 'string' },
      'max-length': { type: 'string' },
      noise: { type: 'string' },
      'label-noise': { type: 'string' },
      objectives: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  for (const flag of ['queries', 'seed', 'out'] as const) if (values[flag] === undefined) throw new UsageError(`--${flag} is required`);
  const out = values.out as string;
  if (!out.endsWith('.arrow')) throw new UsageError(`--out must name an .arrow file, got '${out}'`);
  return {
    options: {
      queries: intFlag('queries', values.queries as string, -Infinity),
      seed: seedFlag(values.seed as string),
      meanListLength: optional(values['mean-length'], (t) => numberFlag('mean-length', t)),
      maxListLength: optional(values['max-length'], (t) => intFlag('max-length', t, -Infinity)),
      noise: optional(values.noise, (t) => numberFlag('noise', t)),
      labelNoise: optional(values['label-noise'], (t) => numberFlag('label-noise', t)),
      objectives: values.objectives === undefined ? undefined : objectiveList(values.objectives),
    },
    out,
    json: values.json === true,
  };
}

function formatSummary(s: GenerateSummary, out: string, seconds: number): string {
  const lines = [
    `wrote ${out} in ${seconds.toFixed(1)} s`,
    `queries ${s.queries}, documents ${s.documents}, list length min ${s.listLength.min} / mean ${s.listLength.mean.toFixed(1)} / max ${s.listLength.max}`,
    '',
    `${'grade'.padEnd(12)}${s.histograms[0].map((_, g) => String(g).padStart(10)).join('')}`,
  ];
  s.labelNames.forEach((name, j) => {
    const h = s.histograms[j];
    lines.push(`${name.padEnd(12)}${h.map((c) => `${((100 * c) / s.documents).toFixed(1)}%`.padStart(10)).join('')}`);
  });
  return lines.join('\n') + '\n';
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const { options, out, json } = parseGenerateArgs(argv);
  const progress = cliProgress(io);
  const start = Date.now();
  try {
    const summary = await generateToArrow(options, out, progress);
    const seconds = (Date.now() - start) / 1000;
    io.stdout(json ? JSON.stringify({ out, seconds, ...summary }, null, 2) + '\n' : formatSummary(summary, out, seconds));
  } finally {
    progress.stop();
  }
  return 0;
}

export const command: CliCommand = {
  name: 'generate',
  summary: 'write a synthetic MSLR-shaped dataset (Arrow) with correlated auxiliary objectives',
  help: HELP,
  run,
};
