/**
 * `cosrank convert IN OUT`: reads a dataset in any supported format and writes it as Arrow (canonical
 * layout), Parquet or LETOR text, chosen by OUT's extension; optionally applies declared objectives
 * (a JSON file or a named preset) on the way.
 *
 * Also exports the reader flags shared with `cosrank inspect`.
 */
import { stat } from 'node:fs/promises';
import { intFlag, listFlag, parseCommandArgs } from '../args';
import { UsageError, type CliCommand, type CliIO } from '../io';
import { readConfigFile } from '../configFile';
import { inputProgress } from '../progress';
import { DATA_FORMATS, formatFromPath, readDataset, writeDataset, type DataFormat, type ReadOptions } from '../../data/read';
import { documentCount, queryCount, type RankingDataset } from '../../data/dataset';
import type { ResolvedObjective } from '../../data/objectives';
import type { ProgressCallback } from '../../util/progress';
import { DEFAULT_MAX_FEATURES } from '../../data/readLimits';
import { checkWritable } from '../../util/atomicWrite';

/** Reader flags (parseArgs option specs) shared by the commands that read one dataset. */
export const READ_ARG_OPTIONS = {
  format: { type: 'string' },
  'zero-based': { type: 'boolean' },
  'query-file': { type: 'string' },
  group: { type: 'boolean' },
  qid: { type: 'string' },
  labels: { type: 'string' },
  features: { type: 'string' },
  docid: { type: 'string' },
  'no-header': { type: 'boolean' },
  delimiter: { type: 'string' },
  'non-finite': { type: 'string' },
  'max-features': { type: 'string' },
  'unsorted-indices': { type: 'boolean' },
} as const;

/** Help lines for `READ_ARG_OPTIONS`. */
export const READ_ARG_HELP = `Reading:
  --format F             input format: letor | csv | arrow | parquet   (default from the extension:
                         .arrow/.feather/.ipc arrow, .parquet, .csv/.tsv csv, anything else letor)
  --zero-based           LETOR feature indices start at 0                        (default 1-based)
  --query-file F         LETOR without qid: a LightGBM-style group-size file
  --group                regroup rows whose queries are not contiguous (else an error)
  --qid COL              CSV/Arrow/Parquet query-id column (name or 0-based index)  (default qid)
  --labels A,B           label columns, main objective first        (default relevance or label)
  --features SPEC        feature columns: names, indices or ranges like f1-f131 or 3-140, comma-separated
                         (CSV; for Arrow/Parquet a list of names or 'rest')   (default every other column)
  --docid COL            document-id column                       (default docid when present)
  --no-header            CSV without a header line (give --qid and --labels as indices)
  --delimiter D          CSV field delimiter, 'tab' for a tab      (default , or tab for .tsv)
  --non-finite P         NaN / Inf in features or labels of any format, as float32 (so 1e39 counts):
                         error | keep                                                (default error)
  --max-features N       refuse data with more than N features               (default ${DEFAULT_MAX_FEATURES})
                         given, it also admits sparse LETOR read dense: without it, a high index
                         whose dense table is over 256 MiB and 64× the file's values is refused
  --unsorted-indices     accept LETOR feature indices that do not increase along a line
                         (default: refused, as SVMlight requires)`;

/** Values of the reader flags as parseArgs returns them. */
export interface ReadArgValues {
  format?: string;
  'zero-based'?: boolean;
  'query-file'?: string;
  group?: boolean;
  qid?: string;
  labels?: string;
  features?: string;
  docid?: string;
  'no-header'?: boolean;
  delimiter?: string;
  'non-finite'?: string;
  'max-features'?: string;
  'unsorted-indices'?: boolean;
}

/** Reader options from the reader flags. */
export function readOptionsFromArgs(values: ReadArgValues, onProgress: ProgressCallback): ReadOptions {
  let format: DataFormat | undefined;
  if (values.format !== undefined) {
    if (!(DATA_FORMATS as readonly string[]).includes(values.format)) {
      throw new UsageError(`--format must be one of ${DATA_FORMATS.join(', ')}, got '${values.format}'`);
    }
    format = values.format as DataFormat;
  }
  const groupNonContiguous = values.group ?? false;
  const nonFinite = values['non-finite'] ?? 'error';
  if (nonFinite !== 'error' && nonFinite !== 'keep') throw new UsageError(`--non-finite must be error or keep, got '${nonFinite}'`);
  const labels = values.labels === undefined ? undefined : listFlag('labels', values.labels);
  const maxFeatures = values['max-features'] === undefined ? undefined : intFlag('max-features', values['max-features'], 1);
  return {
    format,
    onProgress,
    letor: {
      zeroBased: values['zero-based'] ?? false,
      queryFile: values['query-file'],
      groupNonContiguous,
      nonFinite,
      maxFeatures,
      unsortedIndices: values['unsorted-indices'] ?? false,
    },
    csv: {
      header: !values['no-header'],
      delimiter: values.delimiter === 'tab' ? '\t' : values.delimiter,
      qid: values.qid,
      labels,
      features: values.features,
      docid: values.docid,
      groupNonContiguous,
      nonFinite,
      maxFeatures,
    },
    arrow: {
      qidColumn: values.qid,
      labelColumns: labels,
      featureColumns: values.features === 'rest' || values.features === undefined ? values.features : listFlag('features', values.features),
      docidColumn: values.docid,
      groupNonContiguous,
      nonFinite,
      maxFeatures,
    },
  };
}

const HELP = `Usage: cosrank convert IN OUT [options]

Converts a ranking dataset. OUT's extension picks the output: .arrow (canonical Arrow IPC file, every
label column kept), .parquet (same columns), anything else LETOR text (the main label only).

${READ_ARG_HELP}

Objectives (optional, at most one):
  --objectives FILE      JSON list of objective declarations applied before writing
  --preset NAME          a built-in objective preset: mslr | letor4 | ohsumed | yahoo
Quantile cut points (required when an objective has quantile grading):
  --objectives-from X    use the cut points fitted on the training split: X is a converted training
                         file (.arrow/.parquet written with objectives) or a model directory; alone,
                         it also supplies the objective declarations
  --fit-on-input         fit the cut points on IN itself (for a training split only: a validation or
                         test file graded with its own cut points is not comparable)

Output:
  --json                 print a JSON summary of what was written on stdout`;

/**
 * The resolved objectives (with frozen cut points) of a converted training file or a model directory.
 * Everything they need is in the file's metadata or the model's model.json.
 */
async function frozenObjectives(from: string): Promise<ResolvedObjective[]> {
  const isDir = (await stat(from).catch(() => null))?.isDirectory() ?? false;
  if (isDir) {
    const { loadModel } = await import('../../model/modelFile');
    return (await loadModel(from)).objectives;
  }
  const ds = await readDataset(from, { arrow: { nonFinite: 'keep' }, letor: { nonFinite: 'keep' }, csv: { nonFinite: 'keep' } });
  const objectives = ds.metadata?.objectives;
  if (!Array.isArray(objectives) || objectives.length === 0) {
    throw new UsageError(`--objectives-from ${from}: this file carries no objectives (convert the training split with --preset/--objectives and --fit-on-input first)`);
  }
  return objectives as ResolvedObjective[];
}

/**
 * Applies objectives to the dataset read, refusing to fit quantile cut points on IN silently: they
 * come from `--objectives-from`, or from IN with `--fit-on-input`.
 */
async function objectivesApplied(
  ds: RankingDataset,
  input: string,
  values: { objectives?: string; preset?: string; 'objectives-from'?: string; 'fit-on-input'?: boolean },
): Promise<{ dataset: RankingDataset; objectives: ResolvedObjective[] } | null> {
  const from = values['objectives-from'];
  if (from !== undefined && values['fit-on-input']) throw new UsageError('give --objectives-from or --fit-on-input, not both');
  const resolved = from !== undefined ? await frozenObjectives(from) : undefined;
  const defs = (await objectiveDefs(values)) ?? resolved ?? null;
  if (!defs) {
    if (values['fit-on-input']) throw new UsageError('--fit-on-input needs --objectives or --preset');
    return null;
  }
  const quantile = defs.filter((d) => d.grading.kind === 'quantile').map((d) => d.name);
  if (quantile.length > 0 && !resolved && !values['fit-on-input']) {
    throw new UsageError(
      `objective${quantile.length > 1 ? 's' : ''} ${quantile.join(', ')} grade by quantiles: their cut points must come from the training split ` +
        `(--objectives-from TRAIN.arrow or MODEL_DIR), or be fitted on ${input} itself with --fit-on-input (for a training split)`,
    );
  }
  const { applyObjectives } = await import('../../data/objectives');
  return applyObjectives(ds, defs, resolved ? { resolved } : {});
}

async function objectiveDefs(values: { objectives?: string; preset?: string }) {
  if (values.objectives !== undefined && values.preset !== undefined) throw new UsageError('give --objectives or --preset, not both');
  if (values.objectives !== undefined) {
    const { parseObjectives } = await import('../../data/objectives');
    return parseObjectives(await readConfigFile(values.objectives, '--objectives'), values.objectives);
  }
  if (values.preset !== undefined) {
    const { presetObjectives, PRESET_NAMES } = await import('../../data/presets');
    const name = PRESET_NAMES.find((p) => p === values.preset);
    if (!name) throw new UsageError(`--preset must be one of ${PRESET_NAMES.join(', ')}, got '${values.preset}'`);
    return presetObjectives(name);
  }
  return null;
}

export const command: CliCommand = {
  name: 'convert',
  summary: 'convert a dataset between LETOR, CSV, Arrow and Parquet (optionally applying objectives)',
  help: HELP,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseCommandArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        ...READ_ARG_OPTIONS,
        objectives: { type: 'string' },
        preset: { type: 'string' },
        'objectives-from': { type: 'string' },
        'fit-on-input': { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
    if (positionals.length !== 2) throw new UsageError(`expected IN and OUT, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}`);
    const [input, output] = positionals;
    if (formatFromPath(output) === 'csv') throw new UsageError(`cannot write CSV (${output}); write .arrow, .parquet or LETOR text`);
    // an output that cannot be written is found before a long read, not after it
    await checkWritable(output);
    const progress = await inputProgress(io, input);
    try {
      // declarations are checked before the (possibly long) read
      await objectiveDefs(values);
      let ds: RankingDataset = await readDataset(input, readOptionsFromArgs(values, progress));
      let objectives: string[] | null = null;
      let cutPointsFrom: Record<string, string> | null = null;
      const applied = await objectivesApplied(ds, input, values);
      if (applied) {
        ds = applied.dataset;
        objectives = applied.objectives.map((o) => o.name);
        const quantile = applied.objectives.filter((o) => o.grading.kind === 'quantile');
        if (quantile.length > 0) cutPointsFrom = Object.fromEntries(quantile.map((o) => [o.name, o.fittedOn ?? 'unknown']));
      }
      await writeDataset(ds, output, { onProgress: progress });
      progress.stop();
      const outFormat = formatFromPath(output);
      const summary = {
        input,
        output,
        format: outFormat,
        queries: queryCount(ds),
        documents: documentCount(ds),
        features: ds.nFeatures,
        labels: outFormat === 'letor' ? ds.labelNames.slice(0, 1) : ds.labelNames,
        objectives,
        cutPointsFrom,
      };
      if (outFormat === 'letor' && ds.labelNames.length > 1) {
        io.stderr(`note: LETOR text keeps only the main label '${ds.labelNames[0]}'; write .arrow to keep all ${ds.labelNames.length} label columns\n`);
      }
      if (values.json) io.stdout(JSON.stringify(summary, null, 2) + '\n');
      else {
        io.stdout(
          `wrote ${output} (${outFormat}): ${summary.queries} queries, ${summary.documents} documents, ${summary.features} features, ` +
            `labels ${summary.labels.join(', ')}\n` +
            (cutPointsFrom ? Object.entries(cutPointsFrom).map(([name, where]) => `quantile cut points of '${name}' fitted on ${where}\n`).join('') : ''),
        );
      }
      return 0;
    } finally {
      progress.stop();
    }
  },
};
