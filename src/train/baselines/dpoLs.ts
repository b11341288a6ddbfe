/**
 * The DPO-LS baseline (linear scalarisation): one COS network per point of the weight grid
 * (`cos.sweepDivisions`), each fine-tuned against s0 for its fixed trade-off w (a `dpo-ls` run of
 * `trainCos`, with the same seed) and evaluated at its own point; together they give the sweep the
 * W-COS model is compared with. Checkpoints of job i go to `<dir>/point-<i>`.
 */
import type { RankingDataset } from '../../data/dataset';
import type { Engine } from '../../engine/engine';
import { hypervolume } from '../../eval/hypervolume';
import { weightGrid, type SweepTable } from '../../eval/sweep';
import type { TrainConfig } from '../config';
import { auxiliaryCount, trainCos, type BaseModel, type CosTrainOptions, type CosTrainResult } from '../cosTraining';

/** DPO-LS baseline: one model per weight point, each evaluated at its own point. */
export interface DpoLsResult {
  models: CosTrainResult[];
  /** One row per model: its w and its validation NDCG (main first). */
  sweep: SweepTable;
  hypervolume: number;
  meanMain: number;
  seconds: number;
}

/** Trains one DPO-LS model per point of the weight grid and assembles their sweep (module comment). */
export async function trainDpoLs(
  engine: Engine,
  base: BaseModel,
  train: RankingDataset,
  validation: RankingDataset,
  config: TrainConfig,
  options: CosTrainOptions = {},
): Promise<DpoLsResult> {
  const points = weightGrid(auxiliaryCount(train), { divisions: config.cos.sweepDivisions });
  const models: CosTrainResult[] = [];
  for (let i = 0; i < points.length; i++) {
    const cfg: TrainConfig = { ...config, cos: { ...config.cos, mode: 'dpo-ls', fixedWeights: Array.from(points[i]) } };
    const onProgress = options.onProgress;
    models.push(
      await trainCos(engine, base, train, validation, cfg, {
        ...options,
        checkpointDir: options.checkpointDir ? `${options.checkpointDir}/point-${i}` : undefined,
        onProgress: onProgress && ((e) => onProgress({ ...e, stage: `train-cos dpo-ls ${i + 1}/${points.length}` })),
      }),
    );
  }
  const rows = models.map((r) => r.sweep.rows[0]);
  const sweepTable: SweepTable = { ...models[0].sweep, rows };
  return {
    models,
    sweep: sweepTable,
    hypervolume: hypervolume(rows.map((r) => r.ndcg.slice(1))),
    meanMain: rows.reduce((a, r) => a + r.ndcg[0], 0) / rows.length,
    seconds: models.reduce((a, r) => a + r.seconds, 0),
  };
}
