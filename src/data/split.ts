/**
 * Splits by query: every query lands in exactly one of train / validation / test.
 *
 * Seeded-ratio splits are done here. Given-files splits (LETOR folds such as MQ2008 S1–S3 / S4, or
 * OHSUMED's trainingset / validationset / testset) need nothing from this module: each file is read
 * separately and already is one split.
 */
import { ConfigError, type ConfigIssue } from '../util/errors';
import { Rng } from '../util/rng';
import { queryCount, selectQueries, type RankingDataset } from './dataset';

export interface SplitOptions {
  /** Fractions of queries for train / validation / test; non-negative, summing to 1 (±1e-9). */
  ratios?: [number, number, number];
  /** Seed of the query shuffle. */
  seed: number;
}

export const SPLIT_DEFAULTS = { ratios: [0.6, 0.2, 0.2] as [number, number, number] };

export interface QuerySplits {
  train: RankingDataset;
  validation: RankingDataset;
  test: RankingDataset;
}

function checkRatios(ratios: unknown): [number, number, number] {
  const issues: ConfigIssue[] = [];
  const expected = 'three non-negative numbers [train, validation, test] summing to 1';
  if (!Array.isArray(ratios) || ratios.length !== 3) {
    throw new ConfigError([{ path: 'split.ratios', value: ratios, expected }], 'split');
  }
  ratios.forEach((r: unknown, i) => {
    if (typeof r !== 'number' || !Number.isFinite(r) || r < 0) issues.push({ path: `split.ratios[${i}]`, value: r, expected: 'a finite number ≥ 0' });
  });
  if (!issues.length && Math.abs((ratios as number[]).reduce((a, b) => a + b, 0) - 1) > 1e-9) {
    issues.push({ path: 'split.ratios', value: ratios, expected });
  }
  if (issues.length) throw new ConfigError(issues, 'split');
  return ratios as [number, number, number];
}

/**
 * Shuffles the query indices with `new Rng(seed)` (Fisher–Yates), then cuts the shuffled list at
 * `round(r0·Q)` and `round((r0 + r1)·Q)` queries; each split keeps the shuffled query order.
 * Sizes are in queries, not documents. The input is not mutated; rows are copied (`selectQueries`).
 */
export function splitByQuery(ds: RankingDataset, options: SplitOptions): QuerySplits {
  const ratios = checkRatios(options.ratios ?? SPLIT_DEFAULTS.ratios);
  const nQ = queryCount(ds);
  const order = new Rng(options.seed).shuffle(Int32Array.from({ length: nQ }, (_, q) => q));
  const a = Math.round(ratios[0] * nQ);
  const b = Math.max(a, Math.round((ratios[0] + ratios[1]) * nQ));
  return {
    train: selectQueries(ds, order.subarray(0, a)),
    validation: selectQueries(ds, order.subarray(a, b)),
    test: selectQueries(ds, order.subarray(b)),
  };
}
