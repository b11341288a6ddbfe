/** Small onnxruntime-node helpers shared by the ONNX engine's parts. */
import * as ort from 'onnxruntime-node';

export type Session = ort.InferenceSession;
export type Feeds = Record<string, ort.Tensor>;
/** Opens a session on the calling thread with the given intra-op thread count (and options over the engine's). */
export type Opener = (bytes: Uint8Array, intraThreads: number, extra?: ort.InferenceSession.SessionOptions) => Promise<Session>;

/** A float32 tensor over `data` (no copy). */
export const f32 = (data: Float32Array, dims: readonly number[]): ort.Tensor => new ort.Tensor('float32', data, dims);
