import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatFromPath, readDataset, writeDataset } from '../../src/data/read';
import { bits, tinyDataset } from './arrowFixture';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-read-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('format from the extension', () => {
  expect(['a.arrow', 'a.FEATHER', 'a.ipc', 'a.arrows'].map(formatFromPath)).toEqual(['arrow', 'arrow', 'arrow', 'arrow']);
  expect(formatFromPath('x/y.parquet')).toBe('parquet');
  expect(['a.csv', 'a.tsv'].map(formatFromPath)).toEqual(['csv', 'csv']);
  expect(['S1.txt', 'train.svm', 'a.libsvm', 'noext', 'dir.v2/file'].map(formatFromPath)).toEqual(['letor', 'letor', 'letor', 'letor', 'letor']);
});

test('writeDataset / readDataset round trip through Arrow and Parquet', async () => {
  const ds = tinyDataset();
  for (const name of ['t.arrow', 't.parquet']) {
    const file = path.join(dir, name);
    await writeDataset(ds, file);
    const back = await readDataset(file, { arrow: { nonFinite: 'keep' } });
    expect(bits(back.features)).toEqual(bits(ds.features));
    expect(back.queryIds).toEqual(ds.queryIds);
    expect(back.labels.map(bits)).toEqual(ds.labels.map(bits));
    expect(back.metadata).toEqual(ds.metadata);
  }
});

test('LETOR text for any other extension; the main label survives', async () => {
  const ds = { ...tinyDataset(), features: new Float32Array(18).map((_, i) => i / 8), queryIds: ['1', '2', '3'] };
  const file = path.join(dir, 't.svm');
  await writeDataset(ds, file);
  expect(fs.readFileSync(file, 'utf8').split('\n')[0]).toMatch(/^2 qid:1 1:0 2:0\.125 3:0\.25/);
  const back = await readDataset(file);
  expect(bits(back.features)).toEqual(bits(ds.features));
  expect(Array.from(back.labels[0])).toEqual(Array.from(ds.labels[0]));
  expect(back.queryIds).toEqual(['1', '2', '3']);
});

test('an explicit format overrides the extension and per-format options are passed on', async () => {
  const file = path.join(dir, 'data.txt');
  fs.writeFileSync(file, 'query,grade,x\nA,1,0.5\nA,0,0.25\n');
  const ds = await readDataset(file, { format: 'csv', csv: { qid: 'query', labels: ['grade'] } });
  expect(ds.queryIds).toEqual(['A']);
  expect(ds.labelNames).toEqual(['grade']);
  expect(Array.from(ds.features)).toEqual([0.5, 0.25]);
});

test('progress events reach the caller', async () => {
  const file = path.join(dir, 'p.arrow');
  await writeDataset(tinyDataset(), file);
  const events: string[] = [];
  await readDataset(file, { arrow: { nonFinite: 'keep' }, onProgress: (e) => events.push(`${e.stage}:${e.done}/${e.total}`) });
  const size = fs.statSync(file).size;
  expect(events).toEqual([`read:${size}/${size}`]);
});

test('a directory or a missing file is refused naming it (Node’s EISDIR from a read names no path)', async () => {
  const folder = path.join(dir, 'folder.txt');
  fs.mkdirSync(folder);
  await expect(readDataset(folder)).rejects.toThrow(`${folder}: is a directory, expected a data file (format letor)`);
  const missing = path.join(dir, 'missing.csv');
  await expect(readDataset(missing)).rejects.toThrow(`${missing}: cannot be read, expected a data file (format csv): no such file`);
});
