/**
 * `cosrank serve` (real server on a loopback port, SIGHUP reload, SIGTERM shutdown resolving `run`)
 * and `cosrank export --onnx` (graph interface, verification, and the file scored independently).
 */
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { command as exportCommand } from '../../src/cli/commands/export';
import { command as serveCommand } from '../../src/cli/commands/serve';
import { UsageError, type CliIO } from '../../src/cli/io';
import { saveModel } from '../../src/model/modelFile';
import { Ranker } from '../../src/serve/ranker';
import { denseDocs, fixtureModel, INPUT_FEATURES, randomDocuments, RAW_FEATURES } from './fixture';

let root: string;
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'cosrank-cli-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function captureIO(): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, isTTY: false, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
}

async function until(cond: () => boolean, what: string, ms = 20000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('cosrank serve', () => {
  it('serves on a loopback port, reloads on SIGHUP, and run resolves 0 after SIGTERM', async () => {
    const dir = path.join(root, 'served');
    await saveModel(dir, fixtureModel(3));
    const io = captureIO();
    const running = serveCommand.run([dir, '--port', '0', '--json', '--max-documents', '20'], io);
    await until(() => io.out.length > 0, 'the start-up line');
    const started = JSON.parse(io.out[0]) as { url: string; engine: string; objectives: string[] };
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(started.objectives).toEqual(['freshness', 'clicks']);

    const docs = denseDocs(randomDocuments(10, 2));
    const score = async () => {
      const res = await fetch(`${started.url}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents: docs }) });
      expect(res.status).toBe(200);
      return ((await res.json()) as { scores: number[] }).scores;
    };
    const before = await score();
    const tooMany = await fetch(`${started.url}/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents: denseDocs(randomDocuments(21, 2)) }) });
    expect(tooMany.status).toBe(400); // --max-documents is honoured

    await saveModel(dir, fixtureModel(8));
    process.emit('SIGHUP', 'SIGHUP');
    await until(() => io.err.some((l) => l.includes('SIGHUP: reloaded')), 'the reload');
    const after = await score();
    expect(after).not.toEqual(before);
    const fresh = await Ranker.load(dir);
    expect(after).toEqual(Array.from(await fresh.score(fresh.denseFeatures(docs))));

    process.emit('SIGTERM', 'SIGTERM');
    expect(await running).toBe(0);
    await expect(fetch(`${started.url}/healthz`)).rejects.toThrow();
    expect(process.listenerCount('SIGHUP')).toBe(0);
  });

  it('rejects bad arguments with usage errors', async () => {
    const io = captureIO();
    await expect(serveCommand.run([], io)).rejects.toThrow(UsageError);
    await expect(serveCommand.run(['m', '--port', '70000'], io)).rejects.toThrow(/--port must be an integer ≥ 0 and ≤ 65535, got '70000'/);
    await expect(serveCommand.run(['m', '--engine', 'gpu'], io)).rejects.toThrow(/--engine must be one of auto, onnx, tfjs/);
    await expect(serveCommand.run(['m', '--processes', '2', '--workers', '1'], io)).rejects.toThrow(/--workers and --processes do not combine/);
    await expect(serveCommand.run(['m', '--processes', '0'], io)).rejects.toThrow(/--processes must be an integer ≥ 1/);
    await expect(exportCommand.run(['m'], io)).rejects.toThrow(/--onnx OUT.onnx is required/);
  });
});

describe('cosrank export --onnx', () => {
  it.each([
    { name: 'W-COS MLP', options: {}, inputs: ['features', 'w', 'c'] },
    { name: 'T-COS transformer', options: { net: 'transformer' as const, temperature: true }, inputs: ['features', 'mask', 'w', 'beta', 'c'] },
  ])('$name: documents its inputs and verifies against the native runtime (≤ 1e-5)', async ({ options, inputs }) => {
    const dir = path.join(root, 'export');
    const file = path.join(root, 'ranker.onnx');
    await saveModel(dir, fixtureModel(5, options));
    const io = captureIO();
    expect(await exportCommand.run([dir, '--onnx', file, '--json'], io)).toBe(0);
    const report = JSON.parse(io.out.join('')) as { inputs: { name: string }[]; inputFeatures: number[]; verification: { maxAbsDiff: number; passed: boolean } };
    expect(report.inputs.map((i) => i.name)).toEqual(inputs);
    expect(report.inputFeatures).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(report.verification.passed).toBe(true);
    expect(report.verification.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(existsSync(file)).toBe(true);
  });

  it('the exported file scores raw documents as the serving runtime does (mapped columns, w, c)', async () => {
    const dir = path.join(root, 'export-mlp');
    const file = path.join(root, 'mlp.onnx');
    await saveModel(dir, fixtureModel(6));
    const io = captureIO();
    expect(await exportCommand.run([dir, '--onnx', file], io)).toBe(0);
    expect(io.out.join('')).toMatch(/verified: onnxruntime-node vs \S+ on 4 × 64 random documents: max \|diff\| = \S+ \(tolerance 1e-5\)/);

    const n = 40;
    const raw = randomDocuments(n, 12);
    const mapped = new Float32Array(n * INPUT_FEATURES);
    for (let d = 0; d < n; d++) mapped.set(raw.subarray(d * RAW_FEATURES, d * RAW_FEATURES + INPUT_FEATURES), d * INPUT_FEATURES);
    const session = await ort.InferenceSession.create(file);
    const out = await session.run({
      features: new ort.Tensor('float32', mapped, [n, INPUT_FEATURES]),
      w: new ort.Tensor('float32', Float32Array.of(0.8, 0.2), [2]),
      c: new ort.Tensor('float32', Float32Array.of(2), []),
    });
    await session.release();
    const ranker = await Ranker.load(dir);
    const expected = await ranker.score(raw, { weights: { freshness: 4, clicks: 1 }, c: 2 });
    const got = out.scores.data as Float32Array;
    for (let d = 0; d < n; d++) expect(Math.abs(got[d] - expected[d])).toBeLessThanOrEqual(1e-6);
  });
});
