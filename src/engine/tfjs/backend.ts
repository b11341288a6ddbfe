/**
 * Chooses the TensorFlow.js backend the tfjs engine runs on (DESIGN.md §5).
 *
 * `auto` tries, in order, `@tensorflow/tfjs-node-gpu` (native, CUDA), `@tensorflow/tfjs-node` (native
 * CPU), the wasm backend (`@tensorflow/tfjs-backend-wasm`, binaries loaded from the package's `dist`
 * folder) and finally the plain-JavaScript `cpu` backend, keeping the first that initialises. A forced
 * request that cannot be met throws a `BackendUnavailableError` naming the reason.
 *
 * The native packages are optional: they are required through a computed module name inside
 * try/catch, so their absence never breaks the build, the typecheck or the tests.
 *
 * tfjs keeps one engine per process (in a global), so the backend chosen here is process-wide; ops
 * from the statically imported `@tensorflow/tfjs` run on the native backends too once registered.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

import type { BackendRequest } from './options';

export type { BackendRequest };

export interface SelectedBackend {
  /** The request name of the backend in use: `tfjs-node-gpu`, `tfjs-node`, `wasm` or `cpu`. */
  name: Exclude<BackendRequest, 'auto'>;
  /** The name the backend is registered under in tfjs (`tensorflow`, `wasm`, `cpu`), for `switchTo`. */
  tfBackend: string;
  tf: typeof import('@tensorflow/tfjs');
  /** One line per backend tried and skipped (and a note on the one used), for run logs. */
  reasons: string[];
}

/** A forced backend could not be loaded. */
export class BackendUnavailableError extends Error {
  constructor(
    readonly backend: string,
    readonly reason: string,
  ) {
    super(`tfjs backend '${backend}' is not available: ${reason}`);
    this.name = 'BackendUnavailableError';
  }
}

type Candidate = Exclude<BackendRequest, 'auto'>;

let wasmConfigured = false;

const AUTO_ORDER: Candidate[] = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];

/**
 * Activates a backend. Resolves to the backend used and, for `auto`, why each earlier candidate was
 * skipped. Also sets the tfjs `PROD` flag, which only silences tfjs's console warnings (library
 * code does not print).
 */
export async function selectBackend(request: BackendRequest = 'auto'): Promise<SelectedBackend> {
  tf.env().set('PROD', true);
  const order = request === 'auto' ? AUTO_ORDER : [request];
  const reasons: string[] = [];
  for (const candidate of order) {
    let failure: string;
    try {
      const note = await activate(candidate);
      if (note) reasons.push(`${candidate}: ${note}`);
      return { name: candidate, tfBackend: tfBackendName(candidate), tf, reasons };
    } catch (err) {
      failure = err instanceof Error ? err.message : String(err);
    }
    if (request !== 'auto') throw new BackendUnavailableError(candidate, failure);
    reasons.push(`${candidate} skipped: ${failure}`);
  }
  // unreachable in practice: the cpu backend ships with @tensorflow/tfjs
  throw new BackendUnavailableError('auto', reasons.join('; '));
}

/** Loads and switches to one backend; returns an optional note for the log, throws when unusable. */
async function activate(candidate: Candidate): Promise<string> {
  switch (candidate) {
    case 'tfjs-node-gpu':
    case 'tfjs-node': {
      loadOptional(`@tensorflow/${candidate}`);
      await switchTo(tfBackendName(candidate));
      return '';
    }
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
      if (!wasmConfigured) {
        // only allowed before the first initialisation; afterwards the binaries are already loaded
        wasm.setWasmPaths(dist + path.sep);
        wasm.setThreadsCount(Math.max(1, os.cpus().length));
        wasmConfigured = true;
      }
      await switchTo('wasm');
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
      const threaded = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
      return `binaries from ${dist}, simd ${simd ? 'on' : 'off'}, ` +
        (threaded ? `${wasm.getThreadsCount()} threads` : 'single-threaded (no multithread support here)');
    }
    case 'cpu':
      await switchTo('cpu');
      return '';
  }
}

function tfBackendName(candidate: Candidate): string {
  // both native packages register their kernels under the backend name 'tensorflow'
  return candidate === 'tfjs-node-gpu' || candidate === 'tfjs-node' ? 'tensorflow' : candidate;
}

/** Requires an optional package by a computed name so bundlers and the typechecker never see it. */
function loadOptional(moduleName: string): void {
  const name = [moduleName].join('');
  try {
    require.resolve(name);
  } catch {
    throw new Error(`package ${name} is not installed`);
  }
  try {
    require(name);
  } catch (err) {
    throw new Error(`package ${name} failed to load: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Makes a backend current (cheap when it already is and was initialised before). */
export async function switchTo(backendName: string): Promise<void> {
  const ok = await tf.setBackend(backendName);
  if (!ok) throw new Error(`backend '${backendName}' failed to initialise`);
  await tf.ready();
}
