/**
 * Picks the execution engine (DESIGN.md §5). `onnx` and `auto` prefer the ONNX engine
 * (`./onnx/engine`, `createOnnxEngine()`) and fall back to tfjs when it is missing or fails to start,
 * saying why in the engine's `description`; `tfjs` goes straight to the tfjs engine.
 */
import type { Engine } from './engine';
import { createTfjsEngine, TfjsEngineOptions } from './tfjs/engine';

export type EngineRequest = 'auto' | 'tfjs' | 'onnx';

export interface EngineOptions {
  /** Options of the tfjs engine (used directly for `tfjs`, and as the fallback). */
  tfjs?: TfjsEngineOptions;
}

type OnnxModule = { createOnnxEngine: () => Promise<Engine> };

export async function createEngine(request: EngineRequest = 'auto', options: EngineOptions = {}): Promise<Engine> {
  if (request === 'tfjs') return createTfjsEngine(options.tfjs);
  let reason: string;
  try {
    // computed path: the ONNX engine is optional for the build and the typechecker
    const onnx = require(['.', 'onnx', 'engine'].join('/')) as Partial<OnnxModule>;
    if (typeof onnx.createOnnxEngine !== 'function') throw new Error('./onnx/engine does not export createOnnxEngine');
    return await onnx.createOnnxEngine();
  } catch (err) {
    reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
  }
  const fallback = await createTfjsEngine(options.tfjs);
  return {
    name: fallback.name,
    description: `onnx engine unavailable (${reason}); ${fallback.description}`,
    score: (spec, params, input) => fallback.score(spec, params, input),
    createTrainSession: (o) => fallback.createTrainSession(o),
  };
}
