/**
 * End to end on real data: MQ2008 with the `letor4` objectives (pagerank f41, shallowUrl f44 inverted,
 * both dropped from the input). s0 is trained on S1 with ListNet, the W-COS net on S1 for a few hundred
 * steps (validation S3), the model saved and served; S2's queries, sent with all 46 raw features over
 * real HTTP, are re-ranked with weights (1, 0) and (0, 1). The two orders must differ, and each
 * auxiliary objective's mean NDCG@10 on S2 must be higher under the weight that favours it.
 */
import * as fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { queryCount, type RankingDataset } from '../../src/data/dataset';
import { readLetor } from '../../src/data/letor';
import { applyObjectives, objectiveInputMapping } from '../../src/data/objectives';
import { presetObjectives } from '../../src/data/presets';
import { createEngine } from '../../src/engine/select';
import { meanOverQueries, ndcgAtK } from '../../src/eval/metrics';
import { saveModel } from '../../src/model/modelFile';
import { createServer } from '../../src/serve/http';
import { Ranker } from '../../src/serve/ranker';
import { trainBase } from '../../src/train/baseTraining';
import { trainCos } from '../../src/train/cosTraining';
import { parseTrainConfig } from '../../src/train/config';

const DATA = path.resolve(__dirname, '../../../shared/data/MQ2008');
const maybe = fs.existsSync(path.join(DATA, 'S1.txt')) ? describe : describe.skip;
if (!fs.existsSync(path.join(DATA, 'S1.txt'))) process.stderr.write(`skipping the MQ2008 serving test: ${DATA} is absent\n`);

maybe('MQ2008: re-ranking with weights (1, 0) and (0, 1) over HTTP', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(tmpdir(), 'cosrank-mq2008-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('gives different orders, and each auxiliary NDCG@10 is higher under its own weight', async () => {
    const defs = presetObjectives('letor4');
    const rawTrain = await readLetor(path.join(DATA, 'S1.txt'));
    const { dataset: train, objectives } = applyObjectives(rawTrain, defs);
    const { dataset: validation } = applyObjectives(await readLetor(path.join(DATA, 'S3.txt'), { nFeatures: 46 }), defs, { resolved: objectives });
    const rawTest = await readLetor(path.join(DATA, 'S2.txt'), { nFeatures: 46 });
    const { dataset: test } = applyObjectives(rawTest, defs, { resolved: objectives });
    expect(train.nFeatures).toBe(44);

    const engine = await createEngine('auto');
    const config = parseTrainConfig({
      seed: 3,
      model: { hidden: [32] },
      base: { maxSteps: 150, listsPerBatch: 16, validateEvery: 50, patience: 0, optimizer: { learningRate: 0.003 } },
      cos: { maxSteps: 300, listsPerBatch: 16, validateEvery: 100, patience: 0, net: { hidden: [32, 32] }, optimizer: { learningRate: 0.003 } },
    });
    const base = await trainBase(engine, train, validation, config);
    const cos = await trainCos(engine, base, train, validation, config);

    const dir = path.join(root, 'model');
    await saveModel(dir, {
      spec: cos.spec,
      params: cos.params,
      objectives,
      rawFeatureCount: rawTrain.nFeatures,
      inputFeatures: Array.from(objectiveInputMapping(objectives, rawTrain.nFeatures)),
      inputFeatureNames: train.featureNames,
      defaultWeights: [0.5, 0.5],
      metrics: cos.metrics,
    });
    const ranker = await Ranker.load(dir, { engineInstance: engine });
    expect(Array.from(ranker.model.inputFeatures)).not.toContain(40); // f41 (0-based 40) dropped
    const { app } = createServer(ranker);
    await app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/rerank`;

    /** Scores of every S2 document under `weights`: documents sent with their 46 raw features, score = −rank. */
    const scoresUnder = async (weights: number[]): Promise<{ scores: Float32Array; orders: string[] }> => {
      const scores = new Float32Array(rawTest.labels[0].length);
      const orders: string[] = [];
      for (let q = 0; q < queryCount(rawTest); q++) {
        const [a, b] = [rawTest.queryOffsets[q], rawTest.queryOffsets[q + 1]];
        const documents = [];
        for (let d = a; d < b; d++) documents.push({ id: d, features: Array.from(rawTest.features.subarray(d * 46, (d + 1) * 46)) });
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents, weights }) });
        expect(res.status).toBe(200);
        const { results } = (await res.json()) as { results: { id: number; rank: number }[] };
        for (const r of results) scores[r.id] = -r.rank;
        orders.push(results.map((r) => r.id).join(','));
      }
      return { scores, orders };
    };
    try {
      const towardPagerank = await scoresUnder([1, 0]);
      const towardShallow = await scoresUnder([0, 1]);
      const differing = towardPagerank.orders.filter((o, q) => o !== towardShallow.orders[q]).length;
      const ndcg = (s: Float32Array, column: number, ds: RankingDataset) => meanOverQueries(ndcgAtK(s, ds.labels[column], ds.queryOffsets, { k: 10 })).mean;
      const table = {
        pagerank: [ndcg(towardPagerank.scores, 1, test), ndcg(towardShallow.scores, 1, test)],
        shallowUrl: [ndcg(towardPagerank.scores, 2, test), ndcg(towardShallow.scores, 2, test)],
        relevance: [ndcg(towardPagerank.scores, 0, test), ndcg(towardShallow.scores, 0, test)],
      };
      process.stderr.write(`MQ2008 S2 NDCG@10 under w=(1,0) | w=(0,1): ${JSON.stringify(table)}; ${differing}/${queryCount(rawTest)} orders differ; cos best step ${cos.bestStep}\n`);
      expect(differing).toBeGreaterThan(queryCount(rawTest) / 2);
      expect(table.pagerank[0]).toBeGreaterThan(table.pagerank[1]);
      expect(table.shallowUrl[1]).toBeGreaterThan(table.shallowUrl[0]);
    } finally {
      await app.close();
    }
  });
});
