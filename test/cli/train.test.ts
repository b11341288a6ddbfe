import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main';
import { generateSynthetic } from '../../src/data/generate';
import { writeDataset } from '../../src/data/read';
import { loadModel } from '../../src/model/modelFile';
import { readTrainingLog } from '../../src/eval/trainingLog';
import { MANIFEST_KEYS } from '../pipeline/manifestShape';
import { captureIO as capture } from '../cliHarness';

describe('cosrank train-base / train', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'cosrank-cli-'));
    const gen = (queries: number, seed: number) => generateSynthetic({ queries, seed, nFeatures: 16, meanListLength: 12, maxListLength: 30 });
    await writeDataset(gen(40, 1), path.join(dir, 'train.arrow'));
    await writeDataset(gen(20, 2), path.join(dir, 'valid.arrow'));
    writeFileSync(
      path.join(dir, 'config.json'),
      JSON.stringify({
        objectives: [
          { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs' } },
          { name: 'freshness', source: { label: 'freshness' }, grading: { kind: 'asIs' } },
          { name: 'clicks', source: { label: 'clicks' }, grading: { kind: 'quantile', buckets: 3 } },
        ],
        model: { hidden: [8] },
        base: { maxSteps: 10, listsPerBatch: 8, validateEvery: 5 },
        cos: { maxSteps: 10, listsPerBatch: 8, validateEvery: 5, net: { hidden: [8] }, sweepDivisions: 2 },
      }),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('trains a base model, then a W-COS model on top, writing model, manifest and log', async () => {
    const common = ['--config', path.join(dir, 'config.json'), '--train', path.join(dir, 'train.arrow'), '--validation', path.join(dir, 'valid.arrow'), '--backend', 'cpu', '--engine', 'tfjs', '--quiet'];
    const io1 = capture();
    expect(await main(['train-base', ...common, '--out', path.join(dir, 'base'), '--json', '--set', 'base.maxSteps=12'], io1)).toBe(0);
    const baseFigures = JSON.parse(io1.out);
    expect(baseFigures.steps).toBe(12);
    expect(baseFigures.metrics['relevance NDCG@10']).toBeGreaterThan(0);
    // camelCase keys and real booleans
    expect(Object.keys(baseFigures).sort()).toEqual(['bestStep', 'checkpointsRemoved', 'engine', 'metrics', 'model', 'steps', 'stoppedEarly', 'trainSeconds']);
    expect(typeof baseFigures.stoppedEarly).toBe('boolean');
    const baseModel = await loadModel(path.join(dir, 'base'));
    expect(baseModel.objectives.map((o) => o.name)).toEqual(['relevance', 'freshness', 'clicks']);
    expect(baseModel.objectives[2].cutPoints?.length).toBeGreaterThan(0);
    expect(baseModel.inputFeatures).toHaveLength(16);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'base', 'run.json'), 'utf8'));
    expect(manifest.seed).toBe(1);
    expect(manifest.data.train.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(manifest.engine.name).toBe('tfjs-cpu');
    expect(manifest.packages['@tensorflow/tfjs']).toMatch(/^4\./);
    // the one manifest shape, shared with cosrank run (test/pipeline/run.test.ts)
    expect(Object.keys(manifest).sort()).toEqual(MANIFEST_KEYS);
    expect(manifest.command).toBe('cosrank train-base');
    expect((await readTrainingLog(path.join(dir, 'base', 'training-log.jsonl'))).map((e) => e.step)).toEqual([0, 5, 10, 12]);

    const io2 = capture();
    expect(await main(['train', ...common, '--base', path.join(dir, 'base'), '--out', path.join(dir, 'cos'), '--steps', '6'], io2)).toBe(0);
    expect(io2.out).toContain('hypervolume');
    expect(io2.out).toMatch(/\(0\.50, 0\.50\)/);
    const cos = await loadModel(path.join(dir, 'cos'));
    expect(cos.spec.cos?.net.conditioning.weights).toBe(2);
    expect(cos.defaultWeights).toEqual([0.5, 0.5]);
    expect(cos.metrics['base.validation.relevance NDCG@10']).toBe(baseFigures.metrics['relevance NDCG@10']);
    expect(cos.params.base).toEqual(baseModel.params.base);
  });

  it('cos.mode "dpo-ls" writes the default trade-off\'s model and one unconditioned model per point', async () => {
    const common = ['--config', path.join(dir, 'config.json'), '--train', path.join(dir, 'train.arrow'), '--validation', path.join(dir, 'valid.arrow'), '--backend', 'cpu', '--engine', 'tfjs', '--quiet'];
    const out = path.join(dir, 'dpols');
    const io = capture();
    expect(await main(['train', ...common, '--base', path.join(dir, 'base'), '--out', out, '--steps', '6', '--set', 'cos.mode=dpo-ls', '--json'], io)).toBe(0);
    const figures = JSON.parse(io.out);
    expect(figures.models).toEqual([out, ...[0, 1, 2].map((k) => path.join(out, `point-${k}`))]);
    const points = await Promise.all([0, 1, 2].map((k) => loadModel(path.join(out, `point-${k}`))));
    // the baselines' DPO-LS: networks without a w input, one per grid point, one common step
    expect(points.map((p) => p.spec.cos?.net.conditioning.weights)).toEqual([0, 0, 0]);
    expect(points.map((p) => (p.info as { weights: number[] }).weights)).toEqual([[0, 1], [0.5, 0.5], [1, 0]]);
    expect(new Set(points.map((p) => (p.info as { chosenStep: number }).chosenStep)).size).toBe(1);
    expect(points[0].params.cos).not.toEqual(points[2].params.cos);
    // DIR itself is the model of the default trade-off (the centre)
    const centre = await loadModel(out);
    expect(centre.params).toEqual(points[1].params);
    expect(figures.sweep.rows.map((r: { weights: number[] }) => r.weights)).toEqual([[0, 1], [0.5, 0.5], [1, 0]]);
    expect(JSON.parse(readFileSync(path.join(out, 'run.json'), 'utf8')).command).toBe('cosrank train (dpo-ls)');
  });

  it('a finished run removes its checkpoints and says so', async () => {
    const io = capture();
    const out = path.join(dir, 'ckpt-base');
    const args = ['train-base', '--config', path.join(dir, 'config.json'), '--train', path.join(dir, 'train.arrow'), '--validation', path.join(dir, 'valid.arrow')];
    expect(await main([...args, '--engine', 'onnx', '--quiet', '--out', out, '--checkpoint-every', '4'], io)).toBe(0);
    expect(io.err).toContain(`checkpoints of the finished run removed (${out}.checkpoints)`);
    expect(existsSync(`${out}.checkpoints`)).toBe(false);
    expect(existsSync(path.join(out, 'model.json'))).toBe(true);
  });

  it('an unwritable --out is refused before any data is read or training starts', async () => {
    const io = capture();
    writeFileSync(path.join(dir, 'a-file'), 'x');
    const out = path.join(dir, 'a-file', 'model');
    const args = ['train-base', '--config', path.join(dir, 'config.json'), '--train', path.join(dir, 'missing.arrow'), '--validation', path.join(dir, 'valid.arrow')];
    expect(await main([...args, '--out', out], io)).toBe(1);
    // the output is checked first: the missing training file is never reached
    expect(io.err).toContain(path.join(dir, 'a-file'));
    expect(io.err).not.toContain('missing.arrow');
  });

  it('reports config problems with their paths and exit code 1, usage problems with 2', async () => {
    const io = capture();
    const args = ['train-base', '--train', path.join(dir, 'train.arrow'), '--validation', path.join(dir, 'valid.arrow'), '--out', path.join(dir, 'x')];
    expect(await main([...args, '--set', 'base.lr=1', '--set', 'seed=-2'], io)).toBe(1);
    expect(io.err).toMatch(/base\.lr/);
    expect(io.err).toMatch(/seed: got -2/);
    expect(existsSync(path.join(dir, 'x'))).toBe(false);
    expect(await main(['train', ...args.slice(1)], capture())).toBe(2);
  });

  it('names the flag a bad value came from, takes a negative value as the value, and refuses a non-object config', async () => {
    const config = path.join(dir, 'steps.json');
    writeFileSync(config, JSON.stringify({ base: { maxSteps: 20 } }));
    const args = ['train-base', '--config', config, '--train', path.join(dir, 'train.arrow'), '--validation', path.join(dir, 'valid.arrow'), '--out', path.join(dir, 'x')];
    for (const steps of ['0', '-3']) {
      const io = capture();
      expect(await main([...args, '--steps', steps], io)).toBe(1);
      expect(io.err).toBe(`cosrank train-base: ${config}: 1 problem\n  base.maxSteps (from --steps): got ${steps}, expected an integer ≥ 1\n`);
    }
    const seed = capture();
    expect(await main([...args, '--seed', '4294967296'], seed)).toBe(1);
    expect(seed.err).toContain('seed (from --seed): got 4294967296, expected an integer 0 … 4294967295 (2^32 − 1: seeds are 32-bit)');
    for (const top of ['[]', 'null']) {
      writeFileSync(config, top);
      const io = capture();
      expect(await main(args, io)).toBe(1);
      expect(io.err).toBe(`cosrank train-base: ${config}: 1 problem\n  (root): got ${top}, expected a JSON object\n`);
    }
  });
});
