/** A progress event that library code reports; only the CLI turns it into a bar or a line. */
export interface ProgressEvent {
  /** What is going on, e.g. `read`, `train`, `sweep`. */
  stage: string;
  /** Units done so far (bytes, steps, points…) and the total when known. */
  done: number;
  total?: number;
  /** Short figures to show beside the bar, e.g. `{loss: 0.41, 'steps/s': 12}`. */
  info?: Record<string, number | string>;
  /** A one-off message (e.g. "reusing cached base model"). */
  message?: string;
}

/** Callback through which library code reports progress. */
export type ProgressCallback = (event: ProgressEvent) => void;

/** The callback used when the caller passes none. */
export const noProgress: ProgressCallback = () => {};
