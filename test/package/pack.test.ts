/**
 * Package acceptance (issue 15): cosrank packed as npm publishes it, installed from the tarball into a fresh
 * project without network (`npm ci --offline` from npm's cache, `ONNXRUNTIME_NODE_INSTALL=skip`), then used
 * as a consumer would: an ES module and a CommonJS script through every entry point, `tsc --strict` with
 * skipLibCheck off, and the `cosrank` bin (also serving with `--processes`). Slow (a build and an install, 1–3 minutes); timings are printed by
 * `npm run bench -- install`, never asserted.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { saveModel } from '../../src/model/modelFile';
import { Ranker } from '../../src/serve/ranker';
import { denseDocs, fixtureModel, randomDocuments } from '../serve/fixture';
import { startServe } from '../serve/serveProcess';
import { installOffline, pack, run, stagePackage, typecheck } from './packInstall';

// semver (npm's range rules) has no bundled types; a dev dependency of the checkout
const semver = require('semver') as { satisfies(version: string, range: string): boolean; minVersion(range: string): { version: string } | null };

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-pack-'));
const consumer = path.join(work, 'consumer');
const modules = path.join(consumer, 'node_modules');
let packed: { tarball: string; files: string[] };

beforeAll(() => {
  const pkg = stagePackage(path.join(work, 'stage'));
  packed = pack(path.join(work, 'stage'), work);
  installOffline(consumer, pkg, packed.tarball);
  for (const f of fs.readdirSync(path.join(__dirname, 'consumer'))) fs.copyFileSync(path.join(__dirname, 'consumer', f), path.join(consumer, f));
}, 900_000);
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('the packed tarball', () => {
  it('ships the build, its declarations, the bin, the examples and the docs, and no sources or source maps', () => {
    const files = packed.files;
    for (const f of ['package.json', 'README.md', 'bin/cosrank.js', 'dist/index.js', 'dist/index.d.ts', 'examples/demo.json']) expect(files).toContain(f);
    for (const entry of ['serve', 'data', 'eval']) expect(files).toEqual(expect.arrayContaining([`dist/entries/${entry}.js`, `dist/entries/${entry}.d.ts`]));
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
  });
});

describe('installed without network', () => {
  it('leaves the optional and development packages out', () => {
    for (const name of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'tsx', 'typescript', 'jest']) {
      expect(fs.existsSync(path.join(modules, name))).toBe(false);
    }
    expect(fs.existsSync(path.join(modules, 'onnxruntime-node'))).toBe(true);
  });

  it('installs no package whose engines exclude the Node version cosrank supports', () => {
    const supported = JSON.parse(fs.readFileSync(path.join(modules, 'cosrank', 'package.json'), 'utf8')).engines.node as string;
    const minimum = semver.minVersion(supported)!.version;
    const refused: string[] = [];
    const visit = (dir: string): void => {
      for (const name of fs.readdirSync(dir)) {
        if (name.startsWith('.')) continue;
        if (name.startsWith('@')) {
          visit(path.join(dir, name));
          continue;
        }
        const manifest = path.join(dir, name, 'package.json');
        if (!fs.existsSync(manifest)) continue;
        const { name: pkgName, version, engines } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name: string; version: string; engines?: { node?: string } };
        if (engines?.node && !semver.satisfies(minimum, engines.node)) refused.push(`${pkgName}@${version} (node ${engines.node})`);
        const nested = path.join(dir, name, 'node_modules');
        if (fs.existsSync(nested)) visit(nested);
      }
    };
    visit(modules);
    expect(refused).toEqual([]);
  });
});

describe('used by a consumer', () => {
  const arrow = (): string => path.join(consumer, 'data.arrow');

  it('imports every entry point from an ES module', () => {
    expect(run(process.execPath, ['esm.mjs', arrow()], consumer)).toMatch(/^esm ok \d+ documents/m);
  }, 120_000);

  it('requires every entry point from CommonJS', () => {
    expect(run(process.execPath, ['cjs.cjs', arrow()], consumer)).toMatch(/^cjs ok 6 queries/m);
  }, 120_000);

  it('type-checks with tsc --strict and skipLibCheck off, as ESM and as CommonJS', () => {
    expect(() => typecheck(consumer, ['types.mts', 'types.cts'])).not.toThrow();
  }, 300_000);

  it('runs the cosrank bin from the compiled build', () => {
    const bin = path.join(modules, '.bin', 'cosrank');
    expect(run(bin, ['--help'], consumer)).toMatch(/^Usage: cosrank <command>/);
    expect(run(bin, ['inspect', arrow()], consumer)).toMatch(/6/);
    expect(fs.existsSync(path.join(modules, 'cosrank', 'examples', 'demo.json'))).toBe(true);
  }, 120_000);

  it('serves with --processes from the installed build (its server processes run the compiled member script)', async () => {
    const dir = path.join(work, 'model');
    await saveModel(dir, fixtureModel(3));
    const docs = denseDocs(randomDocuments(5, 2));
    const ranker = await Ranker.load(dir);
    const expected = Array.from(await ranker.score(ranker.denseFeatures(docs)));
    const server = await startServe(dir, ['--processes', '1'], path.join(modules, 'cosrank', 'bin', 'cosrank.js'));
    try {
      const res = await fetch(`${server.url}/score`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ documents: docs }) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { scores: number[] }).scores).toEqual(expected);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
  }, 120_000);
});
