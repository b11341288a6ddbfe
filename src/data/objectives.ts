/**
 * Objectives declared as data (DESIGN.md §3): where each objective's label comes from, how raw values
 * become grades, and which source features leave the model input. Never coded per dataset.
 *
 * Example (the MSLR "query-URL clicks" objective, also run by test/data/objectives.test.ts):
 *
 *     parseObjectives([
 *       { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 4 } },
 *       { name: 'queryUrlClicks', source: { feature: 134 }, grading: { kind: 'quantile', buckets: 5 } },
 *     ])
 *
 * Pipeline per objective, per document: raw value (label column, feature, or mathjs expression) →
 * `invert` (raw ↦ −raw, larger raw is worse) → grading → a non-negative grade. The main objective is the
 * first one; `applyObjectives` writes the graded labels in declaration order.
 */
import type { EvalFunction } from 'mathjs';
import { ConfigError, DataError, type ConfigIssue } from '../util/errors';
import { gradeProblem } from './grades';
import { quantileCuts, quantileGrade } from './quantile';
import { checkExpression, mathjs, quoteExpression, shortExpression, type CheckedExpression } from './expression';
import { documentCount, type RankingDataset } from './dataset';
import { bool, checkKeys, checkValue, hasOwn, int, isRecord, num, oneOf, str, throwIfIssues } from '../util/validate';


/** Where an objective's raw value comes from. `feature` is a 1-based LETOR index. */
export type ObjectiveSource = { label: string } | { feature: number } | { expression: string };

/**
 * How raw values become grades.
 * - `asIs`: the raw value is the grade; it must be finite and ≥ 0, and ≤ `max` when `max` is given
 *   (a value outside is an error, never clamped).
 * - `clip`: grade = min(max(raw, 0), max) — the explicit clamp.
 * - `quantile`: `buckets` equal-mass buckets fitted on the training split and frozen (see `quantileCuts`).
 */
export type Grading = { kind: 'asIs'; max?: number } | { kind: 'clip'; max: number } | { kind: 'quantile'; buckets: number };

export interface ObjectiveDef {
  name: string;
  source: ObjectiveSource;
  grading: Grading;
  /** Remove the source features from the model input. Default: true for feature/expression sources, false for labels. */
  dropFromInput?: boolean;
  /** Target normalisation of the loss (DESIGN.md §1): L1 (`sparse`, default) or softmax (`dense`). */
  target?: 'sparse' | 'dense';
  /**
   * Larger raw value is worse (e.g. URL slash count). Applied before grading: quantile grades −raw;
   * clip grades `max − clip(raw, 0, max)`. Not allowed with `asIs` (write an expression instead).
   */
  invert?: boolean;
}

/** An objective with its defaults filled and its fitted state frozen (travels with the dataset and the model). */
export interface ResolvedObjective extends ObjectiveDef {
  dropFromInput: boolean;
  target: 'sparse' | 'dense';
  invert: boolean;
  /** Frozen quantile cut points (ascending, possibly repeated; of −raw when `invert`), for `quantile` grading only; see `quantile.ts`. */
  cutPoints?: number[];
  /**
   * Where the cut points were fitted (the source of the training data, e.g. a file name), for
   * `quantile` grading only; frozen cut points keep the place they were first fitted on.
   */
  fittedOn?: string;
  /** Raw features (1-based) removed from the model input because of this objective. */
  droppedFeatures: number[];
}

const OBJECTIVE_KEYS = ['name', 'source', 'grading', 'dropFromInput', 'target', 'invert'];
const SOURCE_KINDS = ['label', 'feature', 'expression'];
const GRADING_KEYS: Record<string, string[]> = { asIs: ['kind', 'max'], clip: ['kind', 'max'], quantile: ['kind', 'buckets'] };
const FEATURE_SYMBOL = /^f([1-9][0-9]*)$/;

function unknownKeys(obj: Record<string, unknown>, allowed: string[], path: string, issues: ConfigIssue[]): void {
  checkKeys(obj, allowed, path, issues, `no such key (allowed: ${allowed.join(', ')})`);
}

/** A checked expression (see `expression.ts`); declarations were checked by `parseObjectives`, so a problem here is a bug. */
function checkedExpression(expression: string): CheckedExpression {
  const checked = checkExpression(expression);
  if (typeof checked === 'string') throw new Error(`objective expression ${quoteExpression(expression)}: expected ${checked}`);
  return checked;
}

/** A mathjs constant such as `pi` or `e` (a number-valued member of the default instance). */
function isMathConstant(name: string): boolean {
  return typeof (mathjs() as unknown as Record<string, unknown>)[name] === 'number';
}


function checkSource(src: unknown, path: string, issues: ConfigIssue[]): void {
  if (!isRecord(src)) {
    issues.push({ path, value: src, expected: `an object with exactly one of: ${SOURCE_KINDS.join(', ')}` });
    return;
  }
  const kinds = SOURCE_KINDS.filter((k) => hasOwn(src, k));
  unknownKeys(src, SOURCE_KINDS, path, issues);
  if (kinds.length !== 1) {
    issues.push({ path, value: src, expected: `exactly one of: ${SOURCE_KINDS.join(', ')}` });
    return;
  }
  const kind = kinds[0];
  const v = src[kind];
  if (kind === 'label') checkValue(issues, `${path}.label`, v, str('a label column name', true));
  if (kind === 'feature') checkValue(issues, `${path}.feature`, v, int(1), 'a 1-based feature index (integer ≥ 1)');
  if (kind === 'expression') {
    if (typeof v !== 'string' || v.trim() === '') {
      issues.push({ path: `${path}.expression`, value: v, expected: 'a mathjs expression over f1..fN and label columns' });
      return;
    }
    const checked = checkExpression(v);
    if (typeof checked === 'string') issues.push({ path: `${path}.expression`, value: shortExpression(v), expected: checked });
  }
}

function checkGrading(g: unknown, path: string, issues: ConfigIssue[]): void {
  const kinds = Object.keys(GRADING_KEYS);
  if (!isRecord(g) || typeof g.kind !== 'string' || !hasOwn(GRADING_KEYS, g.kind)) {
    issues.push({ path: isRecord(g) ? `${path}.kind` : path, value: isRecord(g) ? g.kind : g, expected: `a grading kind: ${kinds.join(', ')}` });
    return;
  }
  unknownKeys(g, GRADING_KEYS[g.kind], path, issues);
  if (g.kind === 'clip' || (g.kind === 'asIs' && hasOwn(g, 'max'))) checkValue(issues, `${path}.max`, g.max, num(0, { open: true }));
  if (g.kind === 'quantile') checkValue(issues, `${path}.buckets`, g.buckets, int(2));
}

/**
 * Checks a JSON objectives declaration (an array, main objective first) and returns it typed.
 * Every problem is reported at once in one ConfigError (JSON path, bad value, what is allowed):
 * unknown keys, bad source/grading, duplicate names, expressions that do not parse (mathjs's message)
 * or call unknown functions. Symbols are checked against a dataset by `applyObjectives`.
 */
export function parseObjectives(json: unknown, source = 'objectives'): ObjectiveDef[] {
  const issues: ConfigIssue[] = [];
  if (!Array.isArray(json) || json.length === 0) {
    throw new ConfigError([{ path: '$', value: json, expected: 'a non-empty array of objectives, main objective first' }], source);
  }
  const seen = new Map<string, number>();
  json.forEach((o: unknown, i) => {
    const path = `$[${i}]`;
    if (!isRecord(o)) {
      issues.push({ path, value: o, expected: 'an objective object {name, source, grading, …}' });
      return;
    }
    unknownKeys(o, OBJECTIVE_KEYS, path, issues);
    if (typeof o.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(o.name)) {
      issues.push({ path: `${path}.name`, value: o.name, expected: 'an identifier (letters, digits, _)' });
    } else if (seen.has(o.name)) {
      issues.push({ path: `${path}.name`, value: o.name, expected: `a unique name (already used by $[${seen.get(o.name)}])` });
    } else seen.set(o.name, i);
    checkSource(o.source, `${path}.source`, issues);
    checkGrading(o.grading, `${path}.grading`, issues);
    if (hasOwn(o, 'dropFromInput')) checkValue(issues, `${path}.dropFromInput`, o.dropFromInput, bool);
    if (hasOwn(o, 'target')) checkValue(issues, `${path}.target`, o.target, oneOf('sparse', 'dense'));
    if (hasOwn(o, 'invert')) checkValue(issues, `${path}.invert`, o.invert, bool);
    if (o.invert === true && isRecord(o.grading) && o.grading.kind === 'asIs') {
      issues.push({ path: `${path}.invert`, value: true, expected: "invert only with 'clip' or 'quantile' grading (for 'asIs' write an expression such as '10 - f44')" });
    }
  });
  throwIfIssues(issues, source);
  return json as ObjectiveDef[];
}

export { quantileCuts, quantileGrade } from './quantile';

/** A compiled source: raw value of document d (before invert). */
type RawReader = (d: number) => number;

/** 1-based raw features an objective reads (for `dropFromInput`). */
function sourceFeatures(def: ObjectiveDef, ds: RankingDataset): number[] {
  const s = def.source;
  if ('feature' in s) return [s.feature];
  if ('label' in s) return [];
  const out = new Set<number>();
  for (const sym of checkedExpression(s.expression).symbols) {
    if (ds.labelNames.includes(sym)) continue; // a label column shadows a feature of the same name, as in compileSource
    const idx = featureIndexOf(sym, ds);
    if (idx !== null) out.add(idx + 1);
  }
  return [...out].sort((a, b) => a - b);
}

/** 0-based feature column a symbol names (`fN` or a feature name of the dataset), or null. */
function featureIndexOf(sym: string, ds: RankingDataset): number | null {
  const named = ds.featureNames.indexOf(sym);
  if (named >= 0) return named;
  const m = FEATURE_SYMBOL.exec(sym);
  if (m && Number(m[1]) <= ds.nFeatures) return Number(m[1]) - 1;
  return null;
}

/** Checks an objective's source against a dataset; pushes issues and returns a reader when valid. */
function compileSource(def: ObjectiveDef, ds: RankingDataset, path: string, issues: ConfigIssue[]): RawReader | null {
  const s = def.source;
  const nF = ds.nFeatures;
  if ('label' in s) {
    const j = ds.labelNames.indexOf(s.label);
    if (j < 0) {
      issues.push({ path: `${path}.source.label`, value: s.label, expected: `a label column of the dataset: ${ds.labelNames.join(', ')}` });
      return null;
    }
    const col = ds.labels[j];
    return (d) => col[d];
  }
  if ('feature' in s) {
    if (s.feature > nF) {
      issues.push({ path: `${path}.source.feature`, value: s.feature, expected: `a feature index 1..${nF}` });
      return null;
    }
    const f = s.feature - 1;
    return (d) => ds.features[d * nF + f];
  }
  const { node, symbols } = checkedExpression(s.expression);
  const bindings: { name: string; read: RawReader }[] = [];
  let ok = true;
  for (const sym of symbols) {
    const f = featureIndexOf(sym, ds);
    const j = ds.labelNames.indexOf(sym);
    if (j >= 0) {
      const col = ds.labels[j];
      bindings.push({ name: sym, read: (d) => col[d] });
    } else if (f !== null) bindings.push({ name: sym, read: (d) => ds.features[d * nF + f] });
    else if (!isMathConstant(sym)) {
      ok = false;
      issues.push({
        path: `${path}.source.expression`,
        value: shortExpression(s.expression),
        expected: `symbols f1..f${nF}, a feature name, or a label column (${ds.labelNames.join(', ')}); unknown symbol '${sym}'`,
      });
    }
  }
  if (!ok) return null;
  const code: EvalFunction = node.compile();
  const scope: Record<string, number> = {};
  return (d) => {
    for (const b of bindings) scope[b.name] = b.read(d);
    let v: unknown;
    try {
      v = code.evaluate(scope);
    } catch (err) {
      // the objective, the document and a bounded quote of the expression: never the whole text
      const reason = (err instanceof Error ? err.message : String(err)).slice(0, 200);
      throw new DataError(datasetName(ds), def.name, `objective '${def.name}': expression ${quoteExpression(s.expression)} fails at document ${d}: ${reason}`);
    }
    if (typeof v === 'boolean') return v ? 1 : 0;
    return typeof v === 'number' ? v : NaN;
  };
}

function resolveDefaults(def: ObjectiveDef, ds: RankingDataset): ResolvedObjective {
  const fromFeatures = !('label' in def.source);
  const dropFromInput = def.dropFromInput ?? fromFeatures;
  return {
    ...def,
    dropFromInput,
    target: def.target ?? 'sparse',
    invert: def.invert ?? false,
    droppedFeatures: dropFromInput ? sourceFeatures(def, ds) : [],
  };
}

/** Raw values of one objective over all documents, after `invert` (the space cut points live in). */
function rawValues(obj: ResolvedObjective, read: RawReader, ds: RankingDataset): Float64Array {
  const out = new Float64Array(documentCount(ds));
  const sign = obj.invert ? -1 : 1;
  for (let d = 0; d < out.length; d++) {
    const v = read(d);
    if (!Number.isFinite(v)) throw new DataError(datasetName(ds), obj.name, `objective '${obj.name}': raw value ${v} at document ${d} is not finite`);
    out[d] = sign * v;
  }
  return out;
}

function datasetName(ds: RankingDataset): string {
  const src = ds.metadata?.source;
  return typeof src === 'string' ? src : 'dataset';
}

/**
 * Grade of one raw source value under a resolved objective (invert applied here), or NaN when the value
 * is outside the range the grading declares (`asIs`: below 0 or above `max`). Serving uses the same rule.
 */
export function gradeValue(obj: ResolvedObjective, rawValue: number): number {
  const g = obj.grading;
  const v = obj.invert ? -rawValue : rawValue;
  if (g.kind === 'quantile') return quantileGrade(v, obj.cutPoints ?? []);
  if (g.kind === 'clip') {
    const clipped = Math.min(Math.max(rawValue, 0), g.max);
    return obj.invert ? g.max - clipped : clipped;
  }
  return gradeProblem(v, g.max) === null ? v : NaN;
}

/** Grades of one objective over all documents; non-finite raw values and out-of-range grades are DataErrors. */
function gradeAll(obj: ResolvedObjective, read: RawReader, ds: RankingDataset): Float32Array {
  const out = new Float32Array(documentCount(ds));
  for (let d = 0; d < out.length; d++) {
    const v = read(d);
    const z = Number.isFinite(v) ? gradeValue(obj, v) : NaN;
    if (Number.isNaN(z)) {
      const range = obj.grading.kind === 'asIs' ? ` outside 0..${obj.grading.max ?? '∞'} (grading asIs; use 'clip' to clamp)` : ' not finite';
      throw new DataError(datasetName(ds), obj.name, `objective '${obj.name}': raw value ${v} at document ${d} is${range}`);
    }
    out[d] = z;
  }
  return out;
}

/**
 * Grades every objective, in order, and removes `dropFromInput` features from the input.
 *
 * - Output `labels[j]` / `labelNames[j]` = objective j (main first); features keep the raw order minus
 *   the dropped columns; `metadata.objectives` = the resolved objectives, `metadata.inputFeatures` =
 *   the 1-based raw indices kept (`objectiveInputMapping` gives the same as 0-based columns).
 * - Quantile cut points are fitted on `options.fitOn` (default: `raw` itself — pass the training split
 *   when grading validation/test), or reused frozen from `options.resolved` (later splits, serving).
 * - Expressions are checked against the dataset's features (`f1..fN`, feature names) and label columns;
 *   every problem is reported at once as a ConfigError.
 *
 * A new dataset is returned; `raw` is never mutated (its feature matrix is shared when no feature is dropped).
 */
export function applyObjectives(
  raw: RankingDataset,
  defs: ObjectiveDef[],
  options: { fitOn?: RankingDataset; resolved?: ResolvedObjective[] } = {},
): { dataset: RankingDataset; objectives: ResolvedObjective[] } {
  const issues: ConfigIssue[] = [];
  if (options.resolved) {
    const names = options.resolved.map((o) => o.name);
    if (names.join('\u0000') !== defs.map((d) => d.name).join('\u0000')) {
      issues.push({ path: 'resolved', value: names, expected: `the same objectives in the same order: ${defs.map((d) => d.name).join(', ')}` });
    }
  }
  const readers = defs.map((def, i) => compileSource(def, raw, `$[${i}]`, issues));
  const fitOn = options.fitOn ?? raw;
  const fitReaders = fitOn === raw ? readers : defs.map((def, i) => compileSource(def, fitOn, `$[${i}] (fitOn)`, issues));
  if (issues.length) throw new ConfigError(issues, 'objectives');

  const objectives = defs.map((def, i) => {
    const obj = resolveDefaults(def, raw);
    if (def.grading.kind === 'quantile') {
      const frozen = options.resolved?.[i];
      if (frozen?.cutPoints) {
        obj.cutPoints = [...frozen.cutPoints];
        obj.fittedOn = frozen.fittedOn ?? 'frozen cut points of unknown origin';
      } else {
        obj.cutPoints = quantileCuts(rawValues(obj, fitReaders[i] as RawReader, fitOn), def.grading.buckets);
        obj.fittedOn = datasetName(fitOn);
      }
    }
    return obj;
  });
  const labels = objectives.map((obj, i) => gradeAll(obj, readers[i] as RawReader, raw));

  const keep = objectiveInputMapping(objectives, raw.nFeatures);
  const n = documentCount(raw);
  const nIn = keep.length;
  // Datasets are never mutated, so when no feature is dropped the matrix is shared, not copied
  // (a 1M-document training set must not exist twice in memory).
  let features = raw.features;
  if (nIn !== raw.nFeatures) {
    features = new Float32Array(n * nIn);
    for (let d = 0; d < n; d++) {
      const src = d * raw.nFeatures;
      const dst = d * nIn;
      for (let c = 0; c < nIn; c++) features[dst + c] = raw.features[src + keep[c]];
    }
  }
  const dataset: RankingDataset = {
    ...raw,
    features,
    nFeatures: nIn,
    featureNames: Array.from(keep, (f) => raw.featureNames[f]),
    labelNames: objectives.map((o) => o.name),
    labels,
    metadata: { ...raw.metadata, objectives, inputFeatures: Array.from(keep, (f) => f + 1) },
  };
  return { dataset, objectives };
}

/**
 * Model input column → raw feature column, both 0-based: the raw columns no objective drops, in raw
 * order. Serving applies it to raw client feature vectors so the model sees what it was trained on.
 */
export function objectiveInputMapping(resolved: readonly ResolvedObjective[], nRawFeatures: number): Int32Array {
  const dropped = new Set<number>();
  for (const o of resolved) for (const f of o.droppedFeatures) dropped.add(f - 1);
  const out: number[] = [];
  for (let f = 0; f < nRawFeatures; f++) if (!dropped.has(f)) out.push(f);
  return Int32Array.from(out);
}
