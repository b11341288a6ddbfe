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
