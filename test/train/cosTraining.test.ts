/** The COS checkpoint hash covers the loss targets (they live in the data's metadata, which datasetHash skips). */
import { createTfjsEngine } from '../../src/engine/tfjs/engine';
import { trainBase } from '../../src/train/baseTraining';
import { trainCos } from '../../src/train/cosTraining';
import { smallConfig, smallData } from './smallData';

it('sparse and dense targets give different COS config hashes; the same targets the same hash', async () => {
  const engine = await createTfjsEngine({ backend: 'cpu' });
  const train = smallData(16, 51);
  const validation = smallData(8, 52);
  const config = smallConfig({ base: { maxSteps: 1, validateEvery: 1 }, cos: { maxSteps: 1, validateEvery: 1, sweepDivisions: 1 } });
  const base = await trainBase(engine, train, validation, config);
  const sparse = await trainCos(engine, base, train, validation, config, { targets: ['sparse', 'sparse'] });
  const sparseAgain = await trainCos(engine, base, train, validation, config, { targets: ['sparse', 'sparse'] });
  const dense = await trainCos(engine, base, train, validation, config, { targets: ['dense', 'sparse'] });
  expect(sparseAgain.configHash).toBe(sparse.configHash);
  expect(dense.configHash).not.toBe(sparse.configHash);
});

it('refuses cos.mode dpo-ls (a fixed-w model takes no w input: trainFixedWeights trains it), naming the field', async () => {
  const engine = await createTfjsEngine({ backend: 'cpu' });
  const train = smallData(8, 53);
  const validation = smallData(4, 54);
  const config = smallConfig({ base: { maxSteps: 1, validateEvery: 1 }, cos: { maxSteps: 1, validateEvery: 1, sweepDivisions: 1 } });
  const base = await trainBase(engine, train, validation, config);
  const dpoLs = { ...config, cos: { ...config.cos, mode: 'dpo-ls' as const, fixedWeights: [0.5, 0.5] } };
  await expect(trainCos(engine, base, train, validation, dpoLs)).rejects.toThrow(/cos\.mode.*trainFixedWeights/s);
});
