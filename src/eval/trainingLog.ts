/**
 * The training log: JSON lines, one object per logged step, e.g.
 *
 *     {"step": 100, "loss": 0.412, "validation": {"hypervolume": 0.0021, "relevance NDCG@10": 0.47}}
 *
 * `loss` and `validation` are optional (validation is logged less often than the loss). Blank lines are
 * ignored. Writers append `JSON.stringify(entry) + '\n'`.
 */
import { readFile } from 'node:fs/promises';
import { DataError } from '../util/errors';

export interface TrainingLogEntry {
  step: number;
  /** Training loss at this step. */
  loss?: number;
  /** Validation metrics by name. */
  validation?: Record<string, number>;
}

/** Reads a JSON-lines training log; a malformed line throws `DataError` naming file and line. */
export async function readTrainingLog(path: string): Promise<TrainingLogEntry[]> {
  const text = await readFile(path, 'utf8');
  const entries: TrainingLogEntry[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      entries.push(parseEntry(JSON.parse(line)));
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new DataError(path, i + 1, err instanceof SyntaxError ? `not JSON (${detail})` : detail);
    }
  });
  return entries;
}

/** One log entry from a parsed JSON value; throws a plain error saying what is wrong. */
function parseEntry(value: unknown): TrainingLogEntry {
  if (!isObject(value)) throw new Error('expected a JSON object');
  const { step, loss, validation } = value;
  if (typeof step !== 'number' || !Number.isFinite(step)) throw new Error(`"step" must be a finite number, got ${JSON.stringify(step)}`);
  const entry: TrainingLogEntry = { step };
  // A diverged run writes NaN/Infinity as null in JSON: treat it as "no loss logged".
  if (loss !== undefined && loss !== null) {
    if (typeof loss !== 'number') throw new Error(`"loss" must be a number, got ${JSON.stringify(loss)}`);
    entry.loss = loss;
  }
  if (validation !== undefined) {
    if (!isObject(validation)) throw new Error('"validation" must be an object of numbers');
    const metrics: Record<string, number> = {};
    for (const [name, x] of Object.entries(validation)) {
      if (typeof x !== 'number') throw new Error(`"validation.${name}" must be a number, got ${JSON.stringify(x)}`);
      metrics[name] = x;
    }
    entry.validation = metrics;
  }
  return entry;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
