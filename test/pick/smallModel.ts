/**
 * A small trained COS model for the pick tests: generated data (16 features; relevance, freshness —
 * conflicting with relevance — and clicks, graded as they are), s0 and a W-COS network trained for a few
 * steps (W-COS, or T-COS with `mode`), saved as a model directory; plus the held-out queries written as Arrow files to pick on.
 */
import * as path from 'node:path';
import { selectQueries, type RankingDataset } from '../../src/data/dataset';
import { generateSynthetic } from '../../src/data/generate';
import { applyObjectives, objectiveInputMapping, type ObjectiveDef } from '../../src/data/objectives';
import { writeDataset } from '../../src/data/read';
import type { Engine } from '../../src/engine/engine';
import { saveModel, type SavedModel } from '../../src/model/modelFile';
import { trainBase } from '../../src/train/baseTraining';
import { parseTrainConfig } from '../../src/train/config';
import { trainCos } from '../../src/train/cosTraining';

export const OBJECTIVES: ObjectiveDef[] = ['relevance', 'freshness', 'clicks'].map((name) => ({ name, source: { label: name }, grading: { kind: 'asIs' } }));

export interface SmallModel {
  model: SavedModel;
  /** Model directory, and Arrow files of the pick and held-out queries. */
  dir: string;
  pickData: string;
  testData: string;
  pick: RankingDataset;
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

/** Trains the model in `root` (seeded: the same seed gives the same model). */
export async function smallModel(engine: Engine, root: string, seed = 7, mode: 'wcos' | 'tcos' = 'wcos'): Promise<SmallModel> {
  // labelNoise 0: an easily learnt signal (the library default is MSLR-hard)
  const raw = generateSynthetic({ queries: 100, seed, nFeatures: 16, meanListLength: 16, maxListLength: 40, labelNoise: 0 });
  const three = { ...raw, labelNames: raw.labelNames.slice(0, 3), labels: raw.labels.slice(0, 3) };
  const { dataset, objectives } = applyObjectives(three, OBJECTIVES);
  const train = selectQueries(dataset, range(0, 50));
  const validation = selectQueries(dataset, range(50, 60));
  const config = parseTrainConfig(
    {
      seed: 11,
      model: { hidden: [16] },
      base: { maxSteps: 60, listsPerBatch: 8, validateEvery: 20, patience: 0, optimizer: { learningRate: 0.01 } },
      cos: { maxSteps: 60, listsPerBatch: 8, validateEvery: 20, patience: 0, net: { hidden: [16] }, optimizer: { learningRate: 0.01 }, sweepDivisions: 2, mode },
    },
    'pick test config',
  );
  const base = await trainBase(engine, train, validation, config);
  const cos = await trainCos(engine, base, train, validation, config);
  const model: SavedModel = {
    spec: cos.spec,
    params: cos.params,
    objectives,
    rawFeatureCount: 16,
    inputFeatures: Array.from(objectiveInputMapping(objectives, 16)),
    inputFeatureNames: [...train.featureNames],
    defaultWeights: [0.5, 0.5],
    metrics: {},
  };
  const dir = path.join(root, 'model');
  await saveModel(dir, model);
  const pick = selectQueries(three, range(60, 80));
  const pickData = path.join(root, 'pick.arrow');
  const testData = path.join(root, 'test.arrow');
  await writeDataset(pick, pickData);
  await writeDataset(selectQueries(three, range(80, 100)), testData);
  return { model, dir, pickData, testData, pick: applyObjectives(pick, OBJECTIVES, { resolved: objectives }).dataset };
}
