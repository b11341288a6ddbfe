/**
 * `cosrank datasets fetch` end to end on archives built here in the published layouts (RAR for LETOR 4.0,
 * ZIP for MSLR), from a local file (`--from`) and from a local HTTP server. Truth: counts read straight
 * from the LETOR text (test/datasets/letorFixture.ts), the archive bytes' sha256 computed here.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { Agent } from 'undici';
import { fetchDataset } from '../../src/data/datasets/fetch';
import { datasetEntry, DatasetError, type DatasetEntry } from '../../src/data/datasets/catalogue';
import { readArrow } from '../../src/data/arrow';
import { DataError } from '../../src/util/errors';
import { buildRar, buildZip, serve, type TestServer } from './archives';
import { countLetor, mq2008Layout, mq2008Parts } from './letorFixture';
import { captureIO, runCli as cli } from '../cliHarness';

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Every file under `d`, relative, sorted. */
function tree(d: string): string[] {
  if (!fs.existsSync(d)) return [];
  return (fs.readdirSync(d, { recursive: true }) as string[]).map((p) => p.split(path.sep).join('/')).sort();
}

let dir: string;
let server: TestServer;
let agent: Agent;
const { parts, source } = mq2008Parts();
const layout = mq2008Layout(parts);
const rar = buildRar(layout);

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-fetch-'));
  const small = mq2008Layout(parts.map((p) => p.split('\n').slice(0, 60).join('\n') + '\n'));
  // MSLR-WEB10K's layout (Fold1..5/{train,vali,test}.txt at the top of a zip), with MQ2008 lines as content.
  const zip = buildZip(small.filter((f) => f.name.includes('/Fold')).map((f) => ({ name: f.name.replace(/^MQ2008\//, ''), data: f.data })));
  fs.writeFileSync(path.join(dir, 'MSLR-small.zip'), zip);
  server = await serve({
    '/MSLR-small.zip': { body: zip, cutAfter: Math.floor(zip.length / 3) },
    '/truncated.rar': { body: rar.subarray(0, Math.floor(rar.length / 2)) },
  });
  agent = new Agent();
});
afterAll(async () => {
  await agent.close();
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe(`MQ2008 in the published RAR layout (LETOR text: ${source})`, () => {
  test('fetch mq2008 --from ARCHIVE gives Arrow folds whose inspect counts equal the LETOR text', async () => {
    const archive = path.join(dir, 'MQ2008.rar');
    fs.writeFileSync(archive, rar);
    const data = path.join(dir, 'data-acceptance');
    const r = await cli('datasets', 'fetch', 'mq2008', '--from', archive, '--data-dir', data);
    expect(r.err).not.toMatch(/error|cannot/i);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`sha256 ${sha256(rar)} (recorded)`);
    for (const f of layout.filter((x) => /Fold\d\/\w+\.txt$/.test(x.name))) {
      const [, fold, split] = /(Fold\d)\/(\w+)\.txt$/.exec(f.name) as RegExpExecArray;
      const want = countLetor(f.data.toString('utf8'));
      const got = await cli('inspect', path.join(data, 'mq2008', 'folds', fold, `${split}.arrow`), '--json');
      expect(got.code).toBe(0);
      const s = JSON.parse(got.out);
      expect({ fold, split, queries: s.queries, documents: s.documents, relevance: s.labels[0].histogram }).toEqual({
        fold,
        split,
        queries: want.queries,
        documents: want.documents,
        relevance: want.histogram,
      });
      // letor4 preset: relevance, pagerank, shallowUrl; f41 and f44 leave the 46 inputs.
      expect(s.labels.map((l: { name: string }) => l.name)).toEqual(['relevance', 'pagerank', 'shallowUrl']);
      expect(s.features).toBe(44);
    }
    const card = fs.readFileSync(path.join(data, 'mq2008', 'README.md'), 'utf8');
    expect(card).toContain(`sha256: ${sha256(rar)} — no checksum is published`);
    expect(card).toContain('| Fold1 | train | relevance |');
    expect(tree(path.join(data, 'mq2008')).filter((p) => !p.startsWith('folds/'))).toEqual(['README.md', 'card.json', 'folds']);
  });

  test("the validation and test splits reuse the cut points fitted on the fold's training split", async () => {
    const ds = (split: string) => readArrow(path.join(dir, 'data-acceptance', 'mq2008', 'folds', 'Fold2', `${split}.arrow`));
    const [train, vali, test] = await Promise.all([ds('train'), ds('vali'), ds('test')]);
    type Obj = { name: string; cutPoints?: number[] };
    const cuts = (d: typeof train) => (d.metadata?.objectives as Obj[]).map((o) => o.cutPoints ?? null);
    expect(cuts(train)[1]).not.toBeNull();
    expect(cuts(vali)).toEqual(cuts(train));
    expect(cuts(test)).toEqual(cuts(train));
  });
});

describe('download, check, extract over HTTP (a local server)', () => {
  const zipEntry = (bytes: number, sha: string, url: string): DatasetEntry => ({
    ...datasetEntry('mslr-web10k'),
    name: 'mslr-small',
    url,
    archive: { file: 'MSLR-small.zip', format: 'zip', bytes, sha256: sha, checksumSource: 'this test' },
    features: 46,
    preset: 'letor4',
  });

  test('an interrupted download resumes, the published checksum is checked, every fold converts', async () => {
    const zip = fs.readFileSync(path.join(dir, 'MSLR-small.zip'));
    const data = path.join(dir, 'data-http');
    const r = await fetchDataset(zipEntry(zip.length, sha256(zip), server.url('/MSLR-small.zip')), { dataDir: data, dispatcher: agent, retries: 1 });
    expect(server.ranges.get('/MSLR-small.zip')?.[1]).toMatch(/^bytes=\d+-$/);
    expect(r.archive).toMatchObject({ bytes: zip.length, sha256: sha256(zip), checksum: 'published', format: 'zip' });
    expect(r.folds.map((f) => f.name)).toEqual(['Fold1', 'Fold2', 'Fold3', 'Fold4', 'Fold5']);
    expect(fs.readFileSync(r.card, 'utf8')).toContain('matches the checksum recorded by this test');
    expect(tree(path.join(data, 'mslr-small')).filter((p) => !p.startsWith('folds/'))).toEqual(['MSLR-small.zip', 'README.md', 'card.json', 'folds']);
  });

  test('a truncated archive is a clear error; nothing half-written stays, and the bad download is removed', async () => {
    const data = path.join(dir, 'data-truncated');
    const entry: DatasetEntry = { ...datasetEntry('mq2008'), url: server.url('/truncated.rar') };
    const err = await fetchDataset(entry, { dataDir: data, dispatcher: agent }).catch((e) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/MQ2008\.rar: cannot extract this rar archive .* truncated or damaged \(removed; the next fetch downloads it again\)/);
    expect(tree(path.join(data, 'mq2008'))).toEqual([]);
  });

  test('a truncated archive given with --from is refused and left alone; no folds or card appear', async () => {
    const data = path.join(dir, 'data-truncated-from');
    const archive = path.join(dir, 'half.rar');
    fs.writeFileSync(archive, rar.subarray(0, rar.length - 100));
    const r = await cli('datasets', 'fetch', 'mq2008', '--from', archive, '--data-dir', data);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/half\.rar: cannot extract this rar archive/);
    expect(fs.existsSync(archive)).toBe(true);
    expect(tree(path.join(data, 'mq2008'))).toEqual([]);
  });

  test('an archive without the published layout says which file it looked for', async () => {
    const archive = path.join(dir, 'wrong-layout.rar');
    fs.writeFileSync(archive, buildRar([{ name: 'MQ2008/all.txt', data: Buffer.from(parts[0]) }]));
    const data = path.join(dir, 'data-layout');
    await expect(fetchDataset('mq2008', { from: archive, dataDir: data })).rejects.toThrow(/wrong-layout\.rar: no Fold1\/train\.txt inside \(expected the published layout: MQ2008\/Fold1\/train\.txt/);
    expect(tree(path.join(data, 'mq2008'))).toEqual([]);
  });

  test('an archive entry that would land outside the extraction folder is never written there', async () => {
    // yauzl refuses such a zip entry outright; unrar strips the '..' itself. Either way nothing escapes.
    const data = path.join(dir, 'data-escape');
    const zip = path.join(dir, 'escape.zip');
    fs.writeFileSync(zip, buildZip([{ name: '../escaped.txt', data: Buffer.from('x') }]));
    await expect(fetchDataset('mslr-web10k', { from: zip, dataDir: data })).rejects.toThrow(/escape\.zip: (size mismatch|cannot extract)/);
    await expect(fetchDataset({ ...datasetEntry('mslr-web10k'), archive: { file: 'x.zip', format: 'zip' } }, { from: zip, dataDir: data })).rejects.toThrow(
      /escape\.zip: cannot extract this zip archive \(invalid relative path: \.\.\/escaped\.txt\)/,
    );
    const rarFile = path.join(dir, 'escape.rar');
    fs.writeFileSync(rarFile, buildRar([{ name: '../escaped.txt', data: Buffer.from('x') }]));
    await expect(fetchDataset('mq2008', { from: rarFile, dataDir: data })).rejects.toThrow(/no Fold1\/train\.txt inside/);
    expect(tree(data).filter((p) => p.endsWith('escaped.txt'))).toEqual([]);
    expect(fs.existsSync(path.join(dir, 'escaped.txt'))).toBe(false);
  });

  test('offline: the error says which URL to fetch by hand, where to put it, and --from', async () => {
    const closed = await serve({});
    const url = closed.url('/MQ2008.rar');
    await closed.close();
    const data = path.join(dir, 'data-offline');
    const err = await fetchDataset({ ...datasetEntry('mq2008'), url }, { dataDir: data, dispatcher: agent }).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.message).toContain(`${url}: cannot connect`);
    expect(err.message).toContain(`To fetch by hand: download ${url}, then run \`cosrank datasets fetch mq2008 --from FILE\``);
    expect(err.message).toContain(path.join(data, 'mq2008', 'MQ2008.rar'));
  });

  test('an archive already in place is checked before use; a wrong one is refused with a hint, never extracted', async () => {
    const data = path.join(dir, 'data-existing');
    fs.mkdirSync(path.join(data, 'mslr-web10k'), { recursive: true });
    fs.writeFileSync(path.join(data, 'mslr-web10k', 'MSLR-WEB10K.zip'), 'not the archive');
    await expect(fetchDataset('mslr-web10k', { dataDir: data })).rejects.toThrow(
      /MSLR-WEB10K\.zip: size mismatch: 15 bytes, the published archive has 1234144912 \(delete it to download again\)/,
    );
    expect(tree(path.join(data, 'mslr-web10k'))).toEqual(['MSLR-WEB10K.zip']);
  });

  test('a manual-download dataset says how to get it and to use --from', async () => {
    const data = path.join(dir, 'data-manual');
    const r = await cli('datasets', 'fetch', 'yahoo-ltr', '--data-dir', data);
    expect(r.code).toBe(1);
    expect(r.err).toContain('cannot be downloaded automatically (licence: manual download');
    expect(r.err).toContain('cosrank datasets fetch yahoo-ltr --from FILE');
  });

  test('an unknown dataset name lists the known ones', async () => {
    const r = await cli('datasets', 'fetch', 'mslr', '--data-dir', path.join(dir, 'x'));
    expect(r.code).toBe(1);
    expect(r.err).toContain("unknown dataset 'mslr' (known: mslr-web10k, mslr-web30k, mq2007, mq2008, ohsumed, istella-s, yahoo-ltr)");
  });
});
