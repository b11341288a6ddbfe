/**
 * `cosrank serve --processes N` (cluster.ts, clusterMember.ts, memberBackend.ts). The CLI in a child
 * process: connections are served by every server process; a reload reaches all of them (a failed one
 * none); a process killed is replaced; SIGTERM drains and leaves no process behind; a stalled upload is
 * answered 408 by the process it was handed to. Answers are checked
 * against a `Ranker` loaded here from the same directory. `MemberBackend` in this process: requests that
 * arrive while a reload is paused wait and are answered by the committed model.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../../src/model/modelFile';
import type { FromMember } from '../../src/serve/cluster';
import type { WireReply, WireRequest } from '../../src/serve/handler';
import { MemberBackend } from '../../src/serve/memberBackend';
import { Ranker } from '../../src/serve/ranker';
import { denseDocs, fixtureModel, randomDocuments } from './fixture';
import { startServe, type ServeProcess } from './serveProcess';

jest.setTimeout(120_000);

let root: string;
const running: ServeProcess[] = [];
beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'cosrank-processes-'));
});
afterAll(() => {
  for (const s of running) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

const docs = denseDocs(randomDocuments(12, 5));

async function expectedScores(dir: string): Promise<number[]> {
  const ranker = await Ranker.load(dir);
  return Array.from(await ranker.score(ranker.denseFeatures(docs)));
}

/** POST on a connection of its own (no agent: each request connects, and closes after). */
function post(url: string, route: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const data = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(route, url), { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': data.length } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(parts).toString()) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Scores from `n` requests, each on a new connection. */
async function scoreTimes(url: string, n: number): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < n; i++) {
    const r = await post(url, '/score', { documents: docs });
    expect(r.status).toBe(200);
    out.push(r.json.scores as number[]);
  }
  return out;
}

/** Process ids in the access log (one JSON line per request, from the process that served it). */
function servingPids(server: ServeProcess): Set<number> {
  const pids = new Set<number>();
  for (const line of server.stderr().split('\n')) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as { pid?: number; msg?: string };
    if (entry.msg === 'request completed' && entry.pid !== undefined) pids.add(entry.pid);
  }
  return pids;
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('cosrank serve --processes 2', () => {
  it('serves from both processes, reloads both (a failed reload neither), replaces a killed one, and drains on SIGTERM', async () => {
    const dir = path.join(root, 'model');
    await saveModel(dir, fixtureModel(3));
    const first = await expectedScores(dir);
    const server = await startServe(dir, ['--processes', '2', '--log-level', 'info']);
    running.push(server);

    for (const s of await scoreTimes(server.url, 6)) expect(s).toEqual(first);
    // connections go to the processes in turn (the log lines may reach stderr a little later)
    await until(() => servingPids(server).size >= 2, 'access log lines from two processes', 5000);
    const pids = servingPids(server);
    expect(pids.size).toBe(2);
    expect(pids.has(server.child.pid ?? -1)).toBe(false);

    await saveModel(dir, fixtureModel(8));
    const second = await expectedScores(dir);
    expect(second).not.toEqual(first);
    const reloaded = await post(server.url, '/reload', {});
    expect(reloaded.status).toBe(200);
    for (const s of await scoreTimes(server.url, 6)) expect(s).toEqual(second);

    writeFileSync(path.join(dir, 'model.json'), '{');
    const failed = await post(server.url, '/reload', {});
    expect(failed.status).toBe(500);
    expect(String(failed.json.message)).toMatch(/^still serving the previous model: /);
    for (const s of await scoreTimes(server.url, 6)) expect(s).toEqual(second);
    await saveModel(dir, fixtureModel(8));

    const [victim] = [...pids];
    process.kill(victim, 'SIGKILL');
    await until(() => server.stderr().includes(`server process ${victim} exited (SIGKILL); starting a replacement`), 'the replacement warning');
    await until(async () => {
      for (const s of await scoreTimes(server.url, 2)) expect(s).toEqual(second);
      return [...servingPids(server)].some((p) => !pids.has(p));
    }, 'an answer from the replacement');
    const members = [...servingPids(server)].filter((p) => p !== victim);
    expect(members.length).toBe(2);

    const inFlight = post(server.url, '/score', { documents: docs });
    await new Promise((r) => setTimeout(r, 5));
    server.child.kill('SIGTERM');
    expect((await inFlight).json.scores).toEqual(second);
    expect(await server.exited).toBe(0);
    for (const p of members) expect(alive(p)).toBe(false);
    await expect(post(server.url, '/healthz', {})).rejects.toThrow(/ECONNREFUSED/);
  });

  it('names the port when it is taken, and the model directory when it cannot be read', async () => {
    const dir = path.join(root, 'model-port');
    await saveModel(dir, fixtureModel(3));
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      await expect(startServe(dir, ['--processes', '2', '--port', String(port)])).rejects.toThrow(new RegExp(`--port ${port}: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
    } finally {
      taken.close();
    }
    await expect(startServe(path.join(root, 'absent'), ['--processes', '2'])).rejects.toThrow(/absent/);
  });

  it('restarts a process that cannot load the model once a second, not in a loop, until it can', async () => {
    const dir = path.join(root, 'model-restart');
    await saveModel(dir, fixtureModel(3));
    const server = await startServe(dir, ['--processes', '1', '--log-level', 'info']);
    running.push(server);
    await scoreTimes(server.url, 1);
    await until(() => servingPids(server).size === 1, 'the access log line');
    const [member] = [...servingPids(server)];
    writeFileSync(path.join(dir, 'model.json'), '{');
    process.kill(member, 'SIGKILL');
    const failures = () => server.stderr().split('a replacement server process failed').length - 1;
    await until(() => failures() >= 1, 'a failed replacement');
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 2500));
    const perSecond = (failures() - 1) / ((Date.now() - t0) / 1000);
    expect(perSecond).toBeLessThanOrEqual(1.2);
    expect(server.stderr()).toMatch(/a replacement server process failed: .*model\.json/);
    await saveModel(dir, fixtureModel(3));
    await until(async () => (await post(server.url, '/score', { documents: docs }).catch(() => ({ status: 0 }))).status === 200, 'a replacement that loads');
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('answers a stalled upload 408 after the request timeout (each process checks deadlines on the connections it is handed)', async () => {
    const dir = path.join(root, 'model-timeout');
    await saveModel(dir, fixtureModel(3));
    const server = await startServe(dir, ['--processes', '1', '--request-timeout', '300']);
    running.push(server);
    const { port } = new URL(server.url);
    const t0 = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const sock: net.Socket = net.connect(Number(port), '127.0.0.1', () => sock.write('POST /score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"documents":'));
      let text = '';
      sock.on('data', (b: Buffer) => (text += b.toString()));
      sock.on('close', () => resolve(text));
      sock.on('error', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(Date.now() - t0).toBeLessThan(5000);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });
});

describe('MemberBackend (one server process)', () => {
  const request = (): WireRequest => ({ route: 'score', contentType: 'application/json', body: [Buffer.from(JSON.stringify({ documents: docs }))] });
  const scoresOf = (r: WireReply) => (JSON.parse(r.body as string) as { scores: number[] }).scores;

  it('holds requests from pause to commit, then answers them with the new model; abort keeps the old; reload asks the supervisor', async () => {
    const dirs = [3, 8, 11].map((seed) => path.join(root, `member-${seed}`));
    await Promise.all(dirs.map((d, i) => saveModel(d, fixtureModel([3, 8, 11][i]))));
    const [a, b, c] = await Promise.all(dirs.map((d) => Ranker.load(d)));
    const [sa, sb] = await Promise.all(dirs.slice(0, 2).map(expectedScores));
    const next = [b, c];
    const sent: FromMember[] = [];
    const backend = new MemberBackend(a, { maxDocuments: 100 }, async () => next.shift() as Ranker, (m) => sent.push(m));
    expect(scoresOf(await backend.handle(request()))).toEqual(sa);

    backend.onMessage({ kind: 'load', seq: 1 });
    await until(() => sent.some((m) => m.kind === 'loaded'), 'the load');
    expect(sent).toEqual([{ kind: 'loaded', seq: 1 }]);
    expect(scoresOf(await backend.handle(request()))).toEqual(sa); // loaded, not yet committed
    backend.onMessage({ kind: 'pause', seq: 2 });
    expect(sent[1]).toEqual({ kind: 'paused', seq: 2 });
    let answered = false;
    const held = backend.handle(request()).then((r) => ((answered = true), r));
    await new Promise((r) => setTimeout(r, 50));
    expect(answered).toBe(false);
    backend.onMessage({ kind: 'commit' });
    expect(scoresOf(await held)).toEqual(sb);

    backend.onMessage({ kind: 'load', seq: 3 });
    await until(() => sent.length === 3, 'the second load');
    backend.onMessage({ kind: 'pause', seq: 4 });
    const heldAgain = backend.handle(request());
    backend.onMessage({ kind: 'abort' });
    expect(scoresOf(await heldAgain)).toEqual(sb);

    const reload = backend.reload();
    expect(sent[sent.length - 1]).toEqual({ kind: 'reload', seq: 0 });
    backend.onMessage({ kind: 'reloaded', seq: 0, error: 'model.json: not valid JSON' });
    await expect(reload).rejects.toThrow('model.json: not valid JSON');
    const again = backend.reload();
    backend.onMessage({ kind: 'reloaded', seq: 1 });
    await expect(again).resolves.toBeUndefined();
  });
});
