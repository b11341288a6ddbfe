/**
 * The ONNX engine (DESIGN.md §5): rankers compiled to ONNX graphs by our own builder and run on
 * onnxruntime-node (CPU, graph optimisation level 'all', `threads` threads, default 2, idle intra-op
 * threads sleeping rather than spinning unless `spin`).
 *
 * - `score`: inputs checked by the shared `../checks.ts`; one inference session per (spec, parameters
 *   object), a bounded cache (inferenceCache.ts); rows or padded lists in chunks (score.ts).
 * - `createTrainSession`: one graph per batch shape with one thread, data-parallel over `threads`
 *   single-threaded sessions otherwise (trainSession.ts, dataParallel.ts, ortWorker.ts).
 * - Dropout: multipliers drawn in JS from `Rng(seed)` (0 with probability p, else 1/(1−p)) for the whole
 *   batch and fed as inputs (sliced per part: the same masks whatever the thread count); the tfjs engine
 *   draws its own masks, so dropout runs agree in distribution, not bit for bit.
 * - CUDA: with `cuda: true` or `COSRANK_ONNX_CUDA=1` the CUDA execution provider is requested first
 *   (falls back to CPU when it does not load; untested here — no GPU on the build machine).
 * Unsupported requests throw a `ConfigError` naming the field, so a selector can fall back to tfjs.
 */
import * as ort from 'onnxruntime-node';
import type { RankerParameters } from '../../model/rankerParameters';
import type { RankerSpec } from '../../model/spec';
import { checkRanker, checkScoreInput, weightsPerQuery } from '../checks';
import type { Engine, TrainProfile } from '../engine';
import { dataParallelPool, type DataParallel } from './dataParallel';
import { InferenceCache } from './inferenceCache';
import { scoreOnSession } from './score';
import { buildInferenceGraph } from './scorerGraph';
import type { Opener } from './session';
import { OnnxTrainSession } from './trainSession';

export interface OnnxEngineOptions {
  /**
   * Threads (default 2): intra-op threads of scoring sessions; for training, the number of data-parallel
   * parts (one on the calling thread, the rest on worker threads, each single-threaded).
   */
  threads?: number;
  /**
   * Train data-parallel over `threads` single-threaded sessions (default true); false runs the one-graph
   * step with `threads` intra-op threads.
   */
  dataParallel?: boolean;
  /** Request the CUDA execution provider (default: `COSRANK_ONNX_CUDA=1`). */
  cuda?: boolean;
  /** Maximum document slots (rows, or B·N for lists) per scoring run (default 65536). */
  maxSlots?: number;
  /**
   * Let idle intra-op threads spin (default false: they sleep, like OMP_WAIT_POLICY=PASSIVE — measured
   * faster on this shared 2-core machine; spinning may win on an idle dedicated one).
   */
  spin?: boolean;
  /**
   * Train MLP rankers (no dropout, no β input) on the real documents' rows only, gathered into the padded
   * lists for the loss (see trainGraph.ts `packed`; default true); false pads every list as the loss does.
   */
  packedRows?: boolean;
}

/** The session opener: CUDA first when requested and listed (falling back to CPU for good if it fails). */
function opener(base: ort.InferenceSession.SessionOptions, wantCuda: boolean, cudaListed: boolean): Opener {
  let cudaFailed = false;
  return async (bytes, intraThreads, extra = {}) => {
    if (wantCuda && cudaListed && !cudaFailed) {
      try {
        return await ort.InferenceSession.create(bytes, { ...base, ...extra, intraOpNumThreads: intraThreads, executionProviders: ['cuda', 'cpu'] });
      } catch {
        cudaFailed = true; // the CUDA provider did not load: CPU from now on
      }
    }
    return ort.InferenceSession.create(bytes, { ...base, ...extra, intraOpNumThreads: intraThreads, executionProviders: ['cpu'] });
  };
}

export async function createOnnxEngine(options: OnnxEngineOptions = {}): Promise<Engine> {
  const threads = options.threads ?? 2;
  const maxSlots = options.maxSlots ?? 65536;
  const wantCuda = options.cuda ?? process.env.COSRANK_ONNX_CUDA === '1';
  const cudaListed = ort.listSupportedBackends().some((b) => b.name === 'cuda');
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: options.spin === true ? '1' : '0' } } },
  };
  const open = opener(base, wantCuda, cudaListed);
  // data parallelism is for the CPU provider only; the worker threads are shared by every train session of
  // this engine, started on first use, and never keep the process alive (see OrtWorker)
  const parallel: DataParallel | null =
    threads > 1 && !wantCuda && options.dataParallel !== false ? dataParallelPool(threads, { ...base, intraOpNumThreads: 1, executionProviders: ['cpu'] }) : null;
  let sessionCount = 0;
  const profile: TrainProfile = { transfer: 0, engine: 0, optimiser: 0 };
  const provider = wantCuda ? (cudaListed ? 'CUDA requested (CPU fallback if it fails to load)' : 'CUDA requested but not available: CPU') : 'CPU';
  const checked = new WeakMap<RankerParameters, RankerSpec>();
  // the w-per-document graph scores sweeps: a few big runs per parameters object (a validation), where an
  // arena and memory pattern planned on the first run cost more than they save (measured: a cold 30k-row run
  // took several times the 11 point-by-point runs it replaces with them, about the same without)
  const oneOff: ort.InferenceSession.SessionOptions = { enableCpuMemArena: false, enableMemPattern: false };
  const inference = new InferenceCache((spec: RankerSpec, params: RankerParameters, perDocumentW: boolean) =>
    open(buildInferenceGraph(spec, params, perDocumentW).toModel(), threads, perDocumentW ? oneOff : {}),
  );
  return {
    name: 'onnx',
    description: `onnxruntime-node ${ort.env.versions.common} (${provider}, ${threads} threads: intra-op for scoring, ${parallel ? `${threads} data-parallel parts` : 'intra-op'} for training${options.packedRows !== false ? ', MLP rankers without dropout on packed rows with intra-op threads' : ''}; graphs built by cosrank, opset 17)`,
    async score(spec, params, input) {
      // a (spec, parameters) pairing is checked once: sessions are cached by the same identities
      if (checked.get(params) !== spec) {
        checkRanker(spec, params);
        checked.set(params, spec);
      }
      const nDocs = checkScoreInput(spec, input);
      const perQuery = weightsPerQuery(spec, input);
      return inference.with(spec, params, (session) => scoreOnSession(spec, input, nDocs, session, maxSlots), perQuery);
    },
    async createTrainSession(sessionOptions) {
      return new OnnxTrainSession(sessionOptions, open, threads, parallel, `s${sessionCount++}`, profile, options.packedRows !== false);
    },
    trainProfile: () => ({ ...profile }),
  };
}
