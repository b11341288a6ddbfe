/**
 * Options of the tfjs engine, in a file that does not import TensorFlow.js: the engine selector and the
 * package's public declarations name them without making `@tensorflow/tfjs` (an optional peer
 * dependency) a requirement of a consumer's type check.
 */

/** Which TensorFlow.js backend to run on (`auto`: the fastest that loads; see backend.ts). */
export type BackendRequest = 'auto' | 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

export interface TfjsEngineOptions {
  /** Backend request (default `auto`: tfjs-node-gpu, tfjs-node, wasm, cpu — the first that loads). */
  backend?: BackendRequest;
  /** Maximum padded document slots (B·N) per scoring forward pass. */
  scoreBatchSlots?: number;
}
