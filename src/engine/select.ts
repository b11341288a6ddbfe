/**
 * Picks the execution engine (DESIGN.md §5), and the ONNX export, the one engine entry code above the
 * engines uses besides the `Engine` interface. `onnx` and `auto` prefer the ONNX engine
 * (`./onnx/engine`, `createOnnxEngine()`) and fall back to tfjs when it is missing or fails to start,
 * saying why in the engine's `description`; `tfjs` goes straight to the tfjs engine.
 */
import type { RankerParameters } from '../model/rankerParameters';
import type { RankerSpec } from '../model/spec';
import type { Engine, ExportedGraph, OnnxExport } from './engine';
import type { TfjsEngineOptions } from './tfjs/options';

export type EngineRequest = 'auto' | 'tfjs' | 'onnx';

export interface EngineOptions {
  /** Options of the tfjs engine (used directly for `tfjs`, and as the fallback). */
  tfjs?: TfjsEngineOptions;
  /** Options of the ONNX engine; `threads`: intra-op threads of scoring (one per serving worker). */
  onnx?: { threads?: number };
}

type OnnxModule = { createOnnxEngine: (options?: { threads?: number }) => Promise<Engine> };

/** An optional package that a requested feature needs is not installed; the message names the install command. */
export class MissingPackageError extends Error {
  constructor(
    readonly packages: string[],
    feature: string,
  ) {
    super(`${feature} needs ${packages.join(' and ')}, which ${packages.length === 1 ? 'is' : 'are'} not installed: run \`npm install ${packages.join(' ')}\``);
    this.name = 'MissingPackageError';
  }
}

/**
 * The tfjs engine is optional (peer dependency): it and TensorFlow.js load only when asked for, so the
 * default (ONNX) install and start-up never pay for them.
 */
function createTfjsEngine(options?: TfjsEngineOptions): Promise<Engine> {
  try {
    require.resolve('@tensorflow/tfjs');
  } catch {
    throw new MissingPackageError(['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'], 'the tfjs engine');
  }
  const tfjs = require('./tfjs/engine') as typeof import('./tfjs/engine');
  return tfjs.createTfjsEngine(options);
}

/** Loads an optional part of the ONNX engine by a computed path (optional for the build and the typechecker). */
function requireOnnx<T>(file: string): Partial<T> {
  return require(['.', 'onnx', file].join('/')) as Partial<T>;
}

export async function createEngine(request: EngineRequest = 'auto', options: EngineOptions = {}): Promise<Engine> {
  if (request === 'tfjs') return createTfjsEngine(options.tfjs);
  let reason: string;
  try {
    const onnx = requireOnnx<OnnxModule>('engine');
    if (typeof onnx.createOnnxEngine !== 'function') throw new Error('./onnx/engine does not export createOnnxEngine');
    return await onnx.createOnnxEngine(options.onnx);
  } catch (err) {
    reason = err instanceof Error ? err.message.split('\n')[0] : String(err);
  }
  let fallback: Engine;
  try {
    fallback = await createTfjsEngine(options.tfjs);
  } catch (err) {
    if (err instanceof MissingPackageError) throw new MissingPackageError(err.packages, `the onnx engine is unavailable (${reason}); the fallback, the tfjs engine,`);
    throw err;
  }
  return {
    name: fallback.name,
    description: `onnx engine unavailable (${reason}); ${fallback.description}`,
    score: (spec, params, input) => fallback.score(spec, params, input),
    createTrainSession: (o) => fallback.createTrainSession(o),
  };
}

/**
 * The engine an export is checked against: the tfjs engine (an independent implementation) when
 * `@tensorflow/tfjs` is installed; otherwise the ONNX engine's own scorer, so an install without the
 * optional tfjs still exports (the verification names the reference it used).
 */
async function exportReference(options?: TfjsEngineOptions): Promise<Engine> {
  try {
    return await createTfjsEngine(options);
  } catch (err) {
    if (!(err instanceof MissingPackageError)) throw err;
  }
  const onnx = requireOnnx<OnnxModule>('engine');
  if (typeof onnx.createOnnxEngine !== 'function') throw new Error('./onnx/engine does not export createOnnxEngine');
  return onnx.createOnnxEngine();
}

export interface OnnxExportOptions {
  /** Seed of the random verification inputs (default 1). */
  seed?: number;
  /** Documents per verification case (default 64; split into lists for the lists layout). */
  documents?: number;
  /** Verification cases (trade-offs) scored (default 4). */
  cases?: number;
  /** Backend of the tfjs reference engine (default auto). */
  tfjs?: TfjsEngineOptions;
}

/** The inputs and outputs of the ONNX graph `exportOnnxRanker` writes for a ranker with spec `spec`. */
export function onnxExportInterface(spec: RankerSpec): ExportedGraph {
  const exporter = requireOnnx<typeof import('./onnx/export')>('export');
  if (!exporter.exportInterface) throw new Error('the ONNX export is not available in this build');
  return exporter.exportInterface(spec);
}

/**
 * Writes the ranker as one ONNX inference graph (parameters baked in, opset 17; see
 * `engine/onnx/export.ts`) to `file`, then verifies the file: opened with onnxruntime as an outside
 * consumer would, scored on seeded random inputs and compared with the tfjs engine
 * (`engine/onnx/verifyExport.ts`). The caller judges `verification.maxAbsDiff`.
 */
export async function exportOnnxRanker(spec: RankerSpec, params: RankerParameters, file: string, options: OnnxExportOptions = {}): Promise<OnnxExport> {
  const exporter = requireOnnx<typeof import('./onnx/export')>('export');
  const verifier = requireOnnx<typeof import('./onnx/verifyExport')>('verifyExport');
  if (!exporter.exportOnnx || !exporter.exportInterface || !verifier.verifyOnnxExport) throw new Error('the ONNX export is not available in this build');
  await exporter.exportOnnx(spec, params, file);
  const reference = await exportReference(options.tfjs);
  const verification = await verifier.verifyOnnxExport(file, spec, params, reference, options);
  return { file, ...exporter.exportInterface(spec), verification };
}
