/**
 * The early-stopping rule of the training loop. Validation figures are noisy (the COS hypervolume moves by
 * about ±0.01 between checks on MQ2008), so the loop keeps the parameters of the best RAW figure but
 * decides when to stop on a SMOOTHED one: the mean of the last `SMOOTHING_WINDOW` validation figures
 * (fewer at the start). Training stops after `patience` validations in a row without a new best smoothed
 * figure; a single lucky or unlucky check neither resets nor exhausts the patience. A NaN figure counts
 * as −∞ in the mean (it never improves anything).
 */

/** Validations averaged by the stopping decision. */
export const SMOOTHING_WINDOW = 3;

/** What the rule remembers between validations (JSON, saved in checkpoints). */
export interface StoppingState {
  /** The last (up to SMOOTHING_WINDOW) raw figures, oldest first. */
  recent: number[];
  /** Best smoothed figure so far (null before the first validation). */
  bestSmoothed: number | null;
  /** Validations since the smoothed figure last improved. */
  sinceBest: number;
}

export function initialStoppingState(): StoppingState {
  return { recent: [], bestSmoothed: null, sinceBest: 0 };
}

/** Moving average of the recent figures (NaN counts as −∞). */
export function smoothedFigure(recent: readonly number[]): number {
  if (recent.length === 0) return -Infinity;
  return recent.reduce((a, v) => a + (Number.isNaN(v) ? -Infinity : v), 0) / recent.length;
}

/** Feeds one validation figure; `stop` is true once `patience` (> 0) validations passed without a smoothed improvement. */
export function observeFigure(state: StoppingState, figure: number, patience: number): { state: StoppingState; stop: boolean } {
  const recent = [...state.recent, figure].slice(-SMOOTHING_WINDOW);
  const smoothed = smoothedFigure(recent);
  const improved = state.bestSmoothed === null || smoothed > state.bestSmoothed;
  const next: StoppingState = { recent, bestSmoothed: improved ? smoothed : state.bestSmoothed, sinceBest: improved ? 0 : state.sinceBest + 1 };
  return { state: next, stop: patience > 0 && next.sinceBest >= patience };
}

/**
 * Index of the validation at which a run with these figures (validation 0 = before training) stops, or the
 * last index when it never does: the rule applied to a recorded history.
 */
export function stoppingIndex(figures: readonly number[], patience: number): number {
  let state = initialStoppingState();
  for (let i = 0; i < figures.length; i++) {
    const r = observeFigure(state, figures[i], patience);
    state = r.state;
    if (r.stop) return i;
  }
  return figures.length - 1;
}
