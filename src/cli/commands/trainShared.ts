/**
 * What `cosrank train-base` and `cosrank train` share: option parsing, config loading with overrides,
 * engine creation, and writing the model directory, run manifest and training log.
 */
import { readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { RankingDataset } from '../../data/dataset';
import type { ResolvedObjective } from '../../data/objectives';
import { objectiveInputMapping } from '../../data/objectives';
import type { Engine } from '../../engine/engine';
import { createEngine } from '../../engine/select';
import type { TrainingLogEntry } from '../../eval/trainingLog';
import { saveModel, type SavedModel } from '../../model/modelFile';
import { applyOverrides, parseTrainConfig, type TrainConfig } from '../../train/config';
import { datasetSummary, packageVersions, writeManifest } from '../../train/manifest';
import { ConfigError } from '../../util/errors';
import { UsageError } from '../io';

export const COMMON_OPTIONS_HELP = `  --config FILE          training config (JSON); defaults for everything not given
  --train FILE           training data (repeat to concatenate, e.g. S1 S2 S3)     (required)
  --validation FILE      validation data (repeatable)                             (required)
  --out DIR              model directory to write                                 (required)
  --set PATH=VALUE       override one config field, e.g. --set cos.lambda=0.1 (repeatable)
  --seed N               same as --set seed=N
  --engine NAME          auto | tfjs | onnx
  --backend NAME         tfjs backend: auto | tfjs-node-gpu | tfjs-node | wasm | cpu
  --checkpoint-every N   write a checkpoint every N steps (default: config checkpoint.every)
  --resume               continue from the checkpoint in the checkpoint folder
  --quiet                no progress output
  --json                 print the final figures as JSON on stdout`;

/** Printed after each command's own options. */
export const CONFIG_REFERENCE_HELP = `The config reference (every field, default and meaning) is docs/training-config.md.`;

export interface TrainArgs {
  configPath: string | null;
  train: string[];
  validation: string[];
  out: string;
  base: string | null;
  config: TrainConfig;
  resume: boolean;
  quiet: boolean;
  json: boolean;
}

/** Parses the shared options; `--steps` sets `<stage>.maxSteps`. */
export async function parseTrainArgs(argv: string[], stage: 'base' | 'cos'): Promise<TrainArgs> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      config: { type: 'string' },
      train: { type: 'string', multiple: true },
      validation: { type: 'string', multiple: true },
      out: { type: 'string' },
      base: { type: 'string' },
      set: { type: 'string', multiple: true },
      seed: { type: 'string' },
      steps: { type: 'string' },
      engine: { type: 'string' },
      backend: { type: 'string' },
      'checkpoint-every': { type: 'string' },
      resume: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.train?.length) throw new UsageError('--train is required');
  if (!values.validation?.length) throw new UsageError('--validation is required');
  if (!values.out) throw new UsageError('--out is required');
  if (stage === 'cos' && !values.base) throw new UsageError('--base (the model directory written by train-base) is required');
  if (stage === 'base' && values.base) throw new UsageError('--base belongs to `cosrank train`');

  let raw: unknown = {};
  if (values.config) {
    const text = await readFile(values.config, 'utf8').catch((err: Error) => {
      throw new UsageError(`cannot read --config ${values.config}: ${err.message}`);
    });
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ConfigError([{ path: '(root)', value: null, expected: `JSON (${err instanceof Error ? err.message : String(err)})` }], values.config);
    }
  }
  const sets = [...(values.set ?? [])];
  // flags are shorthands for --set and win over the file, as --set does
  if (values.seed !== undefined) sets.push(`seed=${values.seed}`);
  if (values.steps !== undefined) sets.push(`${stage}.maxSteps=${values.steps}`);
  if (values.engine !== undefined) sets.push(`engine="${values.engine}"`);
  if (values.backend !== undefined) sets.push(`backend="${values.backend}"`);
  if (values['checkpoint-every'] !== undefined) sets.push(`checkpoint.every=${values['checkpoint-every']}`);
  const config = parseTrainConfig(applyOverrides(raw, sets), values.config ?? 'config');
  return {
    configPath: values.config ?? null,
    train: values.train,
    validation: values.validation,
    out: values.out,
    base: values.base ?? null,
    config,
    resume: values.resume === true,
    quiet: values.quiet === true,
    json: values.json === true,
  };
}

export async function engineFor(config: TrainConfig): Promise<Engine> {
  return createEngine(config.engine, { tfjs: { backend: config.backend } });
}

/** The checkpoint folder of a run (null when checkpoints are off). */
export function checkpointDirOf(args: TrainArgs): string | undefined {
  if (args.config.checkpoint.every <= 0 && !args.resume) return undefined;
  return args.config.checkpoint.dir ?? `${path.resolve(args.out)}.checkpoints`;
}

/** Model fields that come from the data and its objectives. */
export function modelInputs(rawTrain: RankingDataset, train: RankingDataset, objectives: ResolvedObjective[]): Pick<SavedModel, 'objectives' | 'rawFeatureCount' | 'inputFeatures' | 'inputFeatureNames'> {
  return {
    objectives,
    rawFeatureCount: rawTrain.nFeatures,
    inputFeatures: Array.from(objectiveInputMapping(objectives, rawTrain.nFeatures)),
    inputFeatureNames: [...train.featureNames],
  };
}

/** Writes the model directory, then `run.json` and `training-log.jsonl` into it. */
export async function writeRun(
  args: TrainArgs,
  model: SavedModel,
  run: {
    stage: string;
    engine: Engine;
    train: RankingDataset;
    validation: RankingDataset;
    history: TrainingLogEntry[];
    timings: Record<string, number | string | null>;
    results: Record<string, unknown>;
  },
): Promise<void> {
  await saveModel(args.out, model);
  await writeFile(path.join(args.out, 'training-log.jsonl'), run.history.map((e) => JSON.stringify(e)).join('\n') + '\n');
  await writeManifest(args.out, {
    stage: run.stage,
    seed: args.config.seed,
    config: args.config,
    configFile: args.configPath,
    data: { train: datasetSummary(run.train, args.train.join(',')), validation: datasetSummary(run.validation, args.validation.join(',')) },
    base: args.base,
    engine: { name: run.engine.name, description: run.engine.description },
    packages: packageVersions(),
    timings: run.timings,
    results: run.results,
  });
}

/** `name value` lines, numbers with 4 decimals. */
export function figureLines(figures: Record<string, number | string>): string {
  return Object.entries(figures)
    .map(([k, v]) => `${k.padEnd(34)} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v}`)
    .join('\n');
}
