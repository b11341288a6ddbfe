/**
 * Backend selection: forced backends, the `auto` fall-through with its reasons (the native tfjs-node
 * packages are not installed here), and the wasm backend giving the cpu backend's scores and losses.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendUnavailableError, selectBackend } from '../../src/engine/tfjs/backend';
import { createTfjsEngine } from '../../src/engine/tfjs/engine';
import type { ListBatch, TrainSessionOptions } from '../../src/engine/engine';
import { initParameters, MlpSpec, RankerSpec, TransformerSpec } from '../../src/model/spec';
import { Rng } from '../../src/util/rng';

const nativeInstalled = (name: string) => {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
};

test('cpu can be forced', async () => {
  const selected = await selectBackend('cpu');
  expect(selected.name).toBe('cpu');
  expect(selected.tf.getBackend()).toBe('cpu');
});

const maybeMissing = nativeInstalled('@tensorflow/tfjs-node') ? test.skip : test;
maybeMissing('forcing a missing native backend is a clear error; auto skips it and says why', async () => {
  await expect(selectBackend('tfjs-node')).rejects.toThrow(BackendUnavailableError);
  await expect(selectBackend('tfjs-node-gpu')).rejects.toThrow(/@tensorflow\/tfjs-node-gpu is not installed/);
  const auto = await selectBackend('auto');
  expect(auto.name).toBe('wasm');
  expect(auto.reasons.join('\n')).toMatch(/tfjs-node-gpu skipped: package @tensorflow\/tfjs-node-gpu is not installed/);
  expect(auto.reasons.join('\n')).toMatch(/tfjs-node skipped/);
  expect(auto.reasons.join('\n')).toMatch(/wasm: binaries from/);
});

test('the wasm backend gives the cpu backend scores and training losses (1e-5)', async () => {
  const F = 5;
  const base: MlpSpec = { kind: 'mlp', inputSize: F, conditioning: { weights: 0, beta: false }, hidden: [8, 8], activation: 'relu', dropout: 0 };
  const net: TransformerSpec = {
    kind: 'transformer', inputSize: F, conditioning: { weights: 2, beta: true }, dModel: 8, nLayers: 2, nHeads: 2, ffHidden: 16, activation: 'gelu', dropout: 0,
  };
  const spec: RankerSpec = { base, cos: { net, parametrisation: 'augment', temperature: true } };
  const rng = new Rng(3);
  const params = { base: initParameters(base, rng), cos: initParameters(net, rng) };
  const offsets = Int32Array.from([0, 7, 10, 30]);
  const features = Float32Array.from({ length: 30 * F }, () => rng.normal());
  const input = { features, queryOffsets: offsets, weights: Float32Array.from([0.4, 0.6]), beta: Float32Array.from([0.9, 1.3]), c: 1.5 };
  const batch: ListBatch = {
    batchSize: 3, listSize: 10, inputSize: F,
    features: features.slice(0, 3 * 10 * F),
    mask: Uint8Array.from({ length: 30 }, (_, i) => (i % 10 < 8 ? 1 : 0)),
    labels: [0, 1].map(() => Float32Array.from({ length: 30 }, () => rng.int(3))),
    weights: Float32Array.from([0.5, 0.5, 0.2, 0.8, 1, 0]),
    beta: Float32Array.from([1, 1, 0.8, 1.2, 1.5, 0.7]),
  };
  const options: TrainSessionOptions = {
    spec, params, target: 'cos', loss: { kind: 'lipo', targets: ['sparse', 'dense'], lambda: 0.1 },
    optimizer: { learningRate: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0, clipNorm: 0 }, seed: 1,
  };
  const results = [];
  for (const backend of ['cpu', 'wasm'] as const) {
    const engine = await createTfjsEngine({ backend });
    expect(engine.name).toBe(`tfjs-${backend}`);
    const scores = await engine.score(spec, params, input);
    const session = await engine.createTrainSession(options);
    const losses = [await session.step(batch), await session.step(batch), await session.evaluateLoss(batch)];
    session.dispose();
    results.push({ scores, losses, backend: tf.getBackend() });
  }
  expect(results.map((r) => r.backend)).toEqual(['cpu', 'wasm']);
  const [cpu, wasm] = results;
  for (let i = 0; i < cpu.scores.length; i++) expect(Math.abs(wasm.scores[i] - cpu.scores[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(cpu.scores[i])));
  for (let i = 0; i < 3; i++) expect(Math.abs(wasm.losses[i] - cpu.losses[i])).toBeLessThan(1e-5);
});
