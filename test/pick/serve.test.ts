/**
 * Serving operating points: by name gives exactly the scores of the stored weights, c (and β); HTTP requests
 * name a point or send a context for the routes; bad names and mixed requests are 400s naming the fields;
 * GET /model lists points and routes; `serve --routes` is checked at start-up and reaches the workers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Engine } from '../../src/engine/engine';
import { createEngine } from '../../src/engine/select';
import { saveModel, type SavedModel } from '../../src/model/modelFile';
import type { OperatingPoint } from '../../src/model/operatingPoints';
import { createServer } from '../../src/serve/http';
import { Ranker } from '../../src/serve/ranker';
import { ConfigError } from '../../src/util/errors';
import { denseDocs, fixtureModel, randomDocuments } from '../serve/fixture';

jest.setTimeout(120_000);

const provenance: OperatingPoint['provenance'] = {
  data: { file: 'pick.arrow', sha256: '0'.repeat(64), queries: 1, documents: 1 },
  maximize: ['freshness'],
  constraints: ['relevance >= 0.97 * base.relevance'],
  objectives: { relevance: 0.7, freshness: 0.6, clicks: 0.5 },
  base: { relevance: 0.72, freshness: 0.5, clicks: 0.5 },
  metric: 'k=10',
  evaluated: 100,
  createdAt: '2026-12-01T00:00:00.000Z',
};
const POINTS: OperatingPoint[] = [
  { name: 'fresh', weights: [0.8301, 0.1699], c: 2.7183, provenance },
  { name: 'clicky', weights: [0.05, 0.95], c: 0.61, provenance },
];
const ROUTES = [{ when: { vertical: 'news' }, use: 'fresh' }, { when: { vertical: 'shop' }, use: 'clicky' }, { use: 'default' }];

let root: string;
let engine: Engine;
const docs = denseDocs(randomDocuments(12, 5));

async function modelDir(name: string, model: SavedModel): Promise<string> {
  const dir = path.join(root, name);
  await saveModel(dir, model);
  return dir;
}

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'cosrank-pick-serve-'));
  engine = await createEngine('auto');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Ranker', () => {
  it('serving by name gives exactly the scores of the stored weights and c', async () => {
    const ranker = await Ranker.load(await modelDir('w', { ...fixtureModel(3), operatingPoints: POINTS }), { engineInstance: engine });
    for (const p of POINTS) {
      const byName = await ranker.scoreDocuments(docs, { operatingPoint: p.name });
      const byWeights = await ranker.scoreDocuments(docs, { weights: p.weights, c: p.c });
      expect(Array.from(byName)).toEqual(Array.from(byWeights));
      const ranked = await ranker.rerank(docs, { operatingPoint: p.name, topK: 3 });
      expect(ranked.map((r) => r.score)).toEqual(Array.from(byWeights).sort((a, b) => b - a).slice(0, 3));
    }
    // and the points differ from each other and from the default
    const fresh = await ranker.scoreDocuments(docs, { operatingPoint: 'fresh' });
    expect(Array.from(fresh)).not.toEqual(Array.from(await ranker.scoreDocuments(docs, {})));
  });

  it('a T-COS point carries its β', async () => {
    const points = POINTS.map((p, i) => ({ ...p, beta: [0.7 + i * 0.3, 1.4 - i * 0.2] }));
    const ranker = await Ranker.load(await modelDir('t', { ...fixtureModel(4, { temperature: true }), operatingPoints: points }), { engineInstance: engine });
    for (const p of points) {
      const byName = await ranker.scoreDocuments(docs, { operatingPoint: p.name });
      expect(Array.from(byName)).toEqual(Array.from(await ranker.scoreDocuments(docs, { weights: p.weights, c: p.c, beta: p.beta })));
      expect(Array.from(byName)).not.toEqual(Array.from(await ranker.scoreDocuments(docs, { weights: p.weights, c: p.c })));
    }
  });

  it('names where each trade-off came from, and a context that chose nothing', async () => {
    const plain = await Ranker.load(await modelDir('s', { ...fixtureModel(3), operatingPoints: POINTS }), { engineInstance: engine });
    const routed = await Ranker.load(await modelDir('s-routes', { ...fixtureModel(3), operatingPoints: POINTS, routes: ROUTES }), { engineInstance: engine });
    const news = { vertical: 'news' };
    expect(plain.tradeOffSource({})).toBe('default');
    expect(plain.tradeOffSource({ context: news })).toBe('default; context unused (this model has no routes)');
    expect(plain.tradeOffSource({ weights: [1, 0], c: 2 })).toBe('request');
    expect(plain.tradeOffSource({ weights: [1, 0], c: 2, context: news })).toBe('request; context unused (weights, c given)');
    expect(routed.tradeOffSource({ context: news })).toBe('route=fresh');
    expect(routed.tradeOffSource({ context: { vertical: 'video' } })).toBe('route=default');
    expect(routed.tradeOffSource({ operatingPoint: 'clicky', context: news })).toBe('point=clicky; context unused (a named point comes first)');
    expect(routed.tradeOffSource({ operatingPoint: 'default' })).toBe('point=default');
  });

  it('routes given at load replace the model\'s and are checked against its points', async () => {
    const dir = await modelDir('r', { ...fixtureModel(3), operatingPoints: POINTS, routes: [{ use: 'fresh' }] });
    const stored = await Ranker.load(dir, { engineInstance: engine });
    const fresh = Array.from(await stored.scoreDocuments(docs, { operatingPoint: 'fresh' }));
    expect(Array.from(await stored.scoreDocuments(docs, { context: { vertical: 'shop' } }))).toEqual(fresh);
    const override = await Ranker.load(dir, { engineInstance: engine, routes: { routes: ROUTES, source: 'routes.json' } });
    expect(Array.from(await override.scoreDocuments(docs, { context: { vertical: 'shop' } }))).toEqual(Array.from(await override.scoreDocuments(docs, { operatingPoint: 'clicky' })));
    await expect(Ranker.load(dir, { engineInstance: engine, routes: { routes: [{ use: 'stale' }], source: 'routes.json' } })).rejects.toThrow(ConfigError);
    await expect(Ranker.load(dir, { engineInstance: engine, routes: { routes: [{ use: 'fresh' }, { use: 'clicky' }], source: 'routes.json' } })).rejects.toThrow(
      /routes\.json: 1 problem\n  routes\[1\]: .*no rule after the catch-all routes\[0\]/,
    );
  });
});

describe('HTTP', () => {
  let url: string;
  let server: ReturnType<typeof createServer>;
  beforeAll(async () => {
    const ranker = await Ranker.load(await modelDir('h', { ...fixtureModel(3), operatingPoints: POINTS, routes: ROUTES }), { engineInstance: engine });
    server = createServer(ranker, { maxDocuments: 50 });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(server.app.server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.app.close());

  const post = async (route: string, body: unknown) => {
    const res = await fetch(url + route, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, source: res.headers.get('x-cosrank-trade-off') };
  };

  it('"operatingPoint" scores as the stored weights and c; "context" is routed, first match wins', async () => {
    const byName = await post('/score', { documents: docs, operatingPoint: 'fresh' });
    const byWeights = await post('/score', { documents: docs, weights: POINTS[0].weights, c: POINTS[0].c });
    expect(byName.status).toBe(200);
    expect(byName.body.scores).toEqual(byWeights.body.scores);
    expect((await post('/score', { documents: docs, context: { vertical: 'news', market: 'de' } })).body.scores).toEqual(byWeights.body.scores);
    const clicky = await post('/score', { documents: docs, operatingPoint: 'clicky' });
    expect((await post('/score', { documents: docs, context: { vertical: 'shop' } })).body.scores).toEqual(clicky.body.scores);
    const fallback = await post('/score', { documents: docs, context: { vertical: 'video' } });
    expect(fallback.body.scores).toEqual((await post('/score', { documents: docs })).body.scores);
    const rerank = await post('/rerank', { documents: docs, operatingPoint: 'clicky', topK: 2 });
    expect(rerank.source).toBe('point=clicky');
    expect(fallback.source).toBe('route=default');
    expect((rerank.body.results as { score: number }[]).map((r) => r.score)).toEqual((clicky.body.scores as number[]).sort((a, b) => b - a).slice(0, 2));
  });

  it.each([
    ['a point and weights', { operatingPoint: 'fresh', weights: [1, 0] }, 'operatingPoint', 'cannot be combined with weights'],
    ['a point and c', { operatingPoint: 'fresh', c: 2 }, 'operatingPoint', 'cannot be combined with c'],
    ['an unknown point', { operatingPoint: 'stale' }, 'operatingPoint', 'unknown operating point "stale"; this model has fresh, clicky'],
    ['a point that is not a name', { operatingPoint: ['fresh'] }, 'operatingPoint', 'expected the name of an operating point'],
    ['a malformed context', { context: 'news' }, 'context', 'expected an object'],
  ])('400 for %s, naming the field', async (_what, extra, field, message) => {
    const r = await post('/rerank', { documents: docs, ...extra });
    expect(r.status).toBe(400);
    expect(r.body.field).toBe(field);
    expect(r.body.message).toContain(message);
  });

  it('GET /model lists the points with their provenance, and the routes', async () => {
    const m = (await (await fetch(url + '/model')).json()) as { operatingPoints: Record<string, unknown>[]; routes: unknown[]; routesSource: string };
    expect(m.operatingPoints.map((p) => p.name)).toEqual(['fresh', 'clicky']);
    expect(m.operatingPoints[0]).toMatchObject({ weights: { freshness: 0.8301, clicks: 0.1699 }, c: 2.7183, constraints: provenance.constraints, createdAt: provenance.createdAt });
    expect(m.routes).toEqual(ROUTES);
    expect(m.routesSource).toBe('model.json');
  });
});

describe('cosrank serve --routes', () => {
  const bin = path.resolve(__dirname, '..', '..', 'bin', 'cosrank.js');
  const serve = (args: string[]) => spawn(process.execPath, [bin, 'serve', ...args, '--port', '0', '--json', '--workers', '1', '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'pipe'] });

  it('refuses a routes file naming an unknown point at start-up', async () => {
    const dir = await modelDir('c1', { ...fixtureModel(3), operatingPoints: POINTS });
    const file = path.join(root, 'bad-routes.json');
    writeFileSync(file, JSON.stringify([{ when: { vertical: 'news' }, use: 'stale' }]));
    const child = serve([dir, '--routes', file]);
    let err = '';
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(err).toContain(`${file}: 1 problem`);
    expect(err).toContain('routes[0].use: got "stale"');
  });

  it('routes requests through the worker threads', async () => {
    const dir = await modelDir('c2', { ...fixtureModel(3), operatingPoints: POINTS });
    const file = path.join(root, 'routes.json');
    writeFileSync(file, JSON.stringify([{ when: { vertical: 'shop' }, use: 'clicky' }]));
    const child = serve([dir, '--routes', file]);
    try {
      const started = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          if (out.includes('\n')) resolve(out.split('\n')[0]);
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
      const base = (JSON.parse(started) as { url: string }).url;
      const score = async (body: unknown) =>
        ((await (await fetch(base + '/score', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents: docs, ...(body as object) }) })).json()) as { scores: number[] }).scores;
      expect(await score({ context: { vertical: 'shop' } })).toEqual(await score({ weights: POINTS[1].weights, c: POINTS[1].c }));
      expect(await score({ context: { vertical: 'news' } })).toEqual(await score({}));
      // the answer's header, set in a worker, reaches the client
      const res = await fetch(base + '/rerank', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents: docs, context: { vertical: 'shop' } }) });
      expect(res.headers.get('x-cosrank-trade-off')).toBe('route=clicky');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
