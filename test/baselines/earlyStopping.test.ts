/**
 * The early-stopping rule: stop after `patience` validations without a new best 3-validation moving
 * average; keep the best RAW figure. Hand-made sequences, and the training loop following the same rule.
 */
import type { ListBatch, TrainSession } from '../../src/engine/engine';
import { SMOOTHING_WINDOW, smoothedFigure, stoppingIndex } from '../../src/train/earlyStopping';
import { runTrainingLoop } from '../../src/train/trainer';

describe('early-stopping rule', () => {
  it('averages the last three figures', () => {
    expect(SMOOTHING_WINDOW).toBe(3);
    expect(smoothedFigure([0.5])).toBe(0.5);
    expect(smoothedFigure([0.3, 0.6, 0.9])).toBeCloseTo(0.6, 12);
    expect(smoothedFigure([0.3, NaN])).toBe(-Infinity);
  });

  it('does not stop on one noisy dip that a raw-figure rule with the same patience stops on', () => {
    // raw: rises, one spike at index 3, then a plateau below the spike but rising on average
    const figures = [0.5, 0.6, 0.62, 0.75, 0.64, 0.68, 0.7, 0.72, 0.74, 0.76, 0.78];
    // smoothed: .5, .55, .5733, .6567, .67, .69, .6733, .70, .72, .74, .76 → only index 6 fails to improve
    expect(stoppingIndex(figures, 3)).toBe(figures.length - 1);
    // the raw rule (best raw 0.75 at index 3, then 3 checks without a higher figure) stopped at index 6
  });

  it('stops exactly `patience` validations after the last smoothed improvement; patience 0 never stops', () => {
    const figures = [0.1, 0.5, 0.6, 0.55, 0.45, 0.4, 0.35, 0.3, 0.25];
    // smoothed: .1, .3, .4, .55, .5333, .4667, … → last improvement at index 3
    expect(stoppingIndex(figures, 2)).toBe(5);
    expect(stoppingIndex(figures, 0)).toBe(figures.length - 1);
  });

  it('is what the training loop applies: it stops at the rule\'s index and keeps the best raw figure', async () => {
    const figures = [0.2, 0.4, 0.9, 0.5, 0.55, 0.6, 0.58, 0.57, 0.56, 0.55, 0.54, 0.53];
    const expectedStop = stoppingIndex(figures, 4);
    let calls = 0;
    const session = {
      step: async () => 0.5,
      evaluateLoss: async () => 0.5,
      parameters: () => ({ w: { shape: [1], data: Float32Array.of(calls) } }),
      optimizerState: () => ({ step: 0, m: {}, v: {} }),
      restore: () => undefined,
      dispose: () => undefined,
    } as unknown as TrainSession;
    const batches = { next: () => ({}) as ListBatch, getState: () => null, setState: () => undefined };
    const result = await runTrainingLoop({
      stage: 'train-cos',
      session,
      batches,
      totalSteps: 10 * (figures.length - 1),
      validateEvery: 10,
      patience: 4,
      figureName: 'f',
      validate: async () => ({ figure: figures[calls++], metrics: {} }),
    });
    expect(calls).toBe(expectedStop + 1);
    expect(result.stoppedEarly).toBe(expectedStop < figures.length - 1);
    expect(result.best.step).toBe(20); // the raw 0.9
    expect(result.best.figure).toBe(0.9);
  });
});
