/**
 * `npm run bench -- loop [--steps S] [--rounds R] [--threads T] [--jobs base,wcos,dpols] [--data DIR]`: what a user
 * waits for. Trains, through the same functions `cosrank train` calls (`trainBase`, `trainCos`, and for
 * `cos.mode: "dpo-ls"` `trainFixedWeights`):
 * - `base`: s0, an MLP 64-64 on the main objective, ListNet, from scratch;
 * - `wcos`: a W-COS net, MLP 64-64 from scratch over the frozen s0, LiPO on the auxiliary objectives, a
 *   Dirichlet(1) trade-off per step, validated on the 11-point weight grid;
 * - `dpols`: one DPO-LS job: an unconditioned MLP 64-64 net, LiPO at the fixed trade-off (0.5, 0.5), validated at
 *   that point (its batch assembly is inside the job's step figure: the job reports no loop profile);
 * each for S steps (default 2000) of 32 lists, validated only at the start and the end, on MQ2008 S1–S3
 * (validation S4; objectives of the `letor4` preset: relevance, PageRank, shallow URL) from DIR (default
 * ../shared/data/MQ2008; a generated dataset of the same shape when absent). Beside it, a plain PyTorch loop
 * (`peers/torch_loop.py`) trains the same jobs on the same prepared data with the same model sizes, batch size,
 * steps, loss and Adam; the two alternate in R rounds (default 2; PyTorch first in odd rounds). The PyTorch loop
 * runs the frozen s0 in every step, as a plain loop does; cosrank scores the training set with s0 once.
 *
 * Printed per job: steps/s of the training loop (validation excluded) and end to end (the whole `trainX` call:
 * set-up, loop and validation; PyTorch: loop and its final validation scoring), the median ratio over rounds
 * with its range, the load average, and where cosrank's time goes: batch assembly, transfer (feeds and copies
 * into tensors), engine (forward and backward), optimiser, bookkeeping and validation, in ms per step.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { parseArgs } from 'node:util';
import { concatDatasets } from '../src/data/concat';
import type { RankingDataset } from '../src/data/dataset';
import { generateSynthetic } from '../src/data/generate';
import { applyObjectives } from '../src/data/objectives';
import { presetObjectives } from '../src/data/presets';
import { readDataset } from '../src/data/read';
import type { Engine, TrainProfile } from '../src/engine/engine';
import { createOnnxEngine } from '../src/engine/onnx/engine';
import { trainBase, type TrainResult } from '../src/train/baseTraining';
import { parseTrainConfig, type TrainConfig } from '../src/train/config';
import { trainFixedWeights } from '../src/train/baselines/fixedWeights';
import { trainCos, type BaseModel } from '../src/train/cosTraining';

type Job = 'base' | 'wcos' | 'dpols';
const JOBS: Job[] = ['base', 'wcos', 'dpols'];
const DPO_LS_POINT = [0.5, 0.5];
/** LiPO targets of both auxiliaries, here and in the PyTorch manifest. */
const TARGETS: ('sparse' | 'dense')[] = ['sparse', 'sparse'];

/** MQ2008 S1–S3 / S4 with the letor4 objectives, or generated data of the same shape. */
async function loadData(dir: string): Promise<{ train: RankingDataset; validation: RankingDataset; source: string }> {
  if (fs.existsSync(path.join(dir, 'S4.txt'))) {
    const files = ['S1', 'S2', 'S3'].map((s) => path.join(dir, `${s}.txt`));
    const raw = concatDatasets(await Promise.all(files.map((f) => readDataset(f))), files);
    const rawValidation = await readDataset(path.join(dir, 'S4.txt'));
    const defs = presetObjectives('letor4');
    const t = applyObjectives(raw, defs);
    const v = applyObjectives(rawValidation, defs, { fitOn: raw, resolved: t.objectives });
    return { train: t.dataset, validation: v.dataset, source: `MQ2008 S1–S3 (${dir}), validation S4` };
  }
  // MQ2008's shape: 627 queries (471 train), ~20.5 documents per query, 44 model inputs, two auxiliaries
  const all = generateSynthetic({
    queries: 627,
    seed: 1,
    nFeatures: 44,
    meanListLength: 20.5,
    maxListLength: 121,
    listLengthSigma: 0.6,
    objectives: [
      { name: 'pagerank', correlation: 0.1 },
      { name: 'shallowUrl', correlation: 0.2 },
    ],
  });
  const part = (q0: number, q1: number): RankingDataset => {
    const d0 = all.queryOffsets[q0];
    const d1 = all.queryOffsets[q1];
    return {
      ...all,
      features: all.features.slice(d0 * all.nFeatures, d1 * all.nFeatures),
      queryOffsets: all.queryOffsets.slice(q0, q1 + 1).map((o) => o - d0),
      queryIds: all.queryIds.slice(q0, q1),
      labels: all.labels.map((l) => l.slice(d0, d1)),
      docIds: undefined,
    };
  };
  return { train: part(0, 471), validation: part(471, 627), source: `generated (${dir} is absent): 471 + 156 queries shaped like MQ2008` };
}

function configFor(steps: number): TrainConfig {
  const stage = { maxSteps: steps, validateEvery: steps, patience: 0, listsPerBatch: 32 };
  return parseTrainConfig({
    seed: 1,
    model: { hidden: [64, 64] },
    base: { ...stage, loss: 'listnet' },
    // one Dirichlet(1) draw per step, as the PyTorch loop draws (pinned: the library defaults may change)
    cos: { ...stage, mode: 'wcos', parametrisation: 'scratch', lambda: 0, alpha: [1, 1], weightSampling: 'step', net: { hidden: [64, 64] } },
  });
}

/** Writes the prepared splits as raw little-endian files for the PyTorch peer. */
function dumpSplit(ds: RankingDataset, dir: string, name: string): object {
  const write = (file: string, a: Float32Array | Int32Array) => {
    const p = path.join(dir, `${name}.${file}`);
    fs.writeFileSync(p, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    return p;
  };
  return { nFeatures: ds.nFeatures, offsets: write('offsets', ds.queryOffsets), features: write('features', ds.features), labels: ds.labels.map((l, j) => write(`label${j}`, l)) };
}

interface PeerRun {
  seconds: number;
  validationSeconds: number;
  steps: number;
  loss: number;
  error?: string;
  ready?: boolean;
}

/** The long-lived PyTorch loop (`peers/torch_loop.py`): one JSON request / answer per line. */
class TorchLoop {
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';
  private closed = false;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    readline.createInterface({ input: child.stdout }).on('line', (line) => this.waiting.shift()?.(line));
    child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    child.on('exit', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(JSON.stringify({ error: `pytorch exited: ${this.stderr.trim().split('\n').pop() ?? ''}` }));
    });
  }

  static async start(manifestFile: string, threads: number): Promise<TorchLoop | string> {
    const python = process.env.COSRANK_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
    const env = { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) };
    const peer = new TorchLoop(spawn(python, [path.join(__dirname, 'peers', 'torch_loop.py'), manifestFile], { env, stdio: ['pipe', 'pipe', 'pipe'] }));
    const hello = await peer.next();
    if (hello.ready === true) return peer;
    peer.close();
    return hello.error ?? 'no answer';
  }

  private next(): Promise<PeerRun> {
    if (this.closed) return Promise.resolve({ seconds: NaN, validationSeconds: NaN, steps: 0, loss: NaN, error: 'pytorch exited' });
    return new Promise((resolve) => this.waiting.push((line) => resolve(JSON.parse(line) as PeerRun)));
  }

  async train(job: Job, steps: number): Promise<PeerRun> {
    const answer = this.next();
    this.child.stdin.write(`${JSON.stringify({ job, steps })}\n`);
    const a = await answer;
    if (a.error !== undefined) throw new Error(a.error);
    return a;
  }

  close(): void {
    if (!this.closed) this.child.stdin.end(`${JSON.stringify({ job: 'quit' })}\n`);
  }
}

/** One cosrank run of a job: the result, its wall time and the engine's step profile over it. */
interface CosrankRun {
  result: TrainResult;
  wall: number;
  profile: TrainProfile | null;
}

async function runCosrank(engine: Engine, job: Job, data: { train: RankingDataset; validation: RankingDataset }, config: TrainConfig, base: BaseModel): Promise<CosrankRun> {
  const before = engine.trainProfile?.() ?? null;
  const t0 = performance.now();
  const result =
    job === 'base'
      ? await trainBase(engine, data.train, data.validation, config)
      : job === 'wcos'
        ? await trainCos(engine, base, data.train, data.validation, config)
        : await trainFixedWeights(engine, base, data.train, data.validation, { ...config, cos: { ...config.cos, mode: 'dpo-ls', fixedWeights: DPO_LS_POINT } }, { targets: TARGETS });
  const wall = (performance.now() - t0) / 1000;
  const after = engine.trainProfile?.() ?? null;
  const profile = before && after ? { transfer: after.transfer - before.transfer, engine: after.engine - before.engine, optimiser: after.optimiser - before.optimiser } : null;
  return { result, wall, profile };
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  const k = s.length >> 1;
  return s.length % 2 === 1 ? s[k] : (s[k - 1] + s[k]) / 2;
};
const loadAverage = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const f1 = (x: number) => x.toFixed(1);
const f2 = (x: number) => x.toFixed(2);

/** Prints one job's figures: steps/s, ratios over the rounds, and cosrank's per-phase profile. */
function report(job: Job, mine: CosrankRun[], peer: PeerRun[], steps: number): void {
  const loopRate = (r: CosrankRun) => steps / (r.result.seconds - r.result.validationSeconds);
  const e2eRate = (r: CosrankRun) => steps / r.wall;
  const peerLoop = (p: PeerRun) => p.steps / p.seconds;
  const peerE2e = (p: PeerRun) => p.steps / (p.seconds + p.validationSeconds);
  const ratios = (a: (r: CosrankRun) => number, b: (p: PeerRun) => number) => mine.filter((_, i) => i < peer.length).map((r, i) => a(r) / b(peer[i]));
  const ratioText = (xs: number[]) => (xs.length ? `${f2(median(xs))}× pytorch (rounds ${f2(Math.min(...xs))}–${f2(Math.max(...xs))})` : '(no pytorch)');
  console.log(`-- ${job}: ${steps} steps of 32 lists`);
  console.log(`  cosrank  loop ${f1(median(mine.map(loopRate))).padStart(7)} steps/s  ${ratioText(ratios(loopRate, peerLoop))}`);
  console.log(`           end to end ${f1(median(mine.map(e2eRate))).padStart(7)} steps/s (${f1(median(mine.map((r) => r.wall)))} s)  ${ratioText(ratios(e2eRate, peerE2e))}`);
  if (peer.length) {
    console.log(`  pytorch  loop ${f1(median(peer.map(peerLoop))).padStart(7)} steps/s; end to end ${f1(median(peer.map(peerE2e)))} steps/s (${f1(median(peer.map((p) => p.seconds + p.validationSeconds)))} s)`);
  }
  // the profile of the last cosrank run, ms per step
  const last = mine[mine.length - 1];
  const ph = last.result.phases;
  const ms = (s: number) => `${((s * 1000) / steps).toFixed(3)}`;
  const parts: [string, number][] = [['batch assembly', ph.batch]];
  if (last.profile) {
    const inside = last.profile.transfer + last.profile.engine + last.profile.optimiser;
    parts.push(['transfer', last.profile.transfer], ['engine', last.profile.engine], ['optimiser', last.profile.optimiser], ['step, other', Math.max(0, ph.step - inside)]);
  } else parts.push(['engine step (transfer + engine + optimiser)', ph.step]);
  parts.push(['bookkeeping', ph.bookkeeping + ph.checkpoint], ['validation', ph.validation], ['set-up (outside the loop)', Math.max(0, last.wall - last.result.seconds)]);
  console.log(`  cosrank profile, ms per step: ${parts.map(([k, v]) => `${k} ${ms(v)}`).join(', ')}`);
}

export async function run(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      steps: { type: 'string', default: '2000' },
      rounds: { type: 'string', default: '2' },
      threads: { type: 'string', default: '2' },
      jobs: { type: 'string', default: JOBS.join(',') },
      data: { type: 'string', default: path.resolve(__dirname, '../../shared/data/MQ2008') },
    },
  });
  const steps = Number(values.steps);
  const rounds = Number(values.rounds);
  const threads = Number(values.threads);
  const jobs = values.jobs.split(',') as Job[];
  const bad = jobs.filter((j) => !JOBS.includes(j));
  if (bad.length) throw new Error(`unknown job(s) ${bad.join(', ')}; choose from ${JOBS.join(', ')}`);
  const data = await loadData(values.data);
  const config = configFor(steps);
  const engine = await createOnnxEngine({ threads });
  console.log(`  ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}; ${engine.description}`);
  console.log(`  data: ${data.source}: ${data.train.queryOffsets.length - 1} lists, ${data.train.queryOffsets[data.train.queryOffsets.length - 1]} documents, ${data.train.nFeatures} inputs, objectives ${data.train.labelNames.join(', ')}`);
  console.log(`  load average before: ${loadAverage()}`);

  // s0 of the COS jobs (also warms the engine up)
  const s0 = await trainBase(engine, data.train, data.validation, configFor(Math.min(steps, 500)));
  const base: BaseModel = { spec: s0.spec, params: s0.params };

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-loop-'));
  const c = config.cos;
  const manifest = {
    threads,
    seed: 1,
    train: dumpSplit(data.train, dir, 'train'),
    validation: dumpSplit(data.validation, dir, 'validation'),
    m: data.train.labels.length - 1,
    listsPerBatch: 32,
    baseHidden: config.model.hidden,
    netHidden: c.net.hidden,
    ...c.optimizer,
    alpha: c.alpha ?? [1, 1],
    beta: c.beta ?? [1, 1],
    lambda: c.lambda,
    targets: TARGETS,
    fixedWeights: DPO_LS_POINT,
  };
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest));
  const started = await TorchLoop.start(path.join(dir, 'manifest.json'), threads);
  if (typeof started === 'string') console.log(`  pytorch skipped: ${started}`);
  const peer = typeof started === 'string' ? null : started;

  const mine = new Map<Job, CosrankRun[]>(jobs.map((j) => [j, []]));
  const theirs = new Map<Job, PeerRun[]>(jobs.map((j) => [j, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      for (const job of jobs) {
        const sides: (() => Promise<void>)[] = [
          async () => void (mine.get(job) as CosrankRun[]).push(await runCosrank(engine, job, data, config, base)),
          async () => {
            if (peer) (theirs.get(job) as PeerRun[]).push(await peer.train(job, steps));
          },
        ];
        // PyTorch first in odd rounds, last in even ones: neither side always follows the other
        for (const side of r % 2 === 1 ? sides.reverse() : sides) await side();
      }
    }
  } finally {
    peer?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const job of jobs) report(job, mine.get(job) as CosrankRun[], theirs.get(job) as PeerRun[], steps);
  console.log(`  load average after: ${loadAverage()}`);
}
