/**
 * The scoring workers run with the pool's young-generation limit (pool.ts WORKER_YOUNG_GENERATION_MB,
 * whose comment gives the measurement behind it) and count their collections (`workerStats`). Whether
 * full collections are avoided depends on the HTTP thread's timing and is measured by the serve
 * benchmark, not asserted here: in this test's single-process loop Node's default did not reliably
 * show them either.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../../src/model/modelFile';
import { WORKER_YOUNG_GENERATION_MB, WorkerPool } from '../../src/serve/pool';
import { Rng } from '../../src/util/rng';
import { fixtureModel } from './fixture';

const RAW = 136;
const CANDIDATES = 1000;
const REQUESTS = 200;

/** A base64 request body in 64 KB chunks, each owning its buffer, as Node's HTTP parser hands them over. */
function chunkedBody(rng: Rng): Uint8Array[] {
  const documents = Array.from({ length: CANDIDATES }, (_, i) => ({
    id: `d${i}`,
    features: Buffer.from(Float32Array.from({ length: RAW }, () => rng.uniformIn(-1, 1)).buffer).toString('base64'),
  }));
  const bytes = Buffer.from(JSON.stringify({ documents, topK: 10 }));
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 65536) chunks.push(new Uint8Array(bytes.subarray(at, at + 65536)));
  return chunks;
}

describe('scoring worker heap', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'cosrank-heap-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('runs every worker with the young-generation limit and counts the collections of transferred bodies', async () => {
    const dir = path.join(root, 'model');
    await saveModel(dir, fixtureModel(5, { rawFeatures: RAW }));
    const pool = await WorkerPool.start({ dir, workers: 1, limits: { maxDocuments: CANDIDATES } });
    try {
      const rng = new Rng(7);
      const text = chunkedBody(rng);
      const before = (await pool.workerStats())[0];
      for (let r = 0; r < REQUESTS; r++) {
        const reply = await pool.handle({ route: 'rerank', contentType: 'application/json', body: text.map((c) => new Uint8Array(c)) });
        expect(reply.status).toBe(200);
      }
      const after = (await pool.workerStats())[0];
      const minor = after.minorCollections - before.minorCollections;
      expect(after.youngGenerationMb).toBe(WORKER_YOUNG_GENERATION_MB);
      // 200 × 0.7 MB of transferred bodies and their replies: the worker's young generation filled
      // several times (12 scavenges per 300 requests measured), each seen by the counter
      expect(minor).toBeGreaterThan(0);
      expect(after.majorCollections).toBeGreaterThanOrEqual(before.majorCollections);
    } finally {
      await pool.close();
    }
  }, 120_000);
});
