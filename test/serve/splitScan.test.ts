/**
 * A body scanned by two workers (splitScan.ts) against the same body scanned by one, the independent truth
 * being the one-thread scan (itself tested against JSON.parse in bodies.test.ts): for seeded random bodies
 * split at every kind of offset, the same matrix, ids and fields, or the same error; the second half's
 * rows are really the ones used (a marked copy shows up); ids that contain a document boundary, a late or
 * absent second half, and a limit crossed by the second half leave the answer unchanged. Both halves run
 * in this thread here (the second first); the server runs them in two workers (http tests).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { BufferPool } from '../../src/serve/bufferPool';
import { inputLayout, type FeatureLayout } from '../../src/serve/documents';
import { scanRequest, type TailHelp } from '../../src/serve/jsonScanner';
import { abandonSplitTail, fillSplitBuffer, scanSplitTail, splitBufferBytes, tailHelp } from '../../src/serve/splitScan';
import { RequestError } from '../../src/serve/tradeoff';
import { saveModel } from '../../src/model/modelFile';
import { Rng } from '../../src/util/rng';
import { denseDocs, fixtureModel, RAW_FEATURES, randomDocuments } from './fixture';
import { randomBody } from './randomBodies';

const layout: FeatureLayout = inputLayout(RAW_FEATURES, Int32Array.from({ length: 10 }, (_, i) => i));

function outcome(f: () => unknown): unknown {
  try {
    const r = f() as { input: Float32Array; ids: unknown[]; fields: Record<string, unknown> } | null;
    return r === null ? null : { input: Array.from(r.input), ids: r.ids, fields: { ...r.fields } };
  } catch (err) {
    if (err instanceof RequestError) return { field: err.field, message: err.message };
    return { error: String(err) };
  }
}

/** The second half of `body` from `from` on, scanned first (as worker B would), then the help worker A gets. */
function split(body: Uint8Array, from: number, mark?: number): TailHelp {
  const pool = new BufferPool(1 << 26, 1 << 26, true);
  const buffer = pool.bytes(splitBufferBytes(body.length - from, layout)).buffer as SharedArrayBuffer;
  // the body in uneven chunks, as it arrives
  const chunks = [body.subarray(0, 7), body.subarray(7, from + 3), body.subarray(from + 3)].filter((c) => c.length > 0);
  const request = fillSplitBuffer(buffer, chunks, from, layout);
  scanSplitTail(request, layout, new BufferPool());
  if (mark !== undefined) {
    // overwrite the published rows: if the first half's scan uses them, the mark shows in its matrix
    const help = tailHelp(request, layout).wait();
    help?.rows.fill(mark);
  }
  return tailHelp(request, layout);
}

describe('a JSON body scanned in two halves', () => {
  it('reads 300 seeded random bodies, split anywhere, exactly as one scan does', () => {
    const rng = new Rng(41);
    let used = 0;
    for (let k = 0; k < 300; k++) {
      const text = randomBody(rng, 2 + rng.int(12));
      const body = Buffer.from(text);
      const truth = outcome(() => scanRequest(body, layout, 1000));
      for (const from of [1, rng.int(body.length), body.length >> 1, body.length - 2]) {
        expect(outcome(() => scanRequest(body, layout, 1000, undefined, undefined, split(body, from)))).toEqual(truth);
      }
      // marked rows in the second half: how often the split was taken (it must be, for most bodies)
      const marked = outcome(() => scanRequest(body, layout, 1000, undefined, undefined, split(body, body.length >> 1, 777)));
      if (marked && typeof marked === 'object' && 'input' in marked && (marked.input as number[]).includes(777)) used++;
    }
    expect(used).toBeGreaterThan(150);
  });

  it('takes the second half only where it starts at a document the first half reaches: ids holding "},{" change nothing', () => {
    const docs = Array.from({ length: 40 }, (_, d) => `{"id":"x},{\\"id\\":${d}},{","features":[${Array.from({ length: RAW_FEATURES }, (_, i) => d + i / 8).join(',')}]}`);
    const body = Buffer.from(`{"documents":[${docs.join(',')}],"topK":5}`);
    const truth = outcome(() => scanRequest(body, layout, 1000));
    expect(truth).toHaveProperty('ids');
    for (let from = 1; from < body.length; from += 97) expect(outcome(() => scanRequest(body, layout, 1000, undefined, undefined, split(body, from)))).toEqual(truth);
  });

  it('errors are those of one scan: a bad value or a duplicate id in the second half, a limit crossed there', () => {
    const doc = (id: number | string, v = '1') => `{"id":${JSON.stringify(id)},"features":[${v},${new Array(RAW_FEATURES - 1).fill('0.5').join(',')}]}`;
    const bodies = [
      `{"documents":[${Array.from({ length: 30 }, (_, d) => doc(d, d === 25 ? '"x"' : '1')).join(',')}]}`,
      `{"documents":[${Array.from({ length: 30 }, (_, d) => doc(d === 27 ? 3 : d)).join(',')}]}`,
      `{"documents":[${Array.from({ length: 30 }, (_, d) => doc(`d${d}`)).join(',')}],"topK":0}`,
    ];
    for (const text of bodies) {
      const body = Buffer.from(text);
      for (const limit of [1000, 20]) {
        const truth = outcome(() => scanRequest(body, layout, limit));
        expect(outcome(() => scanRequest(body, layout, limit, undefined, undefined, split(body, body.length >> 1)))).toEqual(truth);
      }
    }
    // the duplicate across the halves is named at its own index
    expect(outcome(() => scanRequest(Buffer.from(bodies[1]), layout, 1000, undefined, undefined, split(Buffer.from(bodies[1]), bodies[1].length >> 1)))).toMatchObject({ field: 'documents[27].id' });
  });

  it('a second half that gives up, never comes, or was read for another model leaves the first half to read it', () => {
    const body = Buffer.from(JSON.stringify({ documents: denseDocs(randomDocuments(50, 3)) }));
    const truth = outcome(() => scanRequest(body, layout, 1000));
    const pool = new BufferPool(1 << 26, 1 << 26, true);
    const from = body.length >> 1;
    const request = fillSplitBuffer(pool.bytes(splitBufferBytes(body.length - from, layout)).buffer as SharedArrayBuffer, [body], from, layout);
    const late = tailHelp(request, layout); // nobody scans the second half: the wait times out
    expect(outcome(() => scanRequest(body, layout, 1000, undefined, undefined, late))).toEqual(truth);
    abandonSplitTail(request);
    expect(outcome(() => scanRequest(body, layout, 1000, undefined, undefined, tailHelp(request, layout)))).toEqual(truth);
    // a worker serving a model of another width (a reload between the two halves) publishes nothing
    const other = fillSplitBuffer(pool.bytes(splitBufferBytes(body.length - from, layout)).buffer as SharedArrayBuffer, [body], from, layout);
    scanSplitTail(other, inputLayout(RAW_FEATURES, Int32Array.from({ length: RAW_FEATURES }, (_, i) => i)), new BufferPool());
    const help = tailHelp(other, layout);
    expect(help.wait()).toBeNull();
    expect(outcome(() => scanRequest(body, layout, 1000, undefined, undefined, help))).toEqual(truth);
  });
});

describe('the server splits large JSON bodies between idle workers', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'cosrank-split-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('answers exactly as scoring in one thread, did split, reuses its shared buffer, and leaves bodies over 16 MB whole', async () => {
    const { WorkerPool } = await import('../../src/serve/pool');
    const { Ranker } = await import('../../src/serve/ranker');
    const { handleScoring } = await import('../../src/serve/handler');
    const dir = path.join(root, 'model');
    await saveModel(dir, fixtureModel(3));
    const pool = await WorkerPool.start({ dir, workers: 2, limits: { maxDocuments: 1000 }, splitMinBytes: 1024 });
    try {
      const ranker = await Ranker.load(dir);
      for (const n of [40, 300]) {
        const text = JSON.stringify({ documents: denseDocs(randomDocuments(n, n)).map((d, i) => ({ ...d, id: `q${i}` })), topK: 7 });
        const req = () => ({ route: 'rerank' as const, contentType: 'application/json', body: [new Uint8Array(Buffer.from(text))] });
        const alone = await handleScoring(ranker, req(), { maxDocuments: 1000 });
        const before = pool.splitStats().splits;
        const got = await pool.handle(req());
        expect(pool.splitStats().splits).toBe(before + 1);
        expect(JSON.parse(got.body as string)).toEqual(JSON.parse(alone.body as string));
        // one after another (each once both workers are idle again), the requests of one size reuse one
        // shared buffer, given back when both workers are done with it: one held per size seen
        const held = n === 40 ? 1 : 2;
        const bothDone = async () => {
          for (let wait = 0; wait < 400 && pool.splitStats().buffersHeld < held; wait++) await new Promise((resolve) => setTimeout(resolve, 5));
        };
        for (let k = 0; k < 5; k++) {
          await bothDone();
          await pool.handle(req());
        }
        await bothDone();
        expect(pool.splitStats()).toEqual({ splits: before + 6, buffersHeld: held });
      }
      // a body over 16 MB (here mostly whitespace) is not split: the HTTP thread would copy half of it
      const big = JSON.stringify({ documents: denseDocs(randomDocuments(40, 9)) }).replace('[', `[${' '.repeat(17 * 1024 * 1024)}`);
      const splits = pool.splitStats().splits;
      const bigReq = () => ({ route: 'score' as const, contentType: 'application/json', body: [new Uint8Array(Buffer.from(big))] });
      expect(JSON.parse((await pool.handle(bigReq())).body as string)).toEqual(JSON.parse((await handleScoring(ranker, bigReq(), { maxDocuments: 1000 })).body as string));
      expect(pool.splitStats().splits).toBe(splits);
    } finally {
      await pool.close();
    }
  });
});
