/**
 * The run the resume tests repeat: a small base or COS training with a checkpoint every 10 steps, whose
 * last step is a checkpoint step, so the final checkpoint holds the end state (parameters, Adam moments,
 * best parameters, generator states) for a bit-exact comparison.
 */
import { createTfjsEngine } from '../../src/engine/tfjs/engine';
import { initParameters, fitInputNormalisation } from '../../src/model/spec';
import { trainBase, type TrainResult } from '../../src/train/baseTraining';
import { trainCos } from '../../src/train/cosTraining';
import { scorerSpecOf } from '../../src/train/config';
import { Rng } from '../../src/util/rng';
import { smallConfig, smallData } from './smallData';

export const RESUME_STEPS = 60;
export const RESUME_EVERY = 10;

export async function resumeRun(
  stage: 'base' | 'cos',
  checkpointDir: string,
  options: { resume?: boolean; signal?: AbortSignal; onStep?: (step: number) => void; dropout?: number } = {},
): Promise<TrainResult> {
  const engine = await createTfjsEngine({ backend: 'cpu' });
  const train = smallData(40, 21);
  const validation = smallData(20, 22);
  const dropout = options.dropout ?? 0;
  const config = smallConfig({
    model: { dropout },
    base: { maxSteps: RESUME_STEPS, validateEvery: 20, listsPerBatch: 6, slateLength: 12 },
    cos: { maxSteps: RESUME_STEPS, validateEvery: 20, listsPerBatch: 6, slateLength: 12, weightSampling: 'query', net: { hidden: [16], dropout } },
    checkpoint: { every: RESUME_EVERY },
  });
  const run = { checkpointDir, resume: options.resume, signal: options.signal, onProgress: options.onStep && ((e: { done: number }) => options.onStep?.(e.done)) };
  if (stage === 'base') return trainBase(engine, train, validation, config, run);
  const baseSpec = scorerSpecOf(config.model, train.nFeatures, { weights: 0, beta: false });
  const baseParams = initParameters(baseSpec, new Rng(5));
  fitInputNormalisation(baseParams, train.features, train.nFeatures);
  return trainCos(engine, { spec: { base: baseSpec }, params: { base: baseParams } }, train, validation, config, run);
}
