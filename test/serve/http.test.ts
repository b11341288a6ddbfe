/**
 * The HTTP service, started for real on a loopback port and driven with real requests (fetch):
 * results equal the runtime API exactly, every bad request is a 400 naming its field, the server
 * survives 1,000 mixed bad requests, reload swaps models without failing concurrent requests, and
 * close lets an in-flight request finish.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Field, FixedSizeList, Float32, Table, tableFromIPC, tableToIPC, Uint64, Utf8, vectorFromArray, type Vector } from 'apache-arrow';
import type { FastifyInstance } from 'fastify';
import type { Engine } from '../../src/engine/engine';
import { createEngine } from '../../src/engine/select';
import { saveModel } from '../../src/model/modelFile';
import { createServer } from '../../src/serve/http';
import { Ranker } from '../../src/serve/ranker';
import { ARROW, denseDocs, fixtureModel, randomDocuments, RAW_FEATURES, refusal, sendTo, type Reply } from './fixture';

const MAX_DOCS = 50;
const BODY_LIMIT = 64 * 1024;

let root: string;
let dir: string;
let engine: Engine;
let server: ReturnType<typeof createServer>;
let url: string;

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'cosrank-http-'));
  dir = path.join(root, 'model');
  await saveModel(dir, fixtureModel(3));
  engine = await createEngine('auto');
  const load = () => Ranker.load(dir, { engineInstance: engine });
  server = createServer(await load(), { maxDocuments: MAX_DOCS, bodyLimit: BODY_LIMIT, loadRanker: load });
  url = await listen(server.app);
});
afterAll(async () => {
  await server.app.close();
  rmSync(root, { recursive: true, force: true });
});


async function post(route: string, body: unknown, raw = false, contentType = 'application/json'): Promise<Reply> {
  const res = await fetch(url + route, { method: 'POST', headers: { 'content-type': contentType }, body: raw ? (body as string) : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const docs = denseDocs(randomDocuments(30, 9));

describe('valid requests', () => {
  it('POST /rerank returns exactly what ranker.rerank returns', async () => {
    for (const options of [{}, { weights: { clicks: 0.7, freshness: 0.3 } }, { weights: [1, 0], c: 3, topK: 7 }]) {
      const res = await post('/rerank', { documents: docs, ...options });
      expect(res.status).toBe(200);
      expect(res.body.results).toEqual(await server.ranker().rerank(docs, options));
      expect(res.body.engine).toBe('onnx');
    }
    // the compact base64 float32 form gives the same answer
    const b64 = docs.map(({ id, features }) => ({ id, features: Buffer.from(Float32Array.from(features).buffer).toString('base64') }));
    expect((await post('/rerank', { documents: b64 })).body.results).toEqual(await server.ranker().rerank(docs));
  });

  it('POST /score returns the scores in the given order', async () => {
    const res = await post('/score', { documents: docs, weights: [0.2, 0.8] });
    expect(res.status).toBe(200);
    const r = server.ranker();
    expect(res.body.scores).toEqual(Array.from(await r.score(r.denseFeatures(docs), { weights: [0.2, 0.8] })));
  });

  it('GET /healthz and GET /model', async () => {
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    const model = (await (await fetch(`${url}/model`)).json()) as Record<string, unknown>;
    expect(model).toMatchObject({
      mainObjective: 'relevance',
      objectives: ['freshness', 'clicks'],
      featureCount: RAW_FEATURES,
      inputFeatures: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      defaultWeights: [0.25, 0.75],
      conditioned: true,
      formatVersion: 1,
      maxDocuments: MAX_DOCS,
    });
  });
});

const features = docs[0].features;
/** Each bad request, the field its 400 must name, and how it is sent. */
const BAD: { what: string; body: unknown; field: string; raw?: boolean; route?: string; contentType?: string; status?: number }[] = [
  { what: 'wrong feature count', body: { documents: [docs[0], { id: 'x', features: features.slice(2) }] }, field: 'documents[1].features' },
  { what: 'NaN as a string', body: { documents: [{ id: 'x', features: [...features.slice(0, 3), 'NaN', ...features.slice(4)] }] }, field: 'documents[0].features[3]' },
  { what: 'NaN literal (not JSON)', body: `{"documents": [{"id": 1, "features": [${features.slice(1).join(',')}, NaN]}]}`, raw: true, field: 'body' },
  { what: 'non-number in a sparse map', body: { documents: [{ id: 'x', features: { '3': null } }] }, field: 'documents[0].features.3' },
  { what: 'base64 features of the wrong length', body: { documents: [{ id: 'x', features: Buffer.from(Float32Array.from(features.slice(1)).buffer).toString('base64') }] }, field: 'documents[0].features' },
  { what: 'sparse index out of range', body: { documents: [{ id: 'x', features: { '13': 1 } }] }, field: 'documents[0].features.13' },
  { what: 'unknown objective', body: { documents: docs, weights: { popularity: 1 } }, field: 'weights.popularity' },
  { what: 'negative weight', body: { documents: docs, weights: [-0.5, 1.5] }, field: 'weights[0]' },
  { what: 'negative weight by name', body: { documents: docs, weights: { clicks: -1 } }, field: 'weights.clicks' },
  { what: 'all-zero weights', body: { documents: docs, weights: [0, 0] }, field: 'weights' },
  { what: 'wrong number of weights', body: { documents: docs, weights: [1, 2, 3] }, field: 'weights' },
  { what: 'empty list', body: { documents: [] }, field: 'documents' },
  { what: 'over-limit list length', body: { documents: Array.from({ length: MAX_DOCS + 1 }, (_, i) => ({ id: i, features })) }, field: 'documents' },
  { what: 'over-limit body size', body: { documents: docs.slice(0, 1), padding: 'x'.repeat(BODY_LIMIT) }, field: 'body' },
  { what: 'malformed JSON', body: '{"documents": [', raw: true, field: 'body' },
  { what: 'empty body', body: '', raw: true, field: 'body' },
  { what: 'missing documents', body: { weights: [1, 0] }, field: 'documents' },
  { what: 'topK as a string', body: { documents: docs, topK: '3' }, field: 'topK' },
  { what: 'topK fractional', body: { documents: docs, topK: 2.5 }, field: 'topK' },
  { what: 'topK zero', body: { documents: docs, topK: 0 }, field: 'topK' },
  { what: 'c negative', body: { documents: docs, c: -1 }, field: 'c' },
  { what: 'beta sent to a W-COS model', body: { documents: docs, beta: { clicks: 2 } }, field: 'beta' },
  // below / beyond float32: the engine would see 0 (a 500 from the ONNX engine's own check) or ∞ (NaN scores)
  { what: 'c that rounds to 0 in float32', body: { documents: docs, c: 1e-50 }, field: 'c' },
  { what: 'feature beyond float32', body: { documents: [{ id: 1, features: [1e39, ...features.slice(1)] }] }, route: '/score', field: 'documents[0].features[0]' },
  { what: 'sparse feature beyond float32', body: { documents: [{ id: 1, features: { '2': -1e39 } }] }, field: 'documents[0].features.2' },
  { what: 'finite features that overflow inside the network', body: { documents: [docs[0], { id: 'big', features: features.map(() => 3e38) }] }, field: 'documents[1].features' },
  { what: 'misspelt field', body: { documents: docs, wieghts: [1, 0] }, field: 'wieghts' },
  { what: 'document without id', body: { documents: [{ features }] }, field: 'documents[0].id' },
  { what: 'features of the wrong type', body: { documents: [{ id: 1, features: 'dense' }] }, field: 'documents[0].features' },
  { what: 'body not an object', body: [1, 2], field: 'body' },
  { what: 'not JSON at all', body: 'documents=1', raw: true, contentType: 'text/plain', field: 'content-type', status: 415 },
  { what: 'topK on /score', body: { documents: docs, topK: 3 }, route: '/score', field: 'topK' },
  { what: 'NaN on /score', body: { documents: [{ id: 1, features: [...features.slice(1), 'NaN'] }] }, route: '/score', field: 'documents[0].features[11]' },
  // issue 14 item 9: sparse keys are canonical decimal integers, each once; messages name the real problem
  ...['0x10', '0b11', '01', '1.0', ' 1', '1e0', '+1', '-1', '__proto__'].map((key) => ({
    what: `sparse key ${JSON.stringify(key)}`,
    body: `{"documents": [{"id": 1, "features": {${JSON.stringify(key)}: 0.5}}]}`,
    raw: true,
    field: `documents[0].features.${key}`,
  })),
  { what: 'the same sparse key twice', body: '{"documents": [{"id": 1, "features": {"2": 0.1, "2": 0.9}}]}', raw: true, field: 'documents[0].features.2' },
  { what: 'a sparse key twice as "1" and "01"', body: '{"documents": [{"id": 1, "features": {"1": 0.1, "01": 0.9}}]}', raw: true, field: 'documents[0].features.01' },
  { what: 'more sparse keys than features', body: `{"documents": [{"id": 1, "features": {${Array.from({ length: 13 }, (_, i) => `"${(i % 12) + 1}": 1`).join(',')}}}]}`, raw: true, field: 'documents[0].features' },
  { what: 'a string value in a sparse map', body: { documents: [{ id: 1, features: { '2': 'x' } }] }, field: 'documents[0].features.2' },
  { what: 'a JSON number beyond float64 (1e400)', body: `{"documents": [{"id": 1, "features": [1e400${',0'.repeat(RAW_FEATURES - 1)}]}]}`, raw: true, field: 'documents[0].features[0]' },
  { what: '__proto__ as a top-level field', body: `{"documents": ${JSON.stringify(docs.slice(0, 2))}, "__proto__": {"x": 1}}`, raw: true, field: '__proto__' },
  { what: 'duplicate document ids', body: { documents: [docs[0], { ...docs[1], id: docs[0].id }] }, field: 'documents[1].id' },
  { what: 'duplicate numeric document ids', body: { documents: [{ id: 7, features }, { id: 7, features }] }, route: '/score', field: 'documents[1].id' },
];

describe('bad requests: 400 with a message naming the field', () => {
  it.each(BAD)('$what → 4xx naming $field', async ({ body, field, raw, route, contentType, status }) => {
    const res = await post(route ?? '/rerank', body, raw, contentType);
    expect(res.status).toBe(status ?? 400);
    expect(res.body.field).toBe(field);
    expect(String(res.body.message).startsWith(`${field}: `)).toBe(true);
  });

  it('after 1,000 requests with mixed bad input the server still answers /healthz and re-ranks', async () => {
    const statuses = new Map<number, number>();
    const total = 1000;
    let next = 0;
    const worker = async () => {
      while (next < total) {
        const i = next++;
        // every 10th request is valid; the rest cycle through the bad ones
        const res = i % 10 === 0 ? await post('/rerank', { documents: docs.slice(0, 5) }) : await post(BAD[i % BAD.length].route ?? '/rerank', BAD[i % BAD.length].body, BAD[i % BAD.length].raw, BAD[i % BAD.length].contentType);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const expected = new Map<number, number>();
    for (let i = 0; i < total; i++) {
      const status = i % 10 === 0 ? 200 : (BAD[i % BAD.length].status ?? 400);
      expected.set(status, (expected.get(status) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual(Object.fromEntries(expected));
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect((await post('/rerank', { documents: docs })).status).toBe(200);
  });
});

describe('methods, media types, reload access (issue 14 items 9, 10)', () => {
  it('GET on a POST route is 405 with Allow and the usual {field, message}; an unknown path is 404', async () => {
    for (const route of ['/rerank', '/score', '/reload']) {
      const res = await fetch(url + route);
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      const body = (await res.json()) as Record<string, unknown>;
      expect(body.field).toBe('method');
      expect(String(body.message)).toMatch(new RegExp(`^method: ${route} takes POST, got GET`));
    }
    const res = await fetch(`${url}/nope`);
    expect(res.status).toBe(404);
    expect(((await res.json()) as Record<string, unknown>).field).toBe('url');
  });

  it('POST /reload refuses a cross-site simple POST (text/plain, or no content type)', async () => {
    for (const init of [{ headers: { 'content-type': 'text/plain' }, body: '{}' }, {}]) {
      const res = await fetch(`${url}/reload`, { method: 'POST', ...init });
      expect(res.status).toBe(415);
      expect(((await res.json()) as Record<string, unknown>).field).toBe('content-type');
    }
  });

  it('with a reload token, POST /reload needs it', async () => {
    const s = createServer(server.ranker(), { loadRanker: () => Ranker.load(dir, { engineInstance: engine }), reloadToken: 's3cret' });
    const u = await listen(s.app);
    try {
      const json = { 'content-type': 'application/json' };
      for (const authorization of [undefined, 'Bearer wrong', 's3cret', 'Bearer s3cret2']) {
        const res = await fetch(`${u}/reload`, { method: 'POST', headers: authorization ? { ...json, authorization } : json, body: '{}' });
        expect(res.status).toBe(401);
        expect(((await res.json()) as Record<string, unknown>).field).toBe('authorization');
      }
      const ok = await fetch(`${u}/reload`, { method: 'POST', headers: { ...json, authorization: 'Bearer s3cret' }, body: '{}' });
      expect(ok.status).toBe(200);
    } finally {
      await s.close();
    }
  });
});

const send = (route: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Reply> => sendTo(url, route, body, headers);



/** An Arrow IPC stream of `docs` (ids and numbered columns "1".."12", or only `columns` of them), with extra columns. */
function arrowStream(list: typeof docs, columns = RAW_FEATURES, extra: Record<string, Vector> = {}): Uint8Array {
  const cols: Record<string, Vector> = { id: vectorFromArray(list.map((d) => d.id), new Utf8()) };
  for (let i = 0; i < columns; i++) cols[String(i + 1)] = vectorFromArray(Float32Array.from(list, (d) => d.features[i]));
  return tableToIPC(new Table({ ...cols, ...extra }), 'stream');
}

describe('input the audit found mishandled: each a 4xx naming the field', () => {
  // 20,000 levels: JSON.parse reads it, but JSON.stringify of it (in an error message) overflowed the stack → 500
  const deep = '['.repeat(20_000) + ']'.repeat(20_000);
  const row = features.join(',');
  it.each([
    ['context', `"context": {"a": ${deep}}`, 'context.a', 'expected a string, number or boolean, got [[[[…]]]]'],
    ['weights', `"weights": {"clicks": ${deep}}`, 'weights.clicks', 'expected a finite number, got [[[[…]]]]'],
    ['c', `"c": ${deep}`, 'c', 'expected a finite number > 0 (in float32 range), got [[[[…]]]]'],
    ['topK', `"topK": ${deep}`, 'topK', 'expected a positive integer, got [[[[…]]]]'],
    ['operatingPoint', `"operatingPoint": ${deep}`, 'operatingPoint', 'expected the name of an operating point, got [[[[…]]]]'],
  ])('a value nested 20,000 deep in %s', async (_what, field, name, detail) => {
    for (const route of ['/rerank', '/score']) {
      if (route === '/score' && name === 'topK') continue;
      expect(await send(route, `{"documents": [{"id": "a", "features": [${row}]}], ${field}}`)).toEqual(refusal(400, name, detail));
    }
  });

  it('a value nested 20,000 deep in a document id or features', async () => {
    const got = [`{"id": ${deep}, "features": [${row}]}`, `{"id": 1, "features": {"1": ${deep}}}`, `{"id": 1, "features": [${deep}${',0'.repeat(RAW_FEATURES - 1)}]}`];
    const expected = [
      refusal(400, 'documents[0].id', 'expected a string or an integer, got [[[[…]]]]'),
      refusal(400, 'documents[0].features.1', 'expected a finite number (in float32 range), got [[[[…]]]]'),
      refusal(400, 'documents[0].features[0]', 'expected a finite number (in float32 range), got [[[[…]]]]'),
    ];
    for (const [i, doc] of got.entries()) expect(await send('/score', `{"documents": [${doc}]}`)).toEqual(expected[i]);
    expect((await post('/rerank', { documents: docs })).status).toBe(200);
  });

  it('an Arrow stream cut after a whole record batch, without its end-of-stream marker, or with bytes after it', async () => {
    const whole = tableToIPC(new Table(tableFromIPC(arrowStream(docs.slice(0, 2))).batches).concat(new Table(tableFromIPC(arrowStream(docs.slice(2, 4))).batches)), 'stream');
    expect((await send('/score', whole, ARROW)).status).toBe(200);
    const batches = [...tableFromIPC(whole).batches];
    expect(batches.length).toBe(2);
    const withoutEos = whole.subarray(0, whole.length - 8); // the marker: continuation word and length 0
    const firstBatchEnd = tableToIPC(new Table([batches[0]]), 'stream').length - 8;
    expect(await send('/score', withoutEos, ARROW)).toEqual(refusal(400, 'body', `not a complete Arrow IPC stream: no end-of-stream marker after ${withoutEos.length} bytes (cut short?)`));
    expect(await send('/score', whole.subarray(0, firstBatchEnd), ARROW)).toEqual(refusal(400, 'body', `not a complete Arrow IPC stream: no end-of-stream marker after ${firstBatchEnd} bytes (cut short?)`));
    expect(await send('/score', whole.subarray(0, firstBatchEnd + 20), ARROW)).toEqual(refusal(400, 'body', `not a complete Arrow IPC stream: the message at byte ${firstBatchEnd} is cut short or malformed`));
    const junk = Buffer.concat([whole, Buffer.from('garbage')]);
    expect(await send('/score', junk, ARROW)).toEqual(refusal(400, 'body', `7 bytes after the Arrow IPC end-of-stream marker at byte ${whole.length - 8}; expected nothing`));
  });

  it('an Arrow table with a features column and numbered columns both', async () => {
    const type = new FixedSizeList(RAW_FEATURES, new Field('item', new Float32(), false));
    const list = vectorFromArray(docs.slice(0, 3).map((d) => d.features), type);
    const body = arrowStream(docs.slice(0, 3), 7, { features: list });
    expect(await send('/score', body, ARROW)).toEqual(refusal(400, 'columns.features', 'given together with feature columns "1", "2", "3", "4", "5", … (7); send either a features column or columns "1".."N", not both'));
    // numbered columns alone, a subset of them, stay what the docs say: a column left out is 0
    expect((await send('/score', arrowStream(docs.slice(0, 3), 7), ARROW)).status).toBe(200);
  });

  it('numeric ids must be integers within ±(2^53 − 1), in JSON as in Arrow', async () => {
    const body = (id: string) => `{"documents": [{"id": ${id}, "features": [${row}]}]}`;
    const unsafe = (got: string) => refusal(400, 'documents[0].id', `numeric ids must be integers within ±(2^53 − 1), got ${got}; send ids as strings`);
    expect(await send('/rerank', body('12345678901234567891'))).toEqual(unsafe('12345678901234567000'));
    expect(await send('/rerank', body('9007199254740992'))).toEqual(unsafe('9007199254740992'));
    expect(await send('/rerank', body('1.5'))).toEqual(unsafe('1.5'));
    const ok = await send('/rerank', body('-9007199254740991'));
    expect((ok.body.results as { id: unknown }[])[0].id).toBe(-9007199254740991);
    const cols: Record<string, Vector> = { id: vectorFromArray([12345678901234567891n], new Uint64()) };
    for (let i = 0; i < RAW_FEATURES; i++) cols[String(i + 1)] = vectorFromArray(Float32Array.of(features[i]));
    expect(await send('/rerank', tableToIPC(new Table(cols), 'stream'), ARROW)).toEqual(unsafe('12345678901234567891'));
  });

  it('the x-cosrank-options header on a JSON body (the options are fields of the body)', async () => {
    for (const header of ['{"topK": 1}', 'garbage', '']) {
      expect(await send('/rerank', JSON.stringify({ documents: docs }), { 'x-cosrank-options': header })).toEqual(
        refusal(400, 'x-cosrank-options', 'is for Arrow bodies only; a JSON body carries its options (weights, beta, c, operatingPoint, context, topK) as fields of the body'),
      );
    }
    expect((await send('/rerank', arrowStream(docs), { ...ARROW, 'x-cosrank-options': '{"topK": 1}' })).status).toBe(200);
  });

  it('a content-encoding other than identity, or a JSON charset other than utf-8, is 415', async () => {
    const json = JSON.stringify({ documents: docs });
    for (const encoding of ['gzip', 'br', 'gzip, identity']) {
      expect(await send('/rerank', json, { 'content-encoding': encoding })).toEqual(refusal(415, 'content-encoding', `${JSON.stringify(encoding)} is not supported; send the body uncompressed (identity)`));
    }
    expect(await send('/score', arrowStream(docs), { ...ARROW, 'content-encoding': 'gzip' })).toEqual(refusal(415, 'content-encoding', '"gzip" is not supported; send the body uncompressed (identity)'));
    for (const charset of ['latin1', 'utf-16', '"iso-8859-1"']) {
      const expected = refusal(415, 'content-type', `charset ${JSON.stringify(charset.replace(/"/g, ''))} is not supported; JSON bodies are read as utf-8`);
      expect(await send('/score', json, { 'content-type': `application/json; charset=${charset}` })).toEqual(expected);
    }
    const accepted: Record<string, string>[] = [{ 'content-encoding': 'identity' }, { 'content-type': 'application/json; charset=UTF-8' }, { 'content-type': 'application/json;charset="utf-8"' }];
    for (const headers of accepted) {
      expect((await send('/score', json, headers)).status).toBe(200);
    }
  });
});

describe('reload and shutdown', () => {
  it('reload swaps the model atomically while concurrent requests keep succeeding', async () => {
    const before = (await post('/score', { documents: docs })).body.scores;
    await saveModel(dir, fixtureModel(4)); // different weights, same directory (atomic rename)
    let stop = false;
    const statuses: number[] = [];
    const traffic = Array.from({ length: 4 }, async () => {
      while (!stop) statuses.push((await post('/rerank', { documents: docs, weights: { clicks: 1 } })).status);
    });
    const reloaded = await post('/reload', {});
    stop = true;
    await Promise.all(traffic);
    expect(reloaded.status).toBe(200);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const after = (await post('/score', { documents: docs })).body.scores as number[];
    expect(after).not.toEqual(before);
    const fresh = await Ranker.load(dir, { engineInstance: engine });
    expect(after).toEqual(Array.from(await fresh.score(fresh.denseFeatures(docs))));
  });

  it('of overlapping reloads the last started wins, even when an earlier one finishes later', async () => {
    const older = server.ranker();
    const newer = new Ranker(older.model, engine);
    const gates: ((r: Ranker) => void)[] = [];
    const s = createServer(older, { loadRanker: () => new Promise<Ranker>((resolve) => gates.push(resolve)) });
    const first = s.reload();
    const second = s.reload();
    gates[1](newer); // the later reload finishes first…
    await second;
    gates[0](new Ranker(older.model, engine)); // …then the earlier one, with what it read before
    await first;
    expect(s.ranker()).toBe(newer);
    await s.app.close();
  });

  it('a failed reload keeps serving the previous model', async () => {
    const d = path.join(root, 'gone');
    const s = createServer(server.ranker(), { loadRanker: () => Ranker.load(d, { engineInstance: engine }) });
    const u = await listen(s.app);
    try {
      const res = await fetch(`${u}/reload`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(500);
      const message = ((await res.json()) as { message: string }).message;
      expect(message).toMatch(/^still serving the previous model: .*model\.json/);
      expect(message).not.toContain(root); // the client learns which file, not where the server keeps it
      const ok = await fetch(`${u}/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents: docs }) });
      expect(ok.status).toBe(200);
    } finally {
      await s.app.close();
    }
  });

  it('close lets an in-flight request finish, then refuses new connections', async () => {
    const slowEngine: Engine = { ...engine, score: async (...args) => { await new Promise((r) => setTimeout(r, 300)); return engine.score(...args); } };
    const slow = new Ranker(server.ranker().model, slowEngine);
    const s = createServer(slow);
    const u = await listen(s.app);
    const inFlight = fetch(`${u}/rerank`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents: docs }) });
    await new Promise((r) => setTimeout(r, 100)); // the request is now inside the engine
    const t0 = Date.now();
    await s.app.close();
    expect(Date.now() - t0).toBeGreaterThan(100); // close waited for the request
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { results: unknown[] }).results).toEqual(await server.ranker().rerank(docs));
    await expect(fetch(`${u}/healthz`)).rejects.toThrow();
  });
});
