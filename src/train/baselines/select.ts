/**
 * Checkpoint choice of a baseline method: ONE step of the common validation grid for all of the method's
 * jobs, the step whose whole front (one validation row per weight point) has the largest auxiliary
 * hypervolume (reference point 0; the earliest step on ties). DPO-LS's models are thus chosen jointly,
 * not each on its own w-weighted NDCG, the same rule W-COS's early stopping applies to its one model.
 */
import { hypervolume } from '../../eval/hypervolume';
import type { SweepRow } from '../../eval/sweep';

export interface StepChoice {
  /** Index into the grid, the step itself, and the front's figures there. */
  index: number;
  step: number;
  hypervolume: number;
  meanMain: number;
  rows: SweepRow[];
}

/** Auxiliary hypervolume (reference 0) and mean main NDCG of validation rows (main first in `ndcg`). */
export function frontFigures(rows: SweepRow[]): { hypervolume: number; meanMain: number } {
  return {
    hypervolume: hypervolume(rows.map((r) => r.ndcg.slice(1))),
    meanMain: rows.reduce((a, r) => a + r.ndcg[0], 0) / rows.length,
  };
}

/** Evaluates the front at every grid step (`rowsAt(index)`) and returns the best step. */
export async function chooseCommonStep(steps: number[], rowsAt: (index: number) => Promise<SweepRow[]> | SweepRow[]): Promise<StepChoice> {
  if (steps.length === 0) throw new Error('chooseCommonStep: the step grid is empty (no job validated)');
  let best: StepChoice | null = null;
  for (let k = 0; k < steps.length; k++) {
    const rows = await rowsAt(k);
    const f = frontFigures(rows);
    if (best === null || f.hypervolume > best.hypervolume) best = { index: k, step: steps[k], ...f, rows };
  }
  return best as StepChoice;
}
