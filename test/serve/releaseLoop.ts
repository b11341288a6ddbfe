/**
 * Worker thread of bodyMemory.test.ts: receives 600 bodies of 30 fresh 64 KB chunks, one per turn of the
 * event loop as a scoring worker would, and either releases each body's chunks (`releaseChunks`) or
 * just drops them; posts back its garbage collections by kind.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { releaseChunks } from '../../src/serve/bodyChunks';
import { countCollections } from '../../src/util/gcCounts';

async function main(): Promise<void> {
  const counts = countCollections();
  let read = 0;
  for (let body = 0; body < 600; body++) {
    const chunks = Array.from({ length: 30 }, () => new Uint8Array(65536));
    for (const c of chunks) read += c[body % 65536];
    if ((workerData as { release: boolean }).release) releaseChunks(chunks);
    await new Promise((resolve) => setImmediate(resolve));
  }
  await new Promise((resolve) => setTimeout(resolve, 50)); // let the last entries arrive
  parentPort?.postMessage({ minor: counts.minorCollections, major: counts.majorCollections, read });
}

void main();
