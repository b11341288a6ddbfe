/**
 * createEngine: explicit tfjs, and the ONNX preference falling back to tfjs with the reason recorded.
 */
import { createEngine } from '../../src/engine/select';

test('tfjs is created directly', async () => {
  const engine = await createEngine('tfjs', { tfjs: { backend: 'cpu' } });
  expect(engine.name).toBe('tfjs-cpu');
});

test('onnx is preferred; a fallback to tfjs says why', async () => {
  const engine = await createEngine('onnx', { tfjs: { backend: 'cpu' } });
  if (engine.name.startsWith('tfjs')) expect(engine.description).toMatch(/^onnx engine unavailable \(.+\); tfjs on backend cpu/);
  else expect(engine.name).toMatch(/onnx/);
});
