/**
 * The configuration of `cosrank run`: one JSON file describing the whole pipeline (data → objectives →
 * base ranker → COS-DPO ranker → sweep → report).
 *
 * Layout: the training keys of `TrainConfig` at the top level (`seed`, `engine`, `backend`, `objectives`,
 * `model`, `base`, `cos`, `checkpoint` — checked by `parseTrainConfig`) plus the run's own sections:
 *
 *     description  free text shown in the plan and the report
 *     data         where the data come from (exactly one of `generate`, `file`, `train`; none = generate
 *                  with `DEFAULT_GENERATE`), reader options, the seeded query split
 *     sweep        the weight points evaluated on the test split and the metric conventions
 *     report       report title and PNG scale
 *     out          output folder (null = decided by the caller, `runs/<config name>` in the CLI)
 *
 * Paths inside a config file are relative to that file (`resolveConfigPaths`); command-line paths are
 * relative to the working directory. `parseRunConfig` reports every problem at once in one ConfigError
 * (JSON path, value, what is allowed) and rejects unknown keys.
 */
import * as path from 'node:path';
import { DATA_FORMATS, type DataFormat } from '../data/read';
import { objectiveDefsOf } from '../data/presets';
import { GENERATOR_DEFAULTS, resolveGeneratorOptions, type SyntheticObjective } from '../data/generate';
import { weightPointsCheck, type WeightPoints } from '../eval/sweep';
import { DEFAULTS as TRAIN_DEFAULTS, MAX_SWEEP_POINTS, parseTrainConfig, type TrainConfig } from '../train/config';
import { ConfigError, type ConfigIssue } from '../util/errors';
import { arrayOf, int, isRecord, nullable, num, ObjectReader, oneOf, record, seedCheck, str, throwIfIssues, type Check } from '../util/validate';

/** Options of the synthetic MSLR-shaped generator (see src/data/generate.ts); `seed` null = the run's seed. */
export interface GenerateConfig {
  queries: number;
  seed: number | null;
  nFeatures: number;
  meanListLength: number;
  maxListLength: number;
  listLengthSigma: number;
  relevanceShares: number[] | null;
  objectives: SyntheticObjective[] | null;
  noise: number;
  /** Share λ of relevance that no feature sees (src/data/generate.ts); default `MSLR_LIKE_LABEL_NOISE` (MSLR-like difficulty), 0 = almost perfectly predictable labels. */
  labelNoise: number;
}

export interface DataConfig {
  /** Generated data (split by query with `split`). */
  generate: GenerateConfig | null;
  /** One dataset (one or several files concatenated) split by query with `split`. */
  file: string[] | null;
  /** Given splits, each one or several files concatenated; `test` null = the validation files. */
  train: string[] | null;
  validation: string[] | null;
  test: string[] | null;
  /** Reader format; null = from each file's extension. */
  format: DataFormat | null;
  /** Options of the CSV reader (header, delimiter, qid, labels, features, docid, labelNames, groupNonContiguous). */
  csv: Record<string, unknown>;
  /** Options of the LETOR reader (zeroBased, nFeatures, groupNonContiguous, nonFinite, maxFeatures, labelName). */
  letor: Record<string, unknown>;
  /** Seeded query split for `generate` and `file`: fractions train/validation/test; `seed` null = the run's seed. */
  split: { ratios: [number, number, number]; seed: number | null };
}

export interface SweepConfig {
  /** Simplex-lattice divisions H; null = 10 when that gives at most 100 points (m ≤ 3), else the largest H that does. At most `MAX_SWEEP_POINTS` points. */
  divisions: number | null;
  /**
   * The weight points: 'lattice' (of `divisions`; m = 2, H = 10: the 11 points t = 0, 0.1, …, 1) or
   * `{dirichlet: {count, seed = 1, alpha = 1, corners = true}}`: the m corners, then count − m seeded
   * Dirichlet(alpha) draws (eval/sweep.ts `weightPoints`); the same points for every run seed.
   */
  points: WeightPoints;
  k: number;
  gain: 'linear' | 'exponential';
  idcgZero: 'skip' | 'one' | 'zero';
  ties: 'stable' | 'pessimistic';
  /** Hypervolume reference point (one value per auxiliary objective); null = the origin. */
  reference: number[] | null;
  /** Post-training temperature factor c (1 = as trained). */
  c: number;
}

export interface ReportConfig {
  /** Report heading; null = "cosrank run: <description or config name>". */
  title: string | null;
  /** PNG pixel density. */
  pngScale: number;
}

/** Methods a run can compare on the same weight points (see compare.ts). */
export const METHOD_NAMES = ['wcos', 'tcos', 'dpo-ls', 'soup', 'mo-dpo'] as const;
export type MethodName = (typeof METHOD_NAMES)[number];

export interface RunConfig extends TrainConfig {
  description: string;
  /** Methods trained side by side from the same s0, data, points and budget; null = only `cos.mode`. */
  methods: MethodName[] | null;
  data: DataConfig;
  sweep: SweepConfig;
  report: ReportConfig;
  out: string | null;
}

/**
 * The generated dataset used when a config names no data: MSLR-shaped (136 features, relevance 0–4 and
 * the generator's freshness, clicks and quality grades), small enough to train in a minute on 2 cores.
 */
export const DEFAULT_GENERATE: GenerateConfig = {
  queries: 600,
  seed: null,
  nFeatures: 136,
  meanListLength: 50,
  maxListLength: 200,
  listLengthSigma: 0.8,
  relevanceShares: null,
  objectives: null,
  noise: 1,
  // the generator's calibrated default (MSLR-like difficulty); 0 = almost perfectly predictable labels
  labelNoise: GENERATOR_DEFAULTS.labelNoise,
};

export const DEFAULTS: RunConfig = {
  ...structuredClone(TRAIN_DEFAULTS),
  description: '',
  methods: null,
  data: {
    generate: null,
    file: null,
    train: null,
    validation: null,
    test: null,
    format: null,
    csv: {},
    letor: {},
    split: { ratios: [0.6, 0.2, 0.2], seed: null },
  },
  sweep: { divisions: null, points: 'lattice', k: 10, gain: 'linear', idcgZero: 'skip', ties: 'stable', reference: null, c: 1 },
  report: { title: null, pngScale: 2 },
  out: null,
};

const TRAIN_KEYS = Object.keys(TRAIN_DEFAULTS);
const RUN_KEYS = ['description', 'methods', 'data', 'sweep', 'report', 'out'];
const DATA_KEYS = Object.keys(DEFAULTS.data);
const GENERATE_KEYS = Object.keys(DEFAULT_GENERATE);
const SWEEP_KEYS = Object.keys(DEFAULTS.sweep);
const REPORT_KEYS = Object.keys(DEFAULTS.report);
const CSV_KEYS = ['header', 'delimiter', 'qid', 'labels', 'features', 'docid', 'labelNames', 'groupNonContiguous'];
const LETOR_KEYS = ['zeroBased', 'nFeatures', 'groupNonContiguous', 'nonFinite', 'maxFeatures', 'labelName'];

const isInt = (lo: number): Check => int(lo);
const isNum = (lo: number, open: boolean): Check => num(lo, { open });
const orNull = nullable;
const isString = str();
const isNumbers: Check = arrayOf(num(-Infinity), 'finite numbers');

/** One path or a non-empty array of paths, normalised to an array. */
function files(section: ObjectReader, key: string): string[] | null {
  const v = section.get<unknown>(key, null, (x) =>
    x === null || (typeof x === 'string' && x !== '') || (Array.isArray(x) && x.length > 0 && x.every((p) => typeof p === 'string' && p !== ''))
      ? null
      : 'null, a file path or a non-empty array of file paths (concatenated into one split)',
  );
  return v === null ? null : typeof v === 'string' ? [v] : (v as string[]);
}

function parseGenerate(value: unknown, issues: ConfigIssue[]): GenerateConfig {
  const s = new ObjectReader(value, 'data.generate', GENERATE_KEYS, issues);
  const g: GenerateConfig = {
    queries: s.get('queries', DEFAULT_GENERATE.queries, isInt(3)),
    seed: s.get('seed', DEFAULT_GENERATE.seed, orNull(seedCheck)),
    nFeatures: s.get('nFeatures', DEFAULT_GENERATE.nFeatures, isInt(11)),
    meanListLength: s.get('meanListLength', DEFAULT_GENERATE.meanListLength, isNum(1, false)),
    maxListLength: s.get('maxListLength', DEFAULT_GENERATE.maxListLength, isInt(1)),
    listLengthSigma: s.get('listLengthSigma', DEFAULT_GENERATE.listLengthSigma, isNum(0, false)),
    relevanceShares: s.get('relevanceShares', DEFAULT_GENERATE.relevanceShares, orNull(isNumbers)),
    objectives: s.get('objectives', DEFAULT_GENERATE.objectives, (v) =>
      v === null || (Array.isArray(v) && v.every(isRecord)) ? null : 'null or an array of {name, correlation, shares?}',
    ),
    noise: s.get('noise', DEFAULT_GENERATE.noise, isNum(0, true)),
    labelNoise: s.get('labelNoise', DEFAULT_GENERATE.labelNoise, isNum(0, false)),
  };
  // the generator's own cross-field checks (shares sum to 1, correlations in range, names), re-pathed
  try {
    resolveGeneratorOptions(generatorOptions(g, 0));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const i of err.issues) issues.push({ ...i, path: i.path.replace(/^generator/, 'data.generate') });
  }
  return g;
}

/** The generator options of a `data.generate` section; `runSeed` replaces a null seed. */
export function generatorOptions(g: GenerateConfig, runSeed: number) {
  return {
    queries: g.queries,
    seed: g.seed ?? runSeed,
    nFeatures: g.nFeatures,
    meanListLength: g.meanListLength,
    maxListLength: g.maxListLength,
    listLengthSigma: g.listLengthSigma,
    ...(g.relevanceShares ? { relevanceShares: g.relevanceShares } : {}),
    ...(g.objectives ? { objectives: g.objectives } : {}),
    noise: g.noise,
    labelNoise: g.labelNoise,
  };
}

function parseData(value: unknown, issues: ConfigIssue[]): DataConfig {
  const s = new ObjectReader(value, 'data', DATA_KEYS, issues);
  const generate = s.raw('generate') !== undefined && s.raw('generate') !== null ? parseGenerate(s.raw('generate'), issues) : null;
  const data: DataConfig = {
    generate,
    file: files(s, 'file'),
    train: files(s, 'train'),
    validation: files(s, 'validation'),
    test: files(s, 'test'),
    format: s.get('format', DEFAULTS.data.format, orNull(oneOf(...DATA_FORMATS))),
    csv: s.get('csv', DEFAULTS.data.csv, record('an object of CSV reader options')),
    letor: s.get('letor', DEFAULTS.data.letor, record('an object of LETOR reader options')),
    split: DEFAULTS.data.split,
  };
  new ObjectReader(data.csv, 'data.csv', CSV_KEYS, issues);
  new ObjectReader(data.letor, 'data.letor', LETOR_KEYS, issues);
  const split = new ObjectReader(s.raw('split'), 'data.split', ['ratios', 'seed'], issues);
  data.split = {
    ratios: split.get('ratios', DEFAULTS.data.split.ratios, (v) =>
      Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && x >= 0) && Math.abs((v as number[]).reduce((a, b) => a + b, 0) - 1) < 1e-9
        ? null
        : 'three non-negative fractions [train, validation, test] summing to 1',
    ),
    seed: split.get('seed', DEFAULTS.data.split.seed, orNull(seedCheck)),
  };
  const sources = (['generate', 'file', 'train'] as const).filter((k) => data[k] !== null);
  if (sources.length > 1) {
    issues.push({ path: 'data', value: sources, expected: 'exactly one data source: generate, file, or train (+ validation, test)' });
  }
  if (data.train !== null && data.validation === null) {
    issues.push({ path: 'data.validation', value: null, expected: 'validation file(s) beside data.train (early stopping needs them)' });
  }
  if (data.train === null) {
    for (const k of ['validation', 'test'] as const) {
      if (data[k] !== null) issues.push({ path: `data.${k}`, value: data[k], expected: 'null unless data.train is given (use data.file for one dataset split by query)' });
    }
  }
  return data;
}

function parseSweep(value: unknown, issues: ConfigIssue[]): SweepConfig {
  const s = new ObjectReader(value, 'sweep', SWEEP_KEYS, issues);
  const d = DEFAULTS.sweep;
  return {
    divisions: s.get('divisions', d.divisions, orNull(int(1, MAX_SWEEP_POINTS - 1))),
    points: s.get('points', d.points, weightPointsCheck),
    k: s.get('k', d.k, isInt(1)),
    gain: s.get('gain', d.gain, oneOf('linear', 'exponential')),
    idcgZero: s.get('idcgZero', d.idcgZero, oneOf('skip', 'one', 'zero')),
    ties: s.get('ties', d.ties, oneOf('stable', 'pessimistic')),
    reference: s.get('reference', d.reference, orNull(isNumbers)),
    c: s.get('c', d.c, isNum(0, true)),
  };
}

function parseReport(value: unknown, issues: ConfigIssue[]): ReportConfig {
  const s = new ObjectReader(value, 'report', REPORT_KEYS, issues);
  return {
    title: s.get('title', DEFAULTS.report.title, orNull(isString)),
    pngScale: s.get('pngScale', DEFAULTS.report.pngScale, isNum(0, true)),
  };
}

/** Checks a declared `objectives` value (preset name or definitions) while parsing, with its paths. */
function checkObjectives(v: unknown, issues: ConfigIssue[]): void {
  if (typeof v !== 'string' && !Array.isArray(v)) return; // null or a wrong type: parseTrainConfig reports it
  try {
    objectiveDefsOf(v, []);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues.push(...err.issues);
  }
}

/**
 * Validates a run config, filling every unspecified field from `DEFAULTS`, and throws one ConfigError
 * listing every problem (JSON path, bad value, what is allowed). Paths are kept as written (see
 * `resolveConfigPaths`). `source` names the file in the error.
 */
export function parseRunConfig(json: unknown, source = 'config'): RunConfig {
  const issues: ConfigIssue[] = [];
  const root = new ObjectReader(json === undefined ? {} : json, '', [...TRAIN_KEYS, ...RUN_KEYS], issues);
  const trainJson = Object.fromEntries(Object.entries(root.given).filter(([k]) => TRAIN_KEYS.includes(k)));
  let train: TrainConfig = structuredClone(TRAIN_DEFAULTS);
  try {
    train = parseTrainConfig(trainJson, source);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues.push(...err.issues);
  }
  if (root.has('objectives')) checkObjectives(root.raw('objectives'), issues);

  const description = root.get('description', DEFAULTS.description, str());
  const out = root.get('out', DEFAULTS.out, nullable(str('a folder path', true)));
  const methods = root.get('methods', DEFAULTS.methods, nullable(arrayOf(oneOf(...METHOD_NAMES), `method names (${METHOD_NAMES.join(', ')})`, 1)));

  const config: RunConfig = {
    ...train,
    description,
    methods,
    data: parseData(root.raw('data'), issues),
    sweep: parseSweep(root.raw('sweep'), issues),
    report: parseReport(root.raw('report'), issues),
    out,
  };
  throwIfIssues(issues, source);
  return config;
}

/** A copy of the config with every relative path in it (data files, LETOR query file, out, checkpoint dir) resolved against `baseDir`. */
export function resolveConfigPaths(config: RunConfig, baseDir: string): RunConfig {
  const abs = (p: string): string => path.resolve(baseDir, p);
  const many = (ps: string[] | null): string[] | null => (ps ? ps.map(abs) : null);
  return {
    ...config,
    data: {
      ...config.data,
      file: many(config.data.file),
      train: many(config.data.train),
      validation: many(config.data.validation),
      test: many(config.data.test),
    },
    out: config.out === null ? null : abs(config.out),
    checkpoint: { ...config.checkpoint, dir: config.checkpoint.dir === null ? null : abs(config.checkpoint.dir) },
  };
}
