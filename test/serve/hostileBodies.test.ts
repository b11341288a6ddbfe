/**
 * Bodies that apache-arrow, JSON.parse or Node would have read silently wrong (or at any cost), each a
 * 4xx naming the field: corrupted Arrow metadata (seeded single-byte corruptions: 200 or 4xx, never
 * 500, quickly), JSON keys given twice, bytes that are not UTF-8, requests the HTTP parser refuses (each
 * named, not fastify's generic "Client Error"), and the media types of POST /reload.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Dictionary, Field, FixedSizeList, Float32, Int32, MessageHeader, Table, tableFromIPC, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { Message as FbMessage } from 'apache-arrow/fb/message';
import { RecordBatch as FbRecordBatch } from 'apache-arrow/fb/record-batch';
import { ByteBuffer } from 'flatbuffers';
import { createEngine } from '../../src/engine/select';
import { saveModel } from '../../src/model/modelFile';
import { createServer } from '../../src/serve/http';
import { Ranker } from '../../src/serve/ranker';
import { Rng } from '../../src/util/rng';
import { ARROW, denseDocs, fixtureModel, randomDocuments, RAW_FEATURES, refusal, sendTo, type Reply } from './fixture';

const MAX_DOCS = 50;
let root: string;
let server: ReturnType<typeof createServer>;
let url: string;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'cosrank-hostile-'));
  const dir = path.join(root, 'model');
  await saveModel(dir, fixtureModel(3));
  const engine = await createEngine('auto');
  const load = () => Ranker.load(dir, { engineInstance: engine });
  server = createServer(await load(), { maxDocuments: MAX_DOCS, loadRanker: load });
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await server.app.close();
  rmSync(root, { recursive: true, force: true });
});


const send = (route: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<Reply> => sendTo(url, route, body, headers);


const docs = denseDocs(randomDocuments(4, 5));
const row = docs[0].features.join(',');

/** Ids (plain or dictionary-encoded strings) and a features list column, in two record batches. */
function twoBatches(dictionary = false): Uint8Array {
  const type = new FixedSizeList(RAW_FEATURES, new Field('item', new Float32(), false));
  const batch = (list: typeof docs) => {
    const ids = list.map((d) => d.id);
    const id = dictionary ? vectorFromArray(ids, new Dictionary(new Utf8(), new Int32())) : vectorFromArray(ids, new Utf8());
    return new Table({ id, features: vectorFromArray(list.map((d) => d.features), type) });
  };
  return tableToIPC(batch(docs.slice(0, 1)).concat(batch(docs.slice(1, 2))), 'stream');
}

/** Where the first record batch's message starts, and where its length, node count, nodes and buffers lie. */
function firstBatch(stream: Uint8Array) {
  const view = new DataView(stream.buffer, stream.byteOffset, stream.byteLength);
  for (let p = 0; ; ) {
    const meta = p + 8; // continuation word, metadata length
    const size = view.getInt32(p + 4, true);
    const bb = new ByteBuffer(stream.subarray(meta, meta + size));
    const message = FbMessage.getRootAsMessage(bb);
    if (message.headerType() === MessageHeader.RecordBatch) {
      const batch = message.header(new FbRecordBatch()) as FbRecordBatch;
      return {
        start: p,
        size,
        length: meta + batch.bb_pos + bb.__offset(batch.bb_pos, 4),
        nodeCount: meta + bb.__vector(batch.bb_pos + bb.__offset(batch.bb_pos, 6)) - 4,
        node: (i: number) => meta + batch.nodes(i)!.bb_pos,
        buffer: (i: number) => meta + batch.buffers(i)!.bb_pos,
      };
    }
    p = meta + size + Number(message.bodyLength());
  }
}

function corrupted(stream: Uint8Array, at: number, value: bigint | number, bytes: 1 | 8 = 8): Buffer {
  const b = Buffer.from(stream);
  if (bytes === 1) b[at] = Number(value);
  else b.writeBigInt64LE(BigInt(value), at);
  return b;
}

describe('corrupted Arrow metadata is refused before apache-arrow reads it', () => {
  it('a node count grown from 3 to 14.6 million by one byte (0xE0): 400 on body, at once', async () => {
    const stream = twoBatches();
    expect((await send('/score', stream, ARROW)).status).toBe(200);
    const batch = firstBatch(stream);
    expect(Buffer.from(stream).readInt32LE(batch.nodeCount)).toBe(3);
    const started = Date.now();
    expect(await send('/score', corrupted(stream, batch.nodeCount + 2, 0xe0, 1), ARROW)).toEqual(
      refusal(400, 'body', `not a readable Arrow IPC stream: the message at byte ${batch.start} has 14680067 field nodes (14680067 × 16 bytes) running past its ${batch.size} bytes of metadata`),
    );
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a batch length past the limit, a field node longer than the batch allows, a buffer outside the body', async () => {
    const stream = twoBatches();
    const batch = firstBatch(stream);
    expect(await send('/score', corrupted(stream, batch.length, 1_000_000_000), ARROW)).toEqual(refusal(400, 'documents', `more than the limit of ${MAX_DOCS} documents`));
    expect(await send('/score', corrupted(stream, batch.node(2), 1_000_000_000), ARROW)).toEqual(
      refusal(400, 'body', `not a readable Arrow IPC stream: the message at byte ${batch.start} has field node 2 of length 1000000000 (0 nulls) in a batch of 1 rows; expected at most ${RAW_FEATURES}`),
    );
    // buffer 5: the first row's feature values (offset, length)
    expect(await send('/score', corrupted(stream, batch.buffer(5), 1_000_000), ARROW)).toEqual(
      refusal(400, 'body', `not a readable Arrow IPC stream: the message at byte ${batch.start} has buffer 5 at [1000000, ${1_000_000 + RAW_FEATURES * 4}) outside its body of ${bodyLength(stream, batch.start)} bytes`),
    );
  });

  it('an Arrow IPC file (its footer points anywhere) is refused; dictionary-encoded ids are read', async () => {
    const file = tableToIPC(tableFromIPC(twoBatches()), 'file');
    expect(await send('/score', file, ARROW)).toEqual(
      refusal(400, 'body', "an Arrow IPC file (ARROW1 magic); expected the stream format that application/vnd.apache.arrow.stream names (e.g. tableToIPC(table, 'stream'), pyarrow.ipc.new_stream)"),
    );
    expect((await send('/rerank', twoBatches(true), ARROW)).status).toBe(200);
  });

  it('400 seeded single-byte corruptions of small valid streams: each 200 or 400, never 500, each within a second', async () => {
    const rng = new Rng(41);
    const statuses = new Map<number, number>();
    let slowest = 0;
    for (const stream of [twoBatches(), twoBatches(true)]) {
      for (let k = 0; k < 200; k++) {
        const at = Math.floor(rng.uniformIn(0, stream.length));
        const started = Date.now();
        const { status } = await send('/score', corrupted(stream, at, Math.floor(rng.uniformIn(0, 256)), 1), ARROW);
        slowest = Math.max(slowest, Date.now() - started);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }
    expect([...statuses.keys()].sort()).toEqual([200, 400]);
    expect(slowest).toBeLessThan(1000);
    expect((await send('/score', twoBatches(), ARROW)).status).toBe(200);
  });
});

/** The body length of the message at `start` (its bytes after the metadata). */
function bodyLength(stream: Uint8Array, start: number): number {
  const size = Buffer.from(stream).readInt32LE(start + 4);
  const message = FbMessage.getRootAsMessage(new ByteBuffer(stream.subarray(start + 8, start + 8 + size)));
  return Number(message.bodyLength());
}

describe('a JSON key given twice is refused, not resolved by the last', () => {
  const doc = (id: string) => `{"id": "${id}", "features": [${row}]}`;
  const three = `[${doc('a')}, ${doc('b')}, ${doc('c')}]`;
  it.each([
    ['documents', `{"documents": ${three}, "documents": [${doc('x')}]}`, 'documents'],
    ['weights', `{"documents": ${three}, "weights": [0.5, 0.5], "weights": [1, 0]}`, 'weights'],
    ['a document id', `{"documents": [${doc('a')}, {"id": "b", "id": "c", "features": [${row}]}]}`, 'documents[1].id'],
    ['a document features', `{"documents": [{"id": "b", "features": [${row}], "features": [${row}]}]}`, 'documents[0].features'],
    ['a sparse index', `{"documents": [{"id": "b", "features": {"3": 1, "3": 2}}]}`, 'documents[0].features.3'],
    ['a weight by name', `{"documents": ${three}, "weights": {"clicks": 1, "clicks": 0}}`, 'weights.clicks'],
  ])('%s: by the scanner, and by the general path (an escaped key sends the body there)', async (_what, body, field) => {
    expect(await send('/score', body)).toEqual(refusal(400, field, 'given twice'));
    // "\u0069d" is "id": the scanner matches document keys on their bytes and leaves this body to JSON.parse
    const general = body.replace('{"id": "a"', '{"\\u0069d": "a"').replace('{"id": "b"', '{"\\u0069d": "b"');
    expect(general).not.toBe(body);
    expect(await send('/score', general)).toEqual(refusal(400, field, 'given twice'));
  });

  it('an escaped spelling of a key already given is the same key', async () => {
    expect(await send('/score', `{"documents": [{"id": "a", "\\u0069d": "b", "features": [${row}]}]}`)).toEqual(refusal(400, 'documents[0].id', 'given twice'));
  });
});

describe('bytes that are not UTF-8 are refused, not replaced with U+FFFD', () => {
  const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));
  it('in ids (scanner and general path), in an option value, and outside any string', async () => {
    const head = '{"documents": [{"id": "';
    const ids = bytes(head, [0xff], `", "features": [${row}]}, {"id": "`, [0xfe], `", "features": [${row}]}]}`);
    expect(await send('/score', ids)).toEqual(refusal(400, 'body', `not valid UTF-8 at byte ${head.length}`));
    const general = bytes('{"documents": [{"\\u0069d": "', [0xc3, 0x28], `", "features": [${row}]}]}`);
    expect(await send('/score', general)).toEqual(refusal(400, 'body', `not valid UTF-8 at byte ${general.indexOf(0xc3)}`));
    const option = bytes(`{"documents": [{"id": "a", "features": [${row}]}], "context": {"v": "`, [0xed, 0xa0, 0x80], '"}}');
    expect(await send('/score', option)).toEqual(refusal(400, 'body', `not valid UTF-8 at byte ${option.indexOf(0xed)}`));
    const outside = bytes('{"documents": [] ', [0x80], '}');
    expect(await send('/score', outside)).toEqual(refusal(400, 'body', `not valid UTF-8 at byte ${outside.indexOf(0x80)}`));
    // Arrow string ids, plain and dictionary-encoded: an id's 'é' (C3 A9) made C3 28
    const arrowIds = (dictionary: boolean) => {
      const withAccent = denseDocs(randomDocuments(4, 5)).map((d, i) => ({ ...d, id: `é${i}` }));
      const type = new FixedSizeList(RAW_FEATURES, new Field('item', new Float32(), false));
      const id = vectorFromArray(withAccent.map((d) => d.id), dictionary ? new Dictionary(new Utf8(), new Int32()) : new Utf8());
      const stream = Buffer.from(tableToIPC(new Table({ id, features: vectorFromArray(withAccent.map((d) => d.features), type) }), 'stream'));
      stream[stream.indexOf(Buffer.from('é0')) + 1] = 0x28;
      return stream;
    };
    for (const dictionary of [false, true]) {
      expect(await send('/score', arrowIds(dictionary), ARROW)).toEqual(refusal(400, 'columns.id', 'string values that are not valid UTF-8'));
    }
    const valid = bytes(head, 'é€😀', `", "features": [${row}]}]}`);
    expect((await send('/rerank', valid)).body.results).toMatchObject([{ id: 'é€😀' }]);
  });
});

/** Raw bytes sent on one connection, and the one answer before the server closes it. */
function rawText(text: string): Promise<{ status: number; headers: string; body: Record<string, unknown> }> {
  const { port } = server.app.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const socket: net.Socket = net.connect(port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const split = answer.indexOf('\r\n\r\n');
      resolve({ status: Number(answer.split(' ')[1]), headers: answer.slice(0, split), body: JSON.parse(answer.slice(split + 4)) as Record<string, unknown> });
    });
  });
}

/** A raw HTTP/1.1 request (fetch would join repeated headers into one). */
async function rawRequest(lines: string[], body: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const { status, body: answer } = await rawText([...lines, `content-length: ${Buffer.byteLength(body)}`, 'connection: close', '', body].join('\r\n'));
  return { status, body: answer };
}

describe('requests the HTTP parser refuses get the usual answer, naming the part at fault', () => {
  const post = (headers: string[], body: string) => ['POST /score HTTP/1.1', 'host: x', 'content-type: application/json', ...headers, '', body].join('\r\n');
  const body = JSON.stringify({ documents: docs });
  const cases: [string, string, number, string, string][] = [
    ['a Content-Length that is not a number', post(['content-length: 12x'], body), 400, 'content-length', 'expected one Content-Length of decimal digits (Invalid character in Content-Length)'],
    ['two Content-Length headers', post([`content-length: ${body.length}`, `content-length: ${body.length + 1}`], body), 400, 'content-length', 'expected one Content-Length of decimal digits (Duplicate Content-Length)'],
    ['Content-Length beside chunked', post([`content-length: ${body.length}`, 'transfer-encoding: chunked'], body), 400, 'transfer-encoding', 'expected either Content-Length or "Transfer-Encoding: chunked", not both'],
    ['a chunk size that is not hexadecimal', post(['transfer-encoding: chunked'], `zz\r\n${body}\r\n0\r\n\r\n`), 400, 'body', 'expected a chunked body as HTTP/1.1 frames it (hexadecimal sizes) (Invalid character in chunk size)'],
    ['bytes past the declared length', post([`content-length: 2`], `${body}\r\n\r\n`), 400, 'method', 'expected GET, HEAD or POST'],
    ['an HTTP version other than 1.x', 'GET /healthz HTTP/9.9\r\nhost: x\r\n\r\n', 400, 'version', 'expected HTTP/1.0 or HTTP/1.1'],
    ['a header name with a space', 'GET /healthz HTTP/1.1\r\nbad header: x\r\n\r\n', 400, 'headers', 'expected header names of token characters'],
    ['headers past Node\'s limit', `GET /healthz HTTP/1.1\r\nx-a: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers', 'larger than the limit of'],
  ];
  it.each(cases)('%s', async (_, text, status, field, detail) => {
    const answer = await rawText(text);
    expect(answer.status).toBe(status);
    expect(answer.body.field).toBe(field);
    expect(answer.body.message).toEqual(expect.stringContaining(`${field}: ${detail}`));
    expect(answer.headers).toMatch(/\r\nconnection: close/i);
  });
});

describe('media types', () => {
  it('POST /reload says what it takes, the same with text/plain or no content type', async () => {
    const takes = (got: string) => refusal(415, 'content-type', `POST /reload takes application/json, got ${got}`);
    expect(await send('/reload', '{}', { 'content-type': 'text/plain' })).toEqual(takes('"text/plain"'));
    expect(await send('/reload', '{}', ARROW)).toEqual(takes('"application/vnd.apache.arrow.stream"'));
    const res = await fetch(`${url}/reload`, { method: 'POST' });
    expect({ status: res.status, body: (await res.json()) as unknown }).toEqual(takes('none'));
  });

  it('two content-type headers are refused on every POST route, not resolved by the first', async () => {
    const twice = refusal(400, 'content-type', 'given 2 times ("application/json", "text/plain"); expected one');
    for (const route of ['/score', '/rerank', '/reload']) {
      expect(await rawRequest([`POST ${route} HTTP/1.1`, 'host: x', 'content-type: application/json', 'content-type: text/plain'], JSON.stringify({ documents: docs }))).toEqual(twice);
    }
  });
});
