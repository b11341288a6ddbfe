import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { Table as WasmTable, writeParquet as arrowToParquet } from 'parquet-wasm';
import { readParquet, writeParquet } from '../../src/data/parquet';
import { DataError } from '../../src/util/errors';
import { expectSameDataset, tinyDataset } from './arrowFixture';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-parquet-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('canonical layout: writeParquet → readParquet gives the same dataset, bit for bit', async () => {
  const ds = tinyDataset();
  const file = path.join(dir, 'tiny.parquet');
  await writeParquet(ds, file);
  const back = await readParquet(file, { nonFinite: 'keep' });
  expectSameDataset(back, ds);
  expect(Array.from(back.queryOffsets)).toEqual([0, 2, 3, 6]);
});

test('a foreign Parquet file (written by parquet-wasm from an Arrow table) reads with column options', async () => {
  const t = tableFromArrays({
    qid: new Int32Array([5, 5, 9]),
    grade: new Float64Array([2, 0, 1]),
    a: new Float32Array([0.5, 1.5, 2.5]),
    b: new Float64Array([10, 20, 30]),
  });
  const file = path.join(dir, 'foreign.parquet');
  fs.writeFileSync(file, arrowToParquet(WasmTable.fromIPCStream(tableToIPC(t, 'stream'))));
  const ds = await readParquet(file, { labelColumns: ['grade'] });
  expect(ds.queryIds).toEqual(['5', '9']);
  expect(Array.from(ds.queryOffsets)).toEqual([0, 2, 3]);
  expect(ds.featureNames).toEqual(['a', 'b']);
  expect(Array.from(ds.features)).toEqual([0.5, 10, 1.5, 20, 2.5, 30]);
  expect(Array.from(ds.labels[0])).toEqual([2, 0, 1]);
});

test('a truncated Parquet file is a DataError naming the file', async () => {
  const file = path.join(dir, 'whole.parquet');
  await writeParquet(tinyDataset(), file);
  const bytes = fs.readFileSync(file);
  const cut = path.join(dir, 'cut.parquet');
  fs.writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
  const err = await readParquet(cut).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DataError);
  expect((err as DataError).message).toContain(cut);
});
