/**
 * Acceptance on real data (issue 13): a COS model trained on MQ2008 S1–S3 (the example config, shortened to
 * 300 steps per stage to fit the test budget), then `cosrank pick --maximize pagerank --constraint
 * "relevance >= 0.97 * base.relevance"` on S4. The chosen point, re-scored here, satisfies the constraint on
 * S4, and its PageRank NDCG@10 is at least the best of the 11 sweep points (c = 1) that satisfy it, and of the
 * 11 weight points at the chosen c; serving
 * it by name gives exactly the scores of serving its stored weights and c. Skips when ../shared/data/MQ2008
 * is absent.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';
import { applyObjectives } from '../../src/data/objectives';
import { readDataset } from '../../src/data/read';
import { createEngine } from '../../src/engine/select';
import { evaluateObjectives } from '../../src/eval/metrics';
import { weightGrid } from '../../src/eval/sweep';
import { loadModel } from '../../src/model/modelFile';
import type { PickResult } from '../../src/pipeline/pick';
import { Ranker } from '../../src/serve/ranker';

const DATA = path.resolve(__dirname, '../../../shared/data/MQ2008');
const EXAMPLE = path.resolve(__dirname, '../../examples/mq2008.json');
const maybe = fs.existsSync(path.join(DATA, 'S4.txt')) ? describe : describe.skip;
if (maybe === describe.skip) process.stderr.write(`skipping the MQ2008 pick acceptance: ${DATA} is absent\n`);

async function cli(args: string[]): Promise<string> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false };
  const code = await main(args, io);
  if (code !== 0) throw new Error(`cosrank ${args[0]} exited ${code}: ${stderr}`);
  return stdout;
}

maybe('cosrank pick on MQ2008 (train S1–S3, pick on S4)', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-pick-mq2008-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('returns a point that satisfies the constraint on S4 and beats every feasible sweep point; serving it by name is exact', async () => {
    const example = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')) as Record<string, Record<string, unknown>>;
    const config = {
      ...example,
      data: { train: ['S1', 'S2', 'S3'].map((s) => path.join(DATA, `${s}.txt`)), validation: path.join(DATA, 'S4.txt'), test: path.join(DATA, 'S4.txt') },
      base: { ...example.base, maxSteps: 300 },
      cos: { ...example.cos, maxSteps: 300 },
    };
    const configFile = path.join(out, 'config.json');
    fs.writeFileSync(configFile, JSON.stringify(config));
    await cli(['run', configFile, '--out', out]);
    const modelDir = path.join(out, 'model');
    const s4 = path.join(DATA, 'S4.txt');
    const r = JSON.parse(await cli(['pick', modelDir, '--data', s4, '--maximize', 'pagerank', '--constraint', 'relevance >= 0.97 * base.relevance', '--name', 'fresh', '--json'])) as PickResult;

    // re-score S4 here: s0, the chosen point, and the 11 sweep points at c = 1
    const saved = await loadModel(modelDir);
    const ds = applyObjectives(await readDataset(s4), saved.objectives, { resolved: saved.objectives }).dataset;
    const engine = await createEngine('auto');
    const ndcg = async (weights: ArrayLike<number> | null, c = 1) => {
      const scores =
        weights === null
          ? await engine.score({ base: saved.spec.base }, { base: saved.params.base }, { features: ds.features, queryOffsets: ds.queryOffsets })
          : await engine.score(saved.spec, saved.params, { features: ds.features, queryOffsets: ds.queryOffsets, weights: Float32Array.from(weights), c });
      return evaluateObjectives(scores, ds, { k: 10 }).map((e) => e.mean);
    };
    const base = await ndcg(null);
    const stored = saved.operatingPoints!.find((p) => p.name === 'fresh')!;
    const chosen = await ndcg(stored.weights, stored.c);
    expect(chosen[0]).toBeGreaterThanOrEqual(0.97 * base[0]);
    const sweep = await Promise.all(weightGrid(2, { divisions: 10 }).map((w) => ndcg(w)));
    const feasible = sweep.filter((v) => v[0] >= 0.97 * base[0]);
    const sweepBest = Math.max(-Infinity, ...feasible.map((v) => v[1]));
    expect(chosen[1]).toBeGreaterThanOrEqual(sweepBest);
    expect(chosen[1]).toBeCloseTo(r.data.ndcg.pagerank, 5);
    // the sweep at c = 1 may have no feasible point (the COS model moves far from s0 there): the 11 weight
    // points at the chosen c are the comparison that always says something
    const atC = await Promise.all(weightGrid(2, { divisions: 10 }).map((w) => ndcg(w, stored.c)));
    const feasibleAtC = atC.filter((v) => v[0] >= 0.97 * base[0]);
    const bestAtC = Math.max(-Infinity, ...feasibleAtC.map((v) => v[1]));
    expect(chosen[1]).toBeGreaterThanOrEqual(bestAtC);
    process.stderr.write(
      `MQ2008 pick: relevance ${chosen[0].toFixed(4)} (base ${base[0].toFixed(4)}, bound ${(0.97 * base[0]).toFixed(4)}), pagerank ${chosen[1].toFixed(4)} ` +
        `(base ${base[1].toFixed(4)}) at w=(${stored.weights.map((w) => w.toFixed(3))}) c=${stored.c.toFixed(3)}; ${feasible.length} of 11 sweep points feasible` +
        `${feasible.length ? `, best pagerank ${sweepBest.toFixed(4)}` : ''}; at c=${stored.c.toFixed(3)} ${feasibleAtC.length} of 11 feasible` +
        `${feasibleAtC.length ? `, best pagerank ${bestAtC.toFixed(4)}` : ''}; ${r.evaluated} points evaluated\n`,
    );

    // serving by name = serving the stored weights and c, score for score
    const ranker = await Ranker.load(modelDir, { engineInstance: engine });
    const raw = await readDataset(s4);
    const rawDocs = Array.from({ length: 40 }, (_, d) => ({ id: d, features: Array.from(raw.features.subarray(d * raw.nFeatures, (d + 1) * raw.nFeatures)) }));
    const byName = await ranker.scoreDocuments(rawDocs, { operatingPoint: 'fresh' });
    const byWeights = await ranker.scoreDocuments(rawDocs, { weights: stored.weights, c: stored.c });
    expect(Array.from(byName)).toEqual(Array.from(byWeights));
  }, 600_000);
});
