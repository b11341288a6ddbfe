/**
 * Worker-thread entry of `readLetor`: parses the byte range described by `workerData` (a
 * `LetorPartJob`), posts `{done: bytes}` as it goes, then `{part}` (its arrays transferred, not
 * copied) or `{error}`; the main thread then re-reads a failed range itself to report the error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { parseLetorPart, type LetorPartJob } from './letorThreads';

const port = parentPort;
if (port) {
  parseLetorPart(workerData as LetorPartJob, (done) => port.postMessage({ done })).then(
    (part) => port.postMessage({ part }, [part.features.buffer, part.labels.buffer].filter((b): b is ArrayBuffer => b instanceof ArrayBuffer)),
    (err: unknown) => port.postMessage({ error: err instanceof Error ? err.message : String(err) }),
  );
}
