/**
 * `npm run bench -- quality [--folds 4] [--seeds 1] [--set path=value ...]`: ranking quality of the default
 * base ranker beside XGBoost's LambdaMART on MQ2008 (issue 11 item 7).
 *
 * Folds rotate the four partitions: fold r trains on S(r+1), S(r+2), validates on S(r+3) and tests on
 * S(r+4) (indices mod 4). cosrank trains its base ranker with the run config's defaults (objectives
 * `letor4`: PageRank f41 and shallow URL f44 become auxiliaries and leave the input, cut points fitted on
 * train) and `--set` overrides; the peer (`benchmarks/peers/xgb_rank.py`, Debian python3-xgboost) trains
 * rank:pairwise and rank:ndcg boosters on the same 44 input features with early stopping on the same
 * validation partition. Both are scored by cosrank's evaluator: test NDCG@10 of relevance, linear gain,
 * queries without a relevant document skipped. Prints one row per fold, the means, and the machine load.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { concatDatasets } from '../src/data/concat';
import type { RankingDataset } from '../src/data/dataset';
import { applyObjectives } from '../src/data/objectives';
import { objectiveDefsOf } from '../src/data/presets';
import { readDataset } from '../src/data/read';
import { createEngine } from '../src/engine/select';
import { evaluateObjectives } from '../src/eval/metrics';
import { DEFAULTS as RUN_DEFAULTS } from '../src/pipeline/runConfig';
import { trainBase } from '../src/train/baseTraining';
import { applyOverrides, parseTrainConfig, type TrainConfig } from '../src/train/config';

const DATA = path.resolve(__dirname, '../../shared/data/MQ2008');
const PEER_OBJECTIVES = ['rank:pairwise', 'rank:ndcg'];

function python(): string {
  if (process.env.COSRANK_PYTHON) return process.env.COSRANK_PYTHON;
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/** The training part of the run config's defaults, with `--set` overrides. */
function trainConfig(sets: string[], seed: number): TrainConfig {
  const raw: Record<string, unknown> = {};
  for (const k of Object.keys(parseTrainConfig({}))) raw[k] = (RUN_DEFAULTS as unknown as Record<string, unknown>)[k];
  return parseTrainConfig(applyOverrides({ ...raw, seed }, sets), 'bench quality');
}

async function read(parts: string[]): Promise<RankingDataset> {
  const files = parts.map((p) => path.join(DATA, `${p}.txt`));
  return concatDatasets(await Promise.all(files.map((f) => readDataset(f))), files);
}

function ndcgOf(scores: ArrayLike<number>, ds: RankingDataset): number {
  const m = evaluateObjectives(Float32Array.from(scores), ds, { k: RUN_DEFAULTS.sweep.k, gain: 'linear', idcgZero: 'skip', ties: 'stable' });
  return m[0].mean;
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { folds: { type: 'string', default: '4' }, seeds: { type: 'string', default: '1' }, set: { type: 'string', multiple: true, default: [] } } });
  if (!fs.existsSync(path.join(DATA, 'S4.txt'))) {
    console.log(`quality: ${DATA} is absent; skipped`);
    return;
  }
  const folds = Number(values.folds);
  const seeds = Number(values.seeds);
  const sets = values.set as string[];
  const py = python();
  const peerOk = spawnSync(py, ['-c', 'import xgboost'], { stdio: 'ignore' }).status === 0;
  console.log(`load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} on ${os.availableParallelism()} cores; ${os.cpus()[0]?.model ?? ''}`);
  console.log(`cosrank: run-config defaults${sets.length ? ` with ${sets.join(' ')}` : ''}; peer: ${peerOk ? `XGBoost (${py})` : 'xgboost not importable (apt-get install -y python3-xgboost): skipped'}`);
  const engine = await createEngine('auto');
  const S = ['S1', 'S2', 'S3', 'S4'];
  const rows: { fold: string; cosrank: number; peers: Record<string, number> }[] = [];
  for (let r = 0; r < folds; r++) {
    const trainParts = [S[r % 4], S[(r + 1) % 4]];
    const valPart = S[(r + 2) % 4];
    const testPart = S[(r + 3) % 4];
    const fold = `train ${trainParts.join('+')}, validation ${valPart}, test ${testPart}`;
    const trainRaw = await read(trainParts);
    const defs = objectiveDefsOf('letor4', trainRaw.labelNames);
    const t = applyObjectives(trainRaw, defs);
    const v = applyObjectives(await read([valPart]), defs, { fitOn: trainRaw, resolved: t.objectives });
    const s = applyObjectives(await read([testPart]), defs, { fitOn: trainRaw, resolved: t.objectives });
    let ours = 0;
    for (let seed = 1; seed <= seeds; seed++) {
      const res = await trainBase(engine, t.dataset, v.dataset, trainConfig(sets, seed));
      const scores = await engine.score(res.spec, res.params, { features: s.dataset.features, queryOffsets: s.dataset.queryOffsets });
      const value = ndcgOf(scores, s.dataset);
      console.log(`  ${fold}, seed ${seed}: cosrank ${value.toFixed(4)} (best step ${res.bestStep} of ${res.steps}, ${res.seconds.toFixed(1)} s)`);
      ours += value / seeds;
    }
    const peers: Record<string, number> = {};
    if (peerOk) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-bench-quality-'));
      try {
        const dropped = t.objectives.flatMap((o) => o.droppedFeatures).join(',');
        const files = (parts: string[]) => parts.map((p) => path.join(DATA, `${p}.txt`)).join(',');
        const p = spawnSync(py, [path.join(__dirname, 'peers/xgb_rank.py'), files(trainParts), files([valPart]), files([testPart]), dir, '--drop', dropped, '--objectives', PEER_OBJECTIVES.join(',')], { encoding: 'utf8' });
        if (p.status !== 0) throw new Error(`xgb_rank.py failed: ${p.stderr}`);
        for (const obj of PEER_OBJECTIVES) {
          const scores = fs.readFileSync(path.join(dir, `${obj.replace(':', '_')}.scores`), 'utf8').trim().split('\n').map(Number);
          peers[obj] = ndcgOf(scores, s.dataset);
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    rows.push({ fold, cosrank: ours, peers });
    console.log(`${fold}: cosrank ${ours.toFixed(4)}  ${Object.entries(peers).map(([k, x]) => `${k} ${x.toFixed(4)}`).join('  ')}`);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const ourMean = mean(rows.map((r) => r.cosrank));
  console.log(`mean test NDCG@10 over ${rows.length} folds (${seeds} seed${seeds > 1 ? 's' : ''} each): cosrank default base ${ourMean.toFixed(4)}`);
  for (const obj of peerOk ? PEER_OBJECTIVES : []) {
    const peerMean = mean(rows.map((r) => r.peers[obj]));
    console.log(`  XGBoost ${obj} ${peerMean.toFixed(4)} (cosrank − peer ${(ourMean - peerMean).toFixed(4)})`);
  }
  console.log(`load average after ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}
