/**
 * Request bodies' memory (bodyChunks.ts `releaseChunks`): a scoring worker frees the chunks of a body it
 * has answered at once, instead of leaving them to a collection — V8 counts dead ArrayBuffers against
 * the heap's limit until a collection finds them, and with bodies of 0.5–2 MB per request that forced a
 * full mark-compact every 10–30 requests in the one-client benchmark (issue 17). Checked here: the
 * released buffers are detached (their memory goes with the next collection, and stops counting against
 * the heap's limit at once: a thread releasing 1.1 GB of chunks collects far less often than one that
 * drops them); views that do not own their buffer are left alone; the workers count their collections.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../../src/model/modelFile';
import { releaseChunks } from '../../src/serve/bodyChunks';
import { LocalBackend } from '../../src/serve/backend';
import { WorkerPool } from '../../src/serve/pool';
import { Ranker } from '../../src/serve/ranker';
import { Worker } from 'node:worker_threads';
import { workerScript } from '../../src/util/workerScript';
import { Rng } from '../../src/util/rng';
import { fixtureModel } from './fixture';

const MB = 1024 * 1024;

/** A body in fresh 64 KiB chunks, each owning its buffer (as the HTTP layer hands bodies over). */
const chunksOf = (bytes: Buffer) => Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, k) => new Uint8Array(bytes.subarray(k * 65536, (k + 1) * 65536)));

/** Collections of a fresh thread that receives 600 bodies of 30 × 64 KB chunks and releases or drops them. */
function collections(release: boolean): Promise<{ minor: number; major: number }> {
  const worker = new Worker(workerScript(path.join(__dirname, 'releaseLoop.ts')), { eval: true, workerData: { release } });
  return new Promise((resolve, reject) => {
    worker.once('message', (m: { minor: number; major: number }) => void worker.terminate().then(() => resolve(m)));
    worker.once('error', reject);
  });
}

describe('releaseChunks', () => {
  it('detaches owned chunks; views of a larger buffer stay', () => {
    const owned = Array.from({ length: 8 }, (_, i) => new Uint8Array(MB).fill(i + 1));
    const shared = new Uint8Array(4 * MB).fill(7);
    const view = shared.subarray(MB, 2 * MB);
    releaseChunks([...owned, view]);
    expect(owned.every((c) => c.byteLength === 0 && c.buffer.byteLength === 0)).toBe(true);
    expect(view.byteLength).toBe(MB);
    expect(view.every((b) => b === 7)).toBe(true);
    releaseChunks([]); // nothing to do
  });

  it('spares the collections that dropped chunks cost (a thread released vs one dropped, 1.1 GB each)', async () => {
    const dropped = await collections(false);
    const released = await collections(true);
    // measured: dropped 35–36 collections (nearly all for "external memory pressure"), released 4–8
    expect(released.minor + released.major).toBeLessThan((dropped.minor + dropped.major) / 2);
    expect(released.major).toBeLessThanOrEqual(dropped.major);
  }, 60_000);
});

describe('scoring in the HTTP thread (--workers 0)', () => {
  it('releases the chunks of a body once it is answered, and answers as a worker does', async () => {
    const raw = 136;
    const root = mkdtempSync(path.join(tmpdir(), 'cosrank-local-release-'));
    try {
      const dir = path.join(root, 'model');
      await saveModel(dir, fixtureModel(5, { rawFeatures: raw }));
      const rng = new Rng(8);
      const documents = Array.from({ length: 300 }, (_, i) => ({ id: `d${i}`, features: Array.from({ length: raw }, () => Math.fround(rng.uniformIn(-1, 1))) }));
      const bytes = Buffer.from(JSON.stringify({ documents, topK: 7 }));
      const chunks = () => chunksOf(bytes);
      const local = new LocalBackend(await Ranker.load(dir), { maxDocuments: 1000 });
      const body = chunks();
      expect(body.length).toBeGreaterThan(1);
      const answer = await local.handle({ route: 'rerank', contentType: 'application/json', body });
      expect(body.every((c) => c.byteLength === 0)).toBe(true);
      const pool = await WorkerPool.start({ dir, workers: 1, limits: { maxDocuments: 1000 } });
      try {
        expect(answer.body).toEqual((await pool.handle({ route: 'rerank', contentType: 'application/json', body: chunks() })).body);
      } finally {
        await pool.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('scoring worker collections', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'cosrank-body-memory-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('are counted by kind, and answers stay right after the bodies are released', async () => {
    const raw = 136;
    const dir = path.join(root, 'model');
    await saveModel(dir, fixtureModel(5, { rawFeatures: raw }));
    const pool = await WorkerPool.start({ dir, workers: 1, limits: { maxDocuments: 1000 } });
    try {
      const rng = new Rng(7);
      const documents = Array.from({ length: 1000 }, (_, i) => ({ id: `d${i}`, features: Array.from({ length: raw }, () => Math.fround(rng.uniformIn(-1, 1))) }));
      const bytes = Buffer.from(JSON.stringify({ documents, topK: 5 }));
      const chunks = () => chunksOf(bytes);
      const before = (await pool.workerStats())[0];
      const first = (await pool.handle({ route: 'rerank', contentType: 'application/json', body: chunks() })).body;
      for (let r = 0; r < 60; r++) {
        // ~2 MB of JSON numbers per request: the worker's young generation fills every few requests
        expect((await pool.handle({ route: 'rerank', contentType: 'application/json', body: chunks() })).body).toEqual(first);
      }
      const after = (await pool.workerStats())[0];
      expect(after.minorCollections).toBeGreaterThan(before.minorCollections);
      expect(after.majorCollections).toBeGreaterThanOrEqual(before.majorCollections);
    } finally {
      await pool.close();
    }
  }, 120_000);
});
