/**
 * `trainRanker`: the pipeline from a config object. The front it returns must be the non-dominated rows of
 * its sweep, the models must be the ones written to disk, and a bad config fails before anything runs.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { trainRanker } from '../../src/index';
import { loadModel } from '../../src/model/modelFile';
import { configIssues } from '../configIssues';
import { runConfigOf } from '../../src/pipeline/api';

const dominates = (a: number[], b: number[]): boolean => a.every((v, i) => v >= b[i]) && a.some((v, i) => v > b[i]);

describe('trainRanker', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-api-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('returns the models, the front and the report paths of a run', async () => {
    const stages: string[] = [];
    const r = await trainRanker(
      {
        seed: 3,
        engine: 'onnx',
        data: { generate: { queries: 40, nFeatures: 16, meanListLength: 10, maxListLength: 20 } },
        objectives: [
          { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 4 } },
          { name: 'freshness', source: { label: 'freshness' }, grading: { kind: 'asIs' } },
          { name: 'clicks', source: { label: 'clicks' }, grading: { kind: 'quantile', buckets: 3 } },
        ],
        model: { hidden: [8] },
        base: { maxSteps: 20, listsPerBatch: 8, validateEvery: 10 },
        cos: { maxSteps: 20, listsPerBatch: 8, validateEvery: 10, net: { hidden: [8] } },
        sweep: { divisions: 2 },
      },
      { out: path.join(dir, 'out'), onProgress: (e) => stages.push(e.stage) },
    );
    expect(r.objectives.map((o) => o.name)[0]).toBe('relevance');
    expect(stages).toEqual(expect.arrayContaining(['data', 'base ranker', 'COS-DPO ranker', 'sweep']));
    // the front: the auxiliary NDCG vectors no row dominates (equal vectors count once), each with a row's weights
    const aux = r.sweep.rows.map((row) => row.ndcg.slice(1));
    const undominated = new Set(aux.filter((v) => !aux.some((other) => dominates(other, v))).map((v) => v.join(',')));
    expect(new Set(r.front.points.map((p) => p.ndcg.slice(1).join(',')))).toEqual(undominated);
    for (const p of r.front.points) expect(r.sweep.rows).toContainEqual({ weights: p.weights, ndcg: p.ndcg });
    expect(r.front.hypervolume).toBeGreaterThan(0);
    expect(r.front.reference).toEqual(new Array(aux[0].length).fill(0));
    // the report and plots exist; the returned COS model is the one saved
    for (const f of [r.files.report, r.files.sweepJson, r.files.frontJson, r.files.manifest, ...r.files.plots]) expect(fs.existsSync(f)).toBe(true);
    const saved = await loadModel(r.files.model);
    expect(saved.params.cos).toEqual(r.models.cos.params.cos);
    expect(r.models.base.params.base).toEqual(r.models.cos.params.base);
  });

  it('checks the config object first, every problem with its path', async () => {
    const issues = configIssues(() => runConfigOf({ seed: -1, sweep: { k: 0 } } as never));
    expect(issues.map((i) => i.path).sort()).toEqual(['seed', 'sweep.k']);
    await expect(trainRanker({ data: { generate: { queries: 1 } } }, { out: path.join(dir, 'bad') })).rejects.toThrow(/data\.generate\.queries/);
    expect(fs.existsSync(path.join(dir, 'bad'))).toBe(false);
  });
});
