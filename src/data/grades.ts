/**
 * What a label may be. Every reader stores labels as float32, so an integer label float32 cannot hold
 * (above 2^24 = 16,777,216 and up to 2^53, e.g. 99999999999 → 99999997952) is refused rather than
 * silently changed; fractional labels are label-like signals (clicks, dwell time) and round as features
 * do. Read as relevance grades (evaluation: no objective grades them), a label must also be a grade as
 * training's `asIs` grading requires (objectives.ts `gradeValue`): finite and ≥ 0.
 */
import { DataError } from '../util/errors';
import { num } from '../util/validate';

/** Why `v` is not a grade (finite, ≥ 0, ≤ max), or null. Training, serving and evaluation share it. */
export function gradeProblem(v: number, max = Infinity): string | null {
  // the test first: this runs per document, and the message is built only for a refusal
  return Number.isFinite(v) && v >= 0 && v <= max ? null : num(0, { hi: max })(v);
}

/** Why a label read from a file is refused (null: it is kept); `grades`: labels are read as relevance grades. */
export function labelProblem(v: number, grades: boolean): string | null {
  // a safe integer is a count or grade that must stay exact; larger magnitudes round as any float does
  if (Number.isSafeInteger(v) && Math.fround(v) !== v) {
    return `the label ${v} is an integer float32 cannot hold (it would be stored as ${Math.fround(v)}); labels are stored as float32, exact for integers up to 2^24 = 16777216`;
  }
  const problem = grades ? gradeProblem(v) : null;
  return problem === null ? null : `the label ${v} is not a relevance grade (expected ${problem}: evaluation uses labels as grades, as training's 'asIs' grading does)`;
}

/** Refuses the first label of a stored column that is not a grade, at its row (Arrow, Parquet: read as float32 already). */
export function rejectNonGrades(values: Float32Array, file: string, column: string): void {
  for (let row = 0; row < values.length; row++) {
    const problem = labelProblem(values[row], true);
    if (problem !== null) throw new DataError(file, `row ${row}`, `column '${column}': ${problem}`);
  }
}
