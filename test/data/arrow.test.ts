import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Table, tableFromArrays, tableToIPC, vectorFromArray, Int64, Utf8 } from 'apache-arrow';
import { datasetToTable, readArrow, writeArrow } from '../../src/data/arrow';
import { DataError } from '../../src/util/errors';
import { bits, expectSameDataset, tinyDataset } from './arrowFixture';
import { isTemporaryName } from '../../src/util/atomicWrite';

/** The fixture holds NaN and Infinity on purpose (bit-exact round trips); reading them needs the keep policy. */
const KEEP = { nonFinite: 'keep' } as const;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-arrow-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('canonical Arrow round trip', () => {
  test('writeArrow → readArrow gives the same dataset, bit for bit', async () => {
    const ds = tinyDataset();
    const file = path.join(dir, 'tiny.arrow');
    await writeArrow(ds, file);
    expect(fs.readdirSync(path.dirname(file)).filter(isTemporaryName)).toEqual([]);
    const back = await readArrow(file, KEEP);
    expectSameDataset(back, ds);
    expect(Array.from(back.queryOffsets)).toEqual([0, 2, 3, 6]);
    // by default the same file is refused: one non-finite policy for every reader
    await expect(readArrow(file)).rejects.toThrow(/row 1: feature 1 of column 'features' \(as float32\) is NaN/);
  });

  test('single-batch features are a view of the file buffer, not a copy', async () => {
    const file = path.join(dir, 'view.arrow');
    await writeArrow(tinyDataset(), file);
    const back = await readArrow(file, KEEP);
    expect(back.features.buffer.byteLength).toBe(fs.statSync(file).size);
  });

  test('a dataset without docIds or metadata writes no docid column and reads back without them', async () => {
    const { docIds: _d, metadata: _m, ...ds } = tinyDataset();
    const file = path.join(dir, 'plain.arrow');
    await writeArrow(ds, file);
    const back = await readArrow(file, KEEP);
    expect(back.docIds).toBeUndefined();
    expect(back.metadata).toBeUndefined();
    expect(datasetToTable(ds).schema.fields.map((f) => f.name)).toEqual(['qid', 'relevance', 'clicks', 'features']);
  });

  test('several record batches and the IPC stream format read to the same dataset', async () => {
    const ds = tinyDataset();
    const t = datasetToTable(ds);
    const split = new Table(t.batches.flatMap((b) => [b.slice(0, 1), b.slice(1, 4), b.slice(4)]));
    expect(split.batches.length).toBe(3);
    for (const kind of ['file', 'stream'] as const) {
      const file = path.join(dir, `split.${kind}.arrow`);
      fs.writeFileSync(file, tableToIPC(split, kind));
      const back = await readArrow(file, KEEP);
      // Several batches: the features are gathered into one array of their own (one copy).
      expect(back.features.buffer.byteLength).toBe(back.features.byteLength);
      expect(bits(back.features)).toEqual(bits(ds.features));
      expect(back.queryIds).toEqual(ds.queryIds);
      expect(back.labels.map(bits)).toEqual(ds.labels.map(bits));
      expect(back.docIds).toEqual(ds.docIds);
      expect(back.metadata).toEqual(ds.metadata);
    }
  });
});

describe('foreign layouts', () => {
  // One column per feature, integer (Int64) qids, float64 labels, an int32 feature.
  const foreign = () =>
    new Table({
      query: vectorFromArray([7n, 7n, 3n, 3n, 3n], new Int64()),
      relevance: vectorFromArray(new Float64Array([1, 0, 2, 2, 0])),
      clicks: vectorFromArray(new Float64Array([5, 1, 0, 0, 9])),
      tf: vectorFromArray(new Float64Array([0.5, 1.5, 2.5, 3.5, 4.5])),
      slashes: vectorFromArray(new Int32Array([1, 2, 3, 4, 5])),
      url: vectorFromArray(['a', 'b', 'c', 'd', 'e'], new Utf8()),
    });

  test('explicit label columns, features = the rest (numeric columns only)', async () => {
    const file = path.join(dir, 'foreign.arrow');
    fs.writeFileSync(file, tableToIPC(foreign(), 'file'));
    const ds = await readArrow(file, { qidColumn: 'query', labelColumns: ['relevance', 'clicks'], featureColumns: 'rest', docidColumn: 'url' });
    expect(ds.queryIds).toEqual(['7', '3']);
    expect(Array.from(ds.queryOffsets)).toEqual([0, 2, 5]);
    expect(ds.featureNames).toEqual(['tf', 'slashes']);
    expect(Array.from(ds.features)).toEqual([0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5]);
    expect(ds.labelNames).toEqual(['relevance', 'clicks']);
    expect(Array.from(ds.labels[1])).toEqual([5, 1, 0, 0, 9]);
    expect(ds.docIds).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  test('default labels: the "relevance" column; every other numeric column is a feature', async () => {
    const file = path.join(dir, 'foreign-default.arrows');
    fs.writeFileSync(file, tableToIPC(foreign(), 'stream'));
    const ds = await readArrow(file, { qidColumn: 'query' });
    expect(ds.labelNames).toEqual(['relevance']);
    expect(ds.featureNames).toEqual(['clicks', 'tf', 'slashes']);
  });

  test('explicit feature columns: the remaining numeric columns are labels', async () => {
    const file = path.join(dir, 'foreign-feats.arrow');
    fs.writeFileSync(file, tableToIPC(foreign(), 'file'));
    const ds = await readArrow(file, { qidColumn: 'query', featureColumns: ['slashes', 'tf'] });
    expect(ds.labelNames).toEqual(['relevance', 'clicks']);
    expect(ds.featureNames).toEqual(['slashes', 'tf']);
    expect(Array.from(ds.features.subarray(0, 4))).toEqual([1, 0.5, 2, 1.5]);
  });

  test('a column selected twice, or as a label and a feature, is refused naming the option and the column', async () => {
    const file = path.join(dir, 'foreign-roles.arrow');
    fs.writeFileSync(file, tableToIPC(foreign(), 'file'));
    const refused = (options: Parameters<typeof readArrow>[1]) => readArrow(file, { qidColumn: 'query', ...options }).then(() => 'read', (e: Error) => e.message);
    expect(await refused({ labelColumns: ['relevance'], featureColumns: ['relevance', 'tf'] })).toBe(
      `${file}: featureColumns (--features) selects column "relevance", which is the label column (labelColumns / --labels); a column has one role`,
    );
    expect(await refused({ featureColumns: ['tf', 'tf'] })).toBe(`${file}: featureColumns (--features) selects column "tf" twice; select each column once`);
    expect(await refused({ labelColumns: ['clicks', 'clicks'] })).toBe(`${file}: labelColumns (--labels) selects column "clicks" twice; select each column once`);
  });
});

describe('errors', () => {
  test('a truncated Arrow file is a DataError naming the file', async () => {
    const file = path.join(dir, 'whole.arrow');
    await writeArrow(tinyDataset(), file);
    const bytes = fs.readFileSync(file);
    const cut = path.join(dir, 'cut.arrow');
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length >> 1));
    const err = await readArrow(cut).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).file).toBe(cut);
    expect((err as DataError).message).toMatch(/truncated/);
  });

  test('a truncated Arrow stream and a non-Arrow file are DataErrors', async () => {
    const stream = tableToIPC(datasetToTable(tinyDataset()), 'stream');
    const cut = path.join(dir, 'cut.arrows');
    fs.writeFileSync(cut, stream.subarray(0, stream.length - 50));
    await expect(readArrow(cut)).rejects.toThrow(DataError);
    const junk = path.join(dir, 'junk.arrow');
    fs.writeFileSync(junk, 'qid,label\n1,2\n');
    await expect(readArrow(junk)).rejects.toThrow(/junk\.arrow.*not a readable Arrow/);
  });

  test('non-contiguous queries name both rows; groupNonContiguous regroups stably', async () => {
    const t = tableFromArrays({ qid: ['a', 'a', 'b', 'a', 'b'], relevance: new Float32Array([1, 2, 3, 4, 5]), f: new Float32Array([10, 20, 30, 40, 50]) });
    const file = path.join(dir, 'scattered.arrow');
    fs.writeFileSync(file, tableToIPC(t, 'file'));
    await expect(readArrow(file)).rejects.toThrow(/row 3: qid 'a' reappears at row 3 after its rows ended at row 1/);
    const ds = await readArrow(file, { groupNonContiguous: true });
    expect(ds.queryIds).toEqual(['a', 'b']);
    expect(Array.from(ds.queryOffsets)).toEqual([0, 3, 5]);
    expect(Array.from(ds.labels[0])).toEqual([1, 2, 4, 3, 5]);
    expect(Array.from(ds.features)).toEqual([10, 20, 40, 30, 50]);
  });

  test('a missing column names it and lists the columns', async () => {
    const t = tableFromArrays({ query: ['a'], relevance: new Float32Array([1]), f: new Float32Array([1]) });
    const file = path.join(dir, 'noqid.arrow');
    fs.writeFileSync(file, tableToIPC(t, 'file'));
    await expect(readArrow(file)).rejects.toThrow(/no qid column 'qid'; the columns are: query \(Dictionary<Int32, Utf8>\), relevance \(Float32\), f \(Float32\)/);
  });

  test('a null feature value is a DataError at its row', async () => {
    const t = new Table({
      qid: vectorFromArray(['a', 'a', 'a'], new Utf8()),
      relevance: vectorFromArray(new Float32Array([1, 0, 0])),
      f: vectorFromArray([1, null, 3]),
    });
    const file = path.join(dir, 'nulls.arrow');
    fs.writeFileSync(file, tableToIPC(t, 'file'));
    await expect(readArrow(file)).rejects.toThrow(/row 1: null in column 'f'/);
  });

  test('without labelColumns a table with no relevance/label column is refused with advice', async () => {
    const t = tableFromArrays({ qid: ['a'], y: new Float32Array([1]), f: new Float32Array([1]) });
    const file = path.join(dir, 'nolabel.arrow');
    fs.writeFileSync(file, tableToIPC(t, 'file'));
    await expect(readArrow(file)).rejects.toThrow(/pass labelColumns/);
  });
});
