/**
 * The resumable download against a local HTTP server (127.0.0.1, an ephemeral port) started here.
 * Truth: the bytes served (their sha256 computed by node:crypto here), the Range headers the server saw.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { Agent } from 'undici';
import { downloadFile, partPath } from '../../src/data/datasets/download';
import { DatasetError } from '../../src/data/datasets/catalogue';
import { serve, type TestServer } from './archives';

const BODY = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31 + (i >> 8)) & 0xff));
const SHA = createHash('sha256').update(BODY).digest('hex');

let dir: string;
let server: TestServer;
let agent: Agent;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-download-'));
  server = await serve({
    '/archive.bin': { body: BODY },
    '/cut-once.bin': { body: BODY, cutAfter: 70_000 },
    '/cut-twice.bin': { body: BODY, cutAfter: 50_000, cutTimes: 2 },
    '/no-ranges.bin': { body: BODY, cutAfter: 60_000, noRanges: true },
    '/range-from-zero.bin': { body: BODY, cutAfter: 60_000, rangeFromZero: true },
    '/page.html': { body: Buffer.from('<html>sign in</html>'), contentType: 'text/html; charset=utf-8' },
  });
  agent = new Agent();
});
afterAll(async () => {
  await agent.close();
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Files left in `d` (the download's folder). */
const left = (d: string) => fs.readdirSync(d).sort();

function freshDir(name: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d);
  return d;
}

test('a complete download lands at the target with the sha256 of the served bytes and no part file', async () => {
  const d = freshDir('plain');
  const target = path.join(d, 'a.bin');
  const r = await downloadFile(server.url('/archive.bin'), target, { dispatcher: agent, expectedBytes: BODY.length, expectedSha256: SHA });
  expect(r).toEqual({ path: target, bytes: BODY.length, sha256: SHA, resumed: false });
  expect(fs.readFileSync(target).equals(BODY)).toBe(true);
  expect(left(d)).toEqual(['a.bin']);
});

test('an interrupted download keeps its part file, and the next call resumes it with a Range request', async () => {
  const d = freshDir('resume');
  const target = path.join(d, 'a.bin');
  const url = server.url('/cut-once.bin');
  const err = await downloadFile(url, target, { dispatcher: agent, retries: 0 }).catch((e) => e);
  expect(err).toBeInstanceOf(DatasetError);
  expect(err.message).toMatch(/download interrupted: connection (lost|closed) after \d+ .*a\.bin\.part keeps the bytes so far, run the same command again to resume/s);
  expect(left(d)).toEqual(['a.bin.part']);
  // The part file is a prefix of the archive: what arrived before the server cut the connection at 70,000.
  const kept = fs.readFileSync(partPath(target));
  expect(kept.length).toBeGreaterThan(0);
  expect(kept.length).toBeLessThanOrEqual(70_000);
  expect(kept.equals(BODY.subarray(0, kept.length))).toBe(true);

  const events: { done: number; total?: number }[] = [];
  const r = await downloadFile(url, target, { dispatcher: agent, retries: 0, onProgress: (e) => events.push(e) });
  expect(server.ranges.get('/cut-once.bin')).toEqual([null, `bytes=${kept.length}-`]);
  expect(r.resumed).toBe(true);
  expect(r.sha256).toBe(SHA);
  expect(fs.readFileSync(target).equals(BODY)).toBe(true);
  expect(left(d)).toEqual(['a.bin']);
  // Progress counts from the bytes already there and ends at the whole size.
  const downloads = events.filter((e) => e.total !== undefined);
  expect(downloads[0].done).toBeGreaterThan(kept.length);
  expect(downloads[downloads.length - 1]).toMatchObject({ done: BODY.length, total: BODY.length });
});

test('retries resume within one call, each from where the last attempt stopped', async () => {
  const d = freshDir('retries');
  const target = path.join(d, 'a.bin');
  const r = await downloadFile(server.url('/cut-twice.bin'), target, { dispatcher: agent, retries: 2, expectedSha256: SHA });
  // Each retry asks for the bytes after those already kept (the server cuts each of the first two responses at 50,000).
  const seen = server.ranges.get('/cut-twice.bin') ?? [];
  expect(seen).toHaveLength(3);
  expect(seen[0]).toBeNull();
  const starts = seen.slice(1).map((r) => Number(/^bytes=(\d+)-$/.exec(r ?? '')?.[1]));
  expect(starts[0]).toBeGreaterThan(0);
  expect(starts[0]).toBeLessThanOrEqual(50_000);
  expect(starts[1]).toBeGreaterThan(starts[0]);
  expect(starts[1]).toBeLessThanOrEqual(starts[0] + 50_000);
  expect(r.sha256).toBe(SHA);
  expect(left(d)).toEqual(['a.bin']);
});

test('a server that ignores Range restarts the file from byte 0 instead of appending a second copy', async () => {
  const d = freshDir('noranges');
  const target = path.join(d, 'a.bin');
  const r = await downloadFile(server.url('/no-ranges.bin'), target, { dispatcher: agent, retries: 1 });
  expect(server.ranges.get('/no-ranges.bin')).toEqual([null, 'bytes=60000-']);
  expect(r.resumed).toBe(false);
  expect(fs.readFileSync(target).equals(BODY)).toBe(true);
});

test('a 206 that does not start where the part file ends is not appended: the download starts over', async () => {
  const d = freshDir('range-from-zero');
  const target = path.join(d, 'a.bin');
  const r = await downloadFile(server.url('/range-from-zero.bin'), target, { dispatcher: agent, retries: 1 });
  const seen = server.ranges.get('/range-from-zero.bin') ?? [];
  expect(seen).toHaveLength(3);
  expect([seen[0], seen[2]]).toEqual([null, null]);
  expect(seen[1]).toMatch(/^bytes=\d+-$/);
  expect(r.resumed).toBe(false);
  expect(fs.readFileSync(target).equals(BODY)).toBe(true);
});

test('a 404 is a clear error and writes nothing', async () => {
  const d = freshDir('404');
  const url = server.url('/missing.rar');
  await expect(downloadFile(url, path.join(d, 'a.bin'), { dispatcher: agent })).rejects.toThrow(`${url}: HTTP 404 Not Found (no such file on the server)`);
  expect(left(d)).toEqual([]);
});

test('a size mismatch announced by the server is refused before anything is written', async () => {
  const d = freshDir('size');
  await expect(downloadFile(server.url('/archive.bin'), path.join(d, 'a.bin'), { dispatcher: agent, expectedBytes: 123 })).rejects.toThrow(
    /the server offers 200000 bytes, expected 123 \(size mismatch/,
  );
  expect(left(d)).toEqual([]);
});

test('a checksum mismatch deletes the downloaded bytes and names both digests', async () => {
  const d = freshDir('sha');
  const wrong = '0'.repeat(64);
  await expect(downloadFile(server.url('/archive.bin'), path.join(d, 'a.bin'), { dispatcher: agent, expectedSha256: wrong })).rejects.toThrow(
    `checksum mismatch: sha256 ${SHA}, the published archive has ${wrong}`,
  );
  expect(left(d)).toEqual([]);
});

test('a web page instead of the archive is refused', async () => {
  const d = freshDir('html');
  await expect(downloadFile(server.url('/page.html'), path.join(d, 'a.bin'), { dispatcher: agent })).rejects.toThrow(/answered with a web page, not the archive/);
  expect(left(d)).toEqual([]);
});

test('an unreachable server is a "cannot connect" error naming the URL', async () => {
  const d = freshDir('refused');
  const closed = await serve({});
  const url = closed.url('/x.rar');
  await closed.close();
  await expect(downloadFile(url, path.join(d, 'a.bin'), { dispatcher: agent })).rejects.toThrow(`${url}: cannot connect (ECONNREFUSED`);
  expect(left(d)).toEqual([]);
});

test('without a dispatcher, the download goes through the proxy HTTP_PROXY names (and NO_PROXY bypasses it)', async () => {
  // A minimal forward proxy on 127.0.0.1: it records each absolute URL it is asked for and relays the answer.
  const http = await import('node:http');
  const seen: string[] = [];
  const proxy = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    const upstream = http.request(req.url ?? '', { method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  // undici's proxy agent tunnels (CONNECT host:port), also for http:// targets.
  const net = await import('node:net');
  proxy.on('connect', (req, client, head) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as import('node:net').AddressInfo).port}`;
  const saved = { HTTP_PROXY: process.env.HTTP_PROXY, http_proxy: process.env.http_proxy, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };
  try {
    for (const k of Object.keys(saved)) delete process.env[k];
    process.env.HTTP_PROXY = proxyUrl;
    const d = freshDir('proxy');
    const url = server.url('/archive.bin');
    const r = await downloadFile(url, path.join(d, 'a.bin'), { expectedSha256: SHA });
    expect(r.sha256).toBe(SHA);
    // One request reached the proxy: a tunnel to the origin (or, from a plain forward proxy client, the absolute URL).
    expect(seen).toHaveLength(1);
    expect([`CONNECT ${new URL(url).host}`, url]).toContain(seen[0]);

    process.env.NO_PROXY = '127.0.0.1';
    const d2 = freshDir('no-proxy');
    await downloadFile(url, path.join(d2, 'a.bin'), { expectedSha256: SHA });
    expect(seen).toHaveLength(1);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    proxy.closeAllConnections();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
  }
});
