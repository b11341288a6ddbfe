/**
 * The catalogue: data/registry.json is exactly `datasets list --json`; every entry is fetchable in
 * principle (a URL, or manual instructions), names a real preset and has distinct fold names; `list`
 * shows every dataset with its licence. Plus the tar.gz (Istella-S) and tar.bz2 (Yahoo!) layouts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as tar from 'tar';
import { CATALOGUE } from '../../src/data/datasets/catalogue';
import { fetchDataset } from '../../src/data/datasets/fetch';
import { PRESET_NAMES } from '../../src/data/presets';
import { countLetor, mq2008Parts } from './letorFixture';
import { runCli as cli } from '../cliHarness';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-catalogue-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('data/registry.json is the catalogue as `datasets list --json` prints it', async () => {
  const r = await cli('datasets', 'list', '--json');
  expect(r.code).toBe(0);
  expect(JSON.parse(r.out)).toEqual(CATALOGUE);
  expect(fs.readFileSync(path.join(__dirname, '../../data/registry.json'), 'utf8')).toBe(r.out);
});

test('every entry: a URL or manual instructions, a known preset, distinct fold names, a sha256 of 64 hex digits when given', () => {
  for (const e of CATALOGUE) {
    expect({ name: e.name, fetchable: e.url !== null || (e.manual ?? '').length > 0 }).toEqual({ name: e.name, fetchable: true });
    expect(PRESET_NAMES).toContain(e.preset);
    expect(new Set(e.folds.map((f) => f.name)).size).toBe(e.folds.length);
    if (e.archive.sha256 !== undefined) expect(e.archive.sha256).toMatch(/^[0-9a-f]{64}$/);
    if (e.url === null) expect(e.licence).toMatch(/^manual download/);
  }
});

test('list shows each dataset with size, licence, source, folds and preset; Yahoo is a manual download', async () => {
  const r = await cli('datasets', 'list');
  expect(r.code).toBe(0);
  for (const e of CATALOGUE) expect(r.out).toContain(`${e.name.padEnd(12)} ${e.title}`);
  const yahoo = r.out.slice(r.out.indexOf('yahoo-ltr'));
  expect(yahoo).toMatch(/licence\s+manual download/);
  expect(r.out).toContain('size     1.23 GB zip (sha256 known)');
  expect(r.out).toMatch(/folds\s+Fold1, Fold2, Fold3, Fold4, Fold5\n\s+preset\s+mslr/);
});

/** Istella-S's layout: sample/{train,vali,test}.txt. */
function istellaTree(): { root: string; texts: Record<string, string> } {
  const { parts } = mq2008Parts();
  const cut = (t: string) => t.split('\n').slice(0, 80).join('\n') + '\n';
  const texts = { train: cut(parts[0]), vali: cut(parts[1]), test: cut(parts[2]) };
  const root = path.join(dir, 'istella-src');
  fs.mkdirSync(path.join(root, 'sample'), { recursive: true });
  for (const [k, v] of Object.entries(texts)) fs.writeFileSync(path.join(root, 'sample', `${k}.txt`), v);
  return { root, texts };
}

test('a tar.gz in the Istella-S layout extracts and converts', async () => {
  const { root, texts } = istellaTree();
  const archive = path.join(dir, 'istella-s-letor.tar.gz');
  await tar.c({ gzip: true, file: archive, cwd: root }, ['sample']);
  const entry = { ...CATALOGUE.find((e) => e.name === 'istella-s')!, archive: { file: 'istella-s-letor.tar.gz', format: 'tar.gz' as const }, features: 46 };
  const r = await fetchDataset(entry, { from: archive, dataDir: path.join(dir, 'data') });
  expect(r.archive.format).toBe('tar.gz');
  const got = r.folds[0].splits;
  for (const split of ['train', 'vali', 'test'] as const) {
    const want = countLetor(texts[split]);
    expect([got[split].summary.queries, got[split].summary.documents]).toEqual([want.queries, want.documents]);
  }
});

const hasBzip2 = (() => {
  try {
    execFileSync('bzip2', ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

(hasBzip2 ? test : test.skip)('a tar.bz2 (the Yahoo! archive format) extracts and converts (needs the bzip2 program to build it)', async () => {
  const { texts } = istellaTree();
  const plain = path.join(dir, 'yahoo.tar');
  const files = ['set1.train.txt', 'set1.valid.txt', 'set1.test.txt', 'set2.train.txt', 'set2.valid.txt', 'set2.test.txt'];
  const src = path.join(dir, 'yahoo-src');
  fs.mkdirSync(src, { recursive: true });
  files.forEach((f, i) => fs.writeFileSync(path.join(src, f), Object.values(texts)[i % 3]));
  await tar.c({ file: plain, cwd: src }, files);
  execFileSync('bzip2', ['-k', plain]);
  const entry = { ...CATALOGUE.find((e) => e.name === 'yahoo-ltr')!, features: 46 };
  const r = await fetchDataset(entry, { from: `${plain}.bz2`, dataDir: path.join(dir, 'data') });
  expect(r.archive.format).toBe('tar.bz2');
  expect(r.folds.map((f) => [f.name, f.splits.test.summary.documents])).toEqual([
    ['set1', countLetor(texts.test).documents],
    ['set2', countLetor(texts.test).documents],
  ]);
  // yahoo preset: relevance plus `excellent` = max(relevance − 2, 0); no feature dropped.
  expect(r.folds[0].objectives.map((o) => o.name)).toEqual(['relevance', 'excellent']);
});

test('usage errors: no subcommand, an unknown one, fetch without exactly one NAME, a bad --retries (exit 2)', async () => {
  expect(await cli('datasets')).toMatchObject({ code: 2, err: expect.stringContaining('give a subcommand: list or fetch') });
  expect(await cli('datasets', 'get', 'mq2008')).toMatchObject({ code: 2, err: expect.stringContaining("unknown subcommand 'get' (list, fetch)") });
  expect(await cli('datasets', 'fetch')).toMatchObject({ code: 2, err: expect.stringContaining('fetch takes one dataset NAME, got 0') });
  expect(await cli('datasets', 'fetch', 'mq2008', '--retries', '1.5')).toMatchObject({ code: 2, err: expect.stringContaining("--retries must be an integer ≥ 0, got '1.5'") });
});
