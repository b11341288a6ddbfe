/**
 * `cosrank convert IN OUT`: reads a dataset in any supported format and writes it as Arrow (canonical
 * layout), Parquet or LETOR text, chosen by OUT's extension; optionally applies declared objectives
 * (a JSON file or a named preset) on the way.
 *
 * Also exports the reader flags shared with `cosrank inspect`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { UsageError, type CliCommand, type CliIO } from '../io';
import { inputProgress } from '../progress';
import { DATA_FORMATS, formatFromPath, readDataset, writeDataset, type DataFormat, type ReadOptions } from '../../data/read';
import { documentCount, queryCount, type RankingDataset } from '../../data/dataset';
import { ConfigError } from '../../util/errors';
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
  const list = (s: string | undefined) => s?.split(',').map((x) => x.trim()).filter((x) => x !== '');
  const groupNonContiguous = values.group ?? false;
  const nonFinite = values['non-finite'] ?? 'error';
  if (nonFinite !== 'error' && nonFinite !== 'keep') throw new UsageError(`--non-finite must be error or keep, got '${nonFinite}'`);
  const maxText = values['max-features'];
  const maxFeatures = maxText === undefined ? undefined : Number(maxText);
  if (maxFeatures !== undefined && !(/^\d+$/.test(maxText!) && maxFeatures >= 1 && Number.isSafeInteger(maxFeatures))) {
    throw new UsageError(`--max-features must be a positive integer, got '${maxText}'`);
  }
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
      labels: list(values.labels),
      features: values.features,
      docid: values.docid,
      groupNonContiguous,
      nonFinite,
      maxFeatures,
    },
    arrow: {
      qidColumn: values.qid,
      labelColumns: list(values.labels),
      featureColumns: values.features === 'rest' ? 'rest' : list(values.features),
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

Output:
  --json                 print a JSON summary of what was written on stdout`;

async function objectiveDefs(values: { objectives?: string; preset?: string }) {
  if (values.objectives !== undefined && values.preset !== undefined) throw new UsageError('give --objectives or --preset, not both');
  if (values.objectives !== undefined) {
    const { parseObjectives } = await import('../../data/objectives');
    const file = values.objectives;
    let json: unknown;
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (err) {
      throw new ConfigError([{ path: '$', value: file, expected: `a readable JSON file (${err instanceof Error ? err.message : String(err)})` }], file);
    }
    return parseObjectives(json, file);
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
    const { values, positionals } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: { ...READ_ARG_OPTIONS, objectives: { type: 'string' }, preset: { type: 'string' }, json: { type: 'boolean' } },
    });
    if (positionals.length !== 2) throw new UsageError(`expected IN and OUT, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}`);
    const [input, output] = positionals;
    if (formatFromPath(output) === 'csv') throw new UsageError(`cannot write CSV (${output}); write .arrow, .parquet or LETOR text`);
    // an output that cannot be written is found before a long read, not after it
    await checkWritable(output);
    const progress = await inputProgress(io, input);
    try {
      const defs = await objectiveDefs(values);
      let ds: RankingDataset = await readDataset(input, readOptionsFromArgs(values, progress));
      let objectives: string[] | null = null;
      if (defs) {
        const { applyObjectives } = await import('../../data/objectives');
        const applied = applyObjectives(ds, defs);
        ds = applied.dataset;
        objectives = applied.objectives.map((o) => o.name);
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
      };
      if (outFormat === 'letor' && ds.labelNames.length > 1) {
        io.stderr(`note: LETOR text keeps only the main label '${ds.labelNames[0]}'; write .arrow to keep all ${ds.labelNames.length} label columns\n`);
      }
      if (values.json) io.stdout(JSON.stringify(summary, null, 2) + '\n');
      else {
        io.stdout(
          `wrote ${output} (${outFormat}): ${summary.queries} queries, ${summary.documents} documents, ${summary.features} features, ` +
            `labels ${summary.labels.join(', ')}\n`,
        );
      }
      return 0;
    } finally {
      progress.stop();
    }
  },
};
