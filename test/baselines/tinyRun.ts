/** A tiny run config (generated data, m = 2, budgets of tens of steps) for the `cosrank run` tests of the methods stage. */
export const TINY = {
  seed: 5,
  engine: 'onnx',
  data: { generate: { queries: 60, nFeatures: 20, meanListLength: 12, maxListLength: 30 } },
  objectives: [
    { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 4 } },
    { name: 'freshness', source: { label: 'freshness' }, grading: { kind: 'asIs' } },
    { name: 'clicks', source: { label: 'clicks' }, grading: { kind: 'quantile', buckets: 3 } },
  ],
  model: { hidden: [16] },
  base: { maxSteps: 60, listsPerBatch: 8, validateEvery: 20, patience: 0, optimizer: { learningRate: 0.01 } },
  cos: { maxSteps: 40, listsPerBatch: 8, validateEvery: 20, patience: 0, net: { hidden: [8] }, optimizer: { learningRate: 0.01 } },
  sweep: { divisions: 4 },
};
