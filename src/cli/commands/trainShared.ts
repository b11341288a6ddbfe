/**
 * What `cosrank train-base` and `cosrank train` share: option parsing, config loading with overrides,
 * and printing the figures. The work itself is src/pipeline/trainStages.ts.
 */
import type { StageRequest } from '../../pipeline/trainStages';
import { applyOverrides, parseTrainConfig, type TrainConfig } from '../../train/config';
import { namingFlags, parseCommandArgs } from '../args';
import { UsageError } from '../io';
import { readConfigFile } from '../configFile';

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
  const { values } = parseCommandArgs({
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

  const raw = values.config ? await readConfigFile(values.config, '--config') : {};
  // flags are shorthands for --set and win over the file, as --set does
  const shorthands: [string | undefined, string, string][] = [
    [values.seed, 'seed', '--seed'],
    [values.steps, `${stage}.maxSteps`, '--steps'],
    [values.engine === undefined ? undefined : JSON.stringify(values.engine), 'engine', '--engine'],
    [values.backend === undefined ? undefined : JSON.stringify(values.backend), 'backend', '--backend'],
    [values['checkpoint-every'], 'checkpoint.every', '--checkpoint-every'],
  ];
  const given = shorthands.filter(([value]) => value !== undefined);
  const sets = [...(values.set ?? []), ...given.map(([value, path]) => `${path}=${value}`)];
  const source = values.config ?? 'config';
  const flags = Object.fromEntries(given.map(([, path, flag]) => [path, flag]));
  const config = await namingFlags(flags, source, () => parseTrainConfig(applyOverrides(raw, sets), source));
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

/** What a stage command prints with --json: camelCase keys, real booleans, the validation metrics by name. */
export function stageJson(r: { metrics: Record<string, number>; bestStep: number; steps: number; stoppedEarly: boolean; seconds: number }, extra: Record<string, unknown>): Record<string, unknown> {
  return { metrics: r.metrics, bestStep: r.bestStep, steps: r.steps, stoppedEarly: r.stoppedEarly, trainSeconds: r.seconds, ...extra };
}

/** `name value` lines, numbers with 4 decimals. */
/** The pipeline request of parsed stage-command options. */
export function stageRequest(args: TrainArgs, onProgress: StageRequest['onProgress']): StageRequest {
  return { config: args.config, configFile: args.configPath, train: args.train, validation: args.validation, out: args.out, resume: args.resume, onProgress };
}

export function figureLines(figures: Record<string, number | string>): string {
  return Object.entries(figures)
    .map(([k, v]) => `${k.padEnd(34)} ${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v}`)
    .join('\n');
}
