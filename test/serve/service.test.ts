/**
 * The serving process for real: `cosrank serve` with scoring worker threads in a child process, driven
 * over loopback. Every body format answers exactly what the runtime API computes; a reload reaches every
 * worker; SIGTERM under load lets every request already sent finish; a 5M-key request is refused while
 * `/healthz` keeps answering; a stalled upload times out; the access log has a line per request.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { tableFromIPC, tableToIPC, Table, vectorFromArray, Utf8, type Vector } from 'apache-arrow';
import { createEngine } from '../../src/engine/select';
import { saveModel } from '../../src/model/modelFile';
import { createServer } from '../../src/serve/http';
import { Ranker } from '../../src/serve/ranker';
import { isLoopback } from '../../src/serve/service';
import { denseDocs, fixtureModel, randomDocuments, RAW_FEATURES } from './fixture';
import { startServe, type ServeProcess } from './serveProcess';

jest.setTimeout(120_000);

let root: string;
let dir: string;
beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'cosrank-service-'));
  dir = path.join(root, 'model');
  await saveModel(dir, fixtureModel(3));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** `cosrank serve` of the fixture model in a child process. */
const startCli = (args: string[]): Promise<ServeProcess> => startServe(dir, args);

/** A plain node:http server in a child process that reads and discards every body, answering 200. */
async function discardingServer(): Promise<{ child: ChildProcess; url: string }> {
  const script = "require('http').createServer((q, s) => { q.resume(); q.on('end', () => s.end('ok')); }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout?.once('data', (b: Buffer) => resolve(b.toString().trim())));
  return { child, url: `http://127.0.0.1:${port}` };
}

/**
 * A child process that reads the file into memory, then POSTs it as JSON on `go()` (resolving with the
 * status and body text): the reading, and the page faults of its 41 MB — which on this VM stall every
 * process for up to ~200 ms — happen before any measurement.
 */
async function senderProcess(url: string, file: string): Promise<{ go: () => Promise<{ status: number; text: string }> }> {
  const script = `const [url, file] = process.argv.slice(1); const b = require('fs').readFileSync(file); console.log('ready');
    process.stdin.once('data', () => {
      const req = require('http').request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': b.length } }, (res) => {
        let text = ''; res.on('data', (c) => (text += c)); res.on('end', () => { console.log(JSON.stringify({ status: res.statusCode, text })); process.exit(0); });
      });
      req.on('error', (e) => { console.log(JSON.stringify({ status: 0, text: String(e) })); process.exit(0); }); req.end(b);
    });`;
  const child = spawn(process.execPath, ['-e', script, url, file], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  while (!out.includes('ready\n')) await Promise.race([exited, new Promise((r) => setTimeout(r, 10))]);
  return {
    go: async () => {
      child.stdin?.write('go\n');
      await exited;
      return JSON.parse(out.split('\n')[1]) as { status: number; text: string };
    },
  };
}

interface Reply {
  status: number;
  text: string;
  bytes: Buffer;
  type: string;
}

/** One request over node:http (keep-alive agent); resolves with status and body, or the socket error. */
function request(agent: http.Agent | undefined, url: string, route: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const u = new URL(route, url);
    const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: body === undefined ? 'GET' : 'POST', headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, text: bytes.toString(), bytes, type: String(res.headers['content-type']) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const docs = denseDocs(randomDocuments(40, 21));

describe('cosrank serve --workers 2 (child process)', () => {
  let server: Awaited<ReturnType<typeof startCli>>;
  let local: Ranker;
  beforeAll(async () => {
    server = await startCli(['--workers', '2', '--log-level', 'warn']);
    local = await Ranker.load(dir, { engineInstance: await createEngine('auto', { onnx: { threads: 1 } }) });
  });
  afterAll(async () => {
    server.child.kill('SIGTERM');
    await server.exited;
  });

  it('JSON numbers, sparse maps, base64 and Arrow bodies all answer what Ranker.rerank computes', async () => {
    const expected = await local.rerank(docs, { weights: [0.3, 0.7], topK: 10 });
    const options = { weights: [0.3, 0.7], topK: 10 };
    const b64 = docs.map((d) => ({ id: d.id, features: Buffer.from(Float32Array.from(d.features).buffer).toString('base64') }));
    const sparse = docs.map((d) => ({ id: d.id, features: Object.fromEntries(d.features.map((v, i) => [String(i + 1), v])) }));
    for (const documents of [docs, b64, sparse]) {
      const res = await request(undefined, server.url, '/rerank', JSON.stringify({ documents, ...options }));
      expect(res.status).toBe(200);
      expect((JSON.parse(res.text) as { results: unknown }).results).toEqual(expected);
    }
    const raw = Float32Array.from(docs.flatMap((d) => d.features));
    const cols: Record<string, Vector> = { id: vectorFromArray(docs.map((d) => d.id), new Utf8()) };
    for (let i = 0; i < RAW_FEATURES; i++) cols[String(i + 1)] = vectorFromArray(Float32Array.from(docs, (_, d) => raw[d * RAW_FEATURES + i]));
    const arrow = Buffer.from(tableToIPC(new Table(cols), 'stream'));
    const res = await request(undefined, server.url, '/rerank', arrow, { 'content-type': 'application/vnd.apache.arrow.stream', 'x-cosrank-options': JSON.stringify(options) });
    expect(res.status).toBe(200);
    expect((JSON.parse(res.text) as { results: unknown }).results).toEqual(expected);

    // an Arrow answer when asked: top-K ids and scores, best first
    const asArrow = await request(undefined, server.url, '/rerank', JSON.stringify({ documents: docs, ...options }), { accept: 'application/vnd.apache.arrow.stream' });
    expect(asArrow.type).toBe('application/vnd.apache.arrow.stream');
    const table = tableFromIPC(asArrow.bytes);
    expect(table.getChild('id')?.toArray().map(String)).toEqual(expected.map((r) => r.id));
    expect(Array.from(table.getChild('score')?.toArray() as Float32Array)).toEqual(expected.map((r) => r.score));
  });

  it('a value nested 20,000 deep is a 400 naming its field, in a small body and in a 2 MB one the workers split; the server answers on', async () => {
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    for (const documents of [docs.slice(0, 2), denseDocs(randomDocuments(8000, 5))]) {
      const res = await request(undefined, server.url, '/rerank', `{"documents": ${JSON.stringify(documents)}, "context": {"a": ${deep}}}`);
      expect({ status: res.status, body: JSON.parse(res.text) as unknown }).toEqual({
        status: 400,
        body: { error: 'Bad Request', field: 'context.a', message: 'context.a: expected a string, number or boolean, got [[[[…]]]]' },
      });
    }
    expect((await request(undefined, server.url, '/healthz')).status).toBe(200);
    expect((await request(undefined, server.url, '/rerank', JSON.stringify({ documents: docs }))).status).toBe(200);
  });

  it('a 41 MB body of 5M sparse keys is refused while /healthz keeps answering within 100 ms', async () => {
    const keys = Array.from({ length: RAW_FEATURES }, (_, i) => `"${i + 1}":0.5`).join(',');
    const body = Buffer.from(`{"documents":[{"id":1,"features":{${Array.from({ length: Math.ceil(5e6 / RAW_FEATURES) }, () => keys).join(',')}}}]}`);
    expect(body.length).toBeGreaterThan(40e6);
    /** /healthz round trips, one at a time every 5 ms, until `until` settles. */
    const pollHealth = async (until: Promise<unknown>): Promise<number[]> => {
      let done = false;
      const stop = () => (done = true);
      until.then(stop, stop);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const times: number[] = [];
      while (!done || times.length === 0) {
        const t0 = performance.now();
        expect((await request(agent, server.url, '/healthz')).status).toBe(200);
        times.push(performance.now() - t0);
        await new Promise((r) => setTimeout(r, 5));
      }
      agent.destroy();
      return times;
    };
    // The 41 MB go from another process, read into its memory beforehand: a client writing them over
    // loopback spends tens of ms at a time in the kernel, which would delay its own /healthz polls.
    // The bound is 100 ms beyond the slowest answer of a control run measured in the same test: the same
    // 41 MB sent at the same time to a server in another process that only discards it. On a shared
    // 2-core machine moving 41 MB over loopback starves every process of CPU for a while, whatever the
    // server does, and that shows in both runs; a stall of the server's event loop on the body (joining
    // 41 MB in one copy took 150–350 ms here before bodyReader.ts) shows only in the first.
    // The control's own noise counts up to 100 ms (moving 41 MB into a fresh process's memory sometimes
    // stalls this VM for 300–550 ms, and a bound that loose would prove nothing). A stall of the server's
    // own making recurs on every try (329–1,746 ms in six tries with fastify's one-buffer join, each
    // failing this bound; 54–161 ms in six with bodyReader.ts), the VM's noise rarely hits three tries in
    // a row: the bound must hold on one of up to three.
    const file = path.join(root, 'big.json');
    writeFileSync(file, body);
    const slowest = (t: number[]) => Math.max(...t);
    const tries: string[] = [];
    let met = false;
    for (let attempt = 0; attempt < 3 && !met; attempt++) {
      const sender = await senderProcess(new URL('/rerank', server.url).href, file);
      const t0 = performance.now();
      const res = sender.go();
      const during = await pollHealth(res);
      const ms = performance.now() - t0;
      const reply = await res;
      expect(reply.status).toBe(400);
      expect(JSON.parse(reply.text)).toMatchObject({ field: 'documents[0].features' });
      const sink = await discardingServer();
      const controlSender = await senderProcess(sink.url, file);
      const control = await pollHealth(controlSender.go());
      sink.child.kill();
      met = slowest(during) < 100 + Math.min(100, slowest(control));
      tries.push(`during the 41 MB request (${ms.toFixed(0)} ms): ${during.length} answers, slowest ${slowest(during).toFixed(1)} ms; same body to a discarding server: slowest ${slowest(control).toFixed(1)} ms`);
    }
    console.log(`/healthz ${tries.join('\n/healthz ')}`);
    expect(met).toBe(true);
  });

  it('POST /reload reaches every worker: afterwards every request on any worker scores with the new model', async () => {
    const before = await local.score(local.denseFeatures(docs));
    await saveModel(dir, fixtureModel(9));
    const res = await request(undefined, server.url, '/reload', '{}');
    expect(res.status).toBe(200);
    const fresh = await Ranker.load(dir, { engineInstance: await createEngine('auto', { onnx: { threads: 1 } }) });
    const after = Array.from(await fresh.score(fresh.denseFeatures(docs)));
    expect(after).not.toEqual(Array.from(before));
    // 8 concurrent requests at a time keep both workers busy, so both answer some of them
    const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
    const replies = await Promise.all(Array.from({ length: 40 }, () => request(agent, server.url, '/score', JSON.stringify({ documents: docs }))));
    agent.destroy();
    for (const r of replies) expect((JSON.parse(r.text) as { scores: number[] }).scores).toEqual(after);
    await saveModel(dir, fixtureModel(3));
  });
});

describe('SIGTERM under load (child process, 2 workers)', () => {
  it('every request sent before the signal finishes with 200; then the process exits 0', async () => {
    const server = await startCli(['--workers', '2', '--log-level', 'warn']);
    const clients = 30;
    const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
    // every connection opened and accepted first (a warm-up request each), as a busy client's would be
    await Promise.all(Array.from({ length: clients }, () => request(agent, server.url, '/score', JSON.stringify({ documents: docs.slice(0, 2) }))));
    const big = JSON.stringify({ documents: denseDocs(randomDocuments(1000, 4)) });
    let written = 0;
    const replies = Array.from({ length: clients }, () => {
      const u = new URL('/rerank', server.url);
      return new Promise<number>((resolve, reject) => {
        const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.on('finish', () => written++);
        req.end(big);
      });
    });
    while (written < clients) await new Promise((r) => setTimeout(r, 5));
    server.child.kill('SIGTERM');
    const statuses = await Promise.allSettled(replies);
    agent.destroy();
    expect(statuses.map((s) => (s.status === 'fulfilled' ? s.value : String(s.reason)))).toEqual(new Array(clients).fill(200));
    expect(await server.exited).toBe(0);
    await expect(request(undefined, server.url, '/healthz')).rejects.toThrow();
  });
});

describe('SIGTERM under continuous saturation (child process, scoring in the HTTP thread)', () => {
  it('every request written before the signal on a live keep-alive connection gets 200', async () => {
    const server = await startCli(['--workers', '0', '--log-level', 'warn']);
    const clients = 30;
    const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
    const big = JSON.stringify({ documents: denseDocs(randomDocuments(1000, 6)) });
    const u = new URL('/score', server.url);
    let signalAt = Infinity;
    let stop = false;
    const before: (number | string)[] = [];
    const one = () =>
      new Promise<{ writtenAt: number; reused: boolean; status: number | string }>((resolve) => {
        let writtenAt = Infinity;
        const req = http.request({ agent, host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ writtenAt, reused: req.reusedSocket, status: res.statusCode ?? 0 }));
        });
        req.on('error', (e: NodeJS.ErrnoException) => resolve({ writtenAt, reused: req.reusedSocket, status: e.code ?? 'error' }));
        req.on('finish', () => (writtenAt = performance.now()));
        req.end(big);
      });
    const loops = Array.from({ length: clients }, async () => {
      while (!stop) {
        const r = await one();
        // requests sent on a connection the server had already accepted (a reused keep-alive socket)
        if (r.writtenAt < signalAt && r.reused) before.push(r.status);
        if (typeof r.status !== 'number') await new Promise((res) => setTimeout(res, 20));
      }
    });
    await new Promise((r) => setTimeout(r, 4000));
    signalAt = performance.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    stop = true;
    await Promise.all(loops);
    agent.destroy();
    expect(before.length).toBeGreaterThan(clients);
    expect(before.filter((s) => s !== 200)).toEqual([]);
  });
});

describe('in-process server details', () => {
  it('a stalled upload is answered 408 and closed after the request timeout', async () => {
    const ranker = await Ranker.load(dir);
    const s = createServer(ranker, { requestTimeout: 300 });
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const port = (s.app.server.address() as AddressInfo).port;
    try {
      const answer = await new Promise<string>((resolve) => {
        const sock: net.Socket = net.connect(port, '127.0.0.1', () => sock.write('POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"documents":'));
        let text = '';
        sock.on('data', (b: Buffer) => (text += b.toString()));
        sock.on('close', () => resolve(text));
        sock.on('error', () => resolve(text));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
        error: 'Request Timeout',
        field: 'request',
        message: 'request: not received in full within the request timeout (300 ms); the connection is closed',
      });
    } finally {
      await s.close();
    }
  });

  it('a body sent in many chunks (no Content-Length) answers what one piece does; past the body limit it is refused', async () => {
    const ranker = await Ranker.load(dir);
    const one = JSON.stringify({ documents: docs });
    const s = createServer(ranker, { bodyLimit: one.length + 10 });
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
    /** POST with chunked transfer encoding, the text written in pieces of `size` bytes. */
    const chunked = (text: string, size: number) =>
      new Promise<Reply>((resolve, reject) => {
        const u = new URL('/score', url);
        const req = http.request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString(), bytes: Buffer.alloc(0), type: '' }));
        });
        req.on('error', reject);
        for (let at = 0; at < text.length; at += size) req.write(text.slice(at, at + size));
        req.end();
      });
    try {
      const whole = await request(undefined, url, '/score', one);
      expect(whole.status).toBe(200);
      const pieces = await chunked(one, 97);
      expect(pieces.status).toBe(200);
      expect(JSON.parse(pieces.text)).toEqual(JSON.parse(whole.text));
      const over = await chunked(one + ' '.repeat(11), 97);
      expect(over.status).toBe(400);
      expect(JSON.parse(over.text)).toMatchObject({ field: 'body', message: `body: larger than the limit of ${one.length + 10} bytes` });
    } finally {
      await s.close();
    }
  });

  it('--log-level info writes an access-log line per request (method, url, status)', async () => {
    const ranker = await Ranker.load(dir);
    const stream = new PassThrough();
    const lines: string[] = [];
    stream.on('data', (b: Buffer) => lines.push(...b.toString().split('\n').filter(Boolean)));
    const s = createServer(ranker, { logLevel: 'info', logStream: stream });
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
    try {
      expect((await request(undefined, url, '/score', JSON.stringify({ documents: docs.slice(0, 3) }))).status).toBe(200);
      expect((await request(undefined, url, '/score', '{"documents": 1}')).status).toBe(400);
    } finally {
      await s.close();
    }
    const entries = lines.map((l) => JSON.parse(l) as { msg: string; req?: { method: string; url: string }; res?: { statusCode: number } });
    expect(entries.filter((e) => e.msg === 'incoming request').map((e) => `${e.req?.method} ${e.req?.url}`)).toEqual(['POST /score', 'POST /score']);
    expect(entries.filter((e) => e.msg === 'request completed').map((e) => e.res?.statusCode)).toEqual([200, 400]);
  });

  it('documents × features over --max-values is refused before any matrix is built, in every body format', async () => {
    const ranker = await Ranker.load(dir);
    const s = createServer(ranker, { maxValues: 3 * RAW_FEATURES });
    await s.app.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(s.app.server.address() as AddressInfo).port}`;
    try {
      const message = `documents: documents × features over the limit of ${3 * RAW_FEATURES} values (${RAW_FEATURES} features per document: at most 3 documents)`;
      expect((await request(undefined, url, '/score', JSON.stringify({ documents: docs.slice(0, 3) }))).status).toBe(200);
      for (const body of [JSON.stringify({ documents: docs.slice(0, 4) }), `{"c": 1, "documents": ${JSON.stringify(docs.slice(0, 4)).replace('"id"', '"\\u0069d"')}}`]) {
        // the second body spells a document's key with an escape: the scanner leaves it to the general path
        const res = await request(undefined, url, '/score', body);
        expect(res.status).toBe(400);
        expect((JSON.parse(res.text) as { message: string }).message).toBe(message);
      }
      const arrow = Buffer.from(tableToIPC(new Table({ id: vectorFromArray(Int32Array.of(1, 2, 3, 4)), '1': vectorFromArray(Float32Array.of(1, 2, 3, 4)) }), 'stream'));
      const res = await request(undefined, url, '/score', arrow, { 'content-type': 'application/vnd.apache.arrow.stream' });
      expect(JSON.parse(res.text)).toMatchObject({ field: 'documents', message });
    } finally {
      await s.close();
    }
  });

  it('loopback addresses are told apart from the rest (the start-up warning)', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.5', 'example.com']) expect(isLoopback(h)).toBe(false);
  });
});
