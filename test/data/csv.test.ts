import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCsv } from '../../src/data/csv';
import { ConfigError, DataError } from '../../src/util/errors';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-csv-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

describe('readCsv', () => {
  test('header, defaults: qid, relevance, docid found by name; every other column is a feature', async () => {
    const file = write('basic.csv', 'qid,relevance,f1,f2,docid\r\nq1,2,0.5,1.5,d1\r\nq1,0,1,-2,\r\n\r\nq2,1,3,4,d3\r\n');
    const ds = await readCsv(file);
    expect(ds.queryIds).toEqual(['q1', 'q2']);
    expect(Array.from(ds.queryOffsets)).toEqual([0, 2, 3]);
    expect(ds.labelNames).toEqual(['relevance']);
    expect(Array.from(ds.labels[0])).toEqual([2, 0, 1]);
    expect(ds.featureNames).toEqual(['f1', 'f2']);
    expect(Array.from(ds.features)).toEqual([0.5, 1.5, 1, -2, 3, 4]);
    expect(ds.docIds).toEqual(['d1', null, 'd3']);
  });

  test('a column selected twice, or in two roles, is refused naming the option and the column', async () => {
    const file = write('roles.csv', 'qid,relevance,f1,f2\n1,1,0.5,0.3\n1,0,0.1,0.2\n');
    const refused = (options: Parameters<typeof readCsv>[1]) => readCsv(file, options).then(() => 'read', (e: Error) => e.message);
    expect(await refused({ features: 'relevance,f1' })).toBe(`${file}:1: features (--features) selects column "relevance", which is the label column (labels / --labels); a column has one role`);
    expect(await refused({ features: 'f1,f1' })).toBe(`${file}:1: features (--features) selects column "f1" twice; select each column once`);
    expect(await refused({ features: 'f1-f2,2' })).toBe(`${file}:1: features (--features) selects column "f1" twice; select each column once`);
    expect(await refused({ features: ['qid', 'f1'] })).toBe(`${file}:1: features (--features) selects column "qid", which is the qid column (qid / --qid); a column has one role`);
    expect(await refused({ labels: ['relevance', 'relevance'] })).toBe(`${file}:1: labels (--labels) selects column "relevance" twice; select each column once`);
    expect(await refused({ labels: ['relevance'], features: 'f1,f2' })).toBe('read');
  });

  test('an integer label float32 cannot hold is refused at its line, naming the column', async () => {
    const file = write('huge.csv', 'qid,relevance,f1\n1,16777216,0.5\n1,99999999999,0.1\n');
    await expect(readCsv(file)).rejects.toThrow(
      `${file}:3: column 'relevance': the label 99999999999 is an integer float32 cannot hold (it would be stored as 99999997952); labels are stored as float32, exact for integers up to 2^24 = 16777216`,
    );
  });

  test('ranges of names ("f2-f4"), of indices ("1-2"), several labels, other delimiter', async () => {
    const file = write('ranges.csv', 'id;rel;clicks;f1;f2;f3;f4\n7;1;10;0.1;0.2;0.3;0.4\n7;0;20;1.1;1.2;1.3;1.4\n');
    const ds = await readCsv(file, { delimiter: ';', qid: 'id', labels: ['rel', 'clicks'], features: 'f2-f4' });
    expect(ds.featureNames).toEqual(['f2', 'f3', 'f4']);
    expect(Array.from(ds.features)).toEqual(Array.from(new Float32Array([0.2, 0.3, 0.4, 1.2, 1.3, 1.4])));
    expect(ds.labelNames).toEqual(['rel', 'clicks']);
    expect(Array.from(ds.labels[1])).toEqual([10, 20]);
    const byIndex = await readCsv(file, { delimiter: ';', qid: 0, labels: [1], features: ['3-4', 'f4', 2] });
    expect(byIndex.featureNames).toEqual(['f1', 'f2', 'f4', 'clicks']);
    expect(Array.from(byIndex.features.subarray(0, 4))).toEqual(Array.from(new Float32Array([0.1, 0.2, 0.4, 10])));
  });

  test('no header: columns by index, f1..fN names, relevance as label name; .tsv defaults to tab', async () => {
    const file = write('plain.tsv', '2\tA\t0.5\t9\n0\tA\t0.25\t8\n1\tB\t1\t7\n');
    const ds = await readCsv(file, { header: false, qid: 1, labels: [0], features: '2-3' });
    expect(ds.queryIds).toEqual(['A', 'B']);
    expect(ds.featureNames).toEqual(['f1', 'f2']);
    expect(ds.labelNames).toEqual(['relevance']);
    expect(Array.from(ds.features)).toEqual([0.5, 9, 0.25, 8, 1, 7]);
    const defaults = await readCsv(file, { header: false, qid: 1, labels: [0] });
    expect(defaults.nFeatures).toBe(2);
  });

  test('no header and no qid/labels is a ConfigError naming both options', async () => {
    const file = write('bare.csv', '1,2,3\n');
    const err = await readCsv(file, { header: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/csv\.qid[\s\S]*csv\.labels/);
  });

  test('a missing column is named and the header listed', async () => {
    const file = write('missing.csv', 'query,relevance,f1\nq,1,2\n');
    await expect(readCsv(file)).rejects.toThrow(/missing\.csv:1: no qid column "qid"; the header has: query, relevance, f1/);
    await expect(readCsv(file, { qid: 'query', features: 'f1-f3' })).rejects.toThrow(/no feature column "f2" \(in range "f1-f3"\)/);
    await expect(readCsv(file, { qid: 'query', labels: [7] })).rejects.toThrow(/no label column 7/);
  });

  test('a non-numeric cell gives file:line and the column', async () => {
    const file = write('bad.csv', 'qid,relevance,f1,f2\nq,1,2,3\nq,0,x3,4\n');
    const err = await readCsv(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(`${file}:3: column 'f1': "x3" is not a number`);
    const empty = write('empty-cell.csv', 'qid,relevance,f1\nq,,2\n');
    await expect(readCsv(empty)).rejects.toThrow(/:2: column 'relevance': "" is not a number/);
  });

  test('NaN / Inf cells are refused at file:line and column unless nonFinite is keep; hex text is not a number', async () => {
    const file = write('nonfinite.csv', 'qid,relevance,f1\nq,1,2\nq,0,NaN\nq,-inf,1\n');
    await expect(readCsv(file)).rejects.toThrow(/nonfinite\.csv:3: column 'f1': "NaN" is NaN; non-finite values are refused/);
    const kept = await readCsv(file, { nonFinite: 'keep' });
    expect(Array.from(kept.features)).toEqual([2, NaN, 1]);
    expect(Array.from(kept.labels[0])).toEqual([1, 0, -Infinity]);
    const huge = write('huge.csv', 'qid,relevance,f1\nq,1,1e999\n');
    await expect(readCsv(huge)).rejects.toThrow(/huge\.csv:2: column 'f1': "1e999" is Infinity/);
    const hex = write('hex.csv', 'qid,relevance,f1\nq,1,0x10\n');
    await expect(readCsv(hex)).rejects.toThrow(/hex\.csv:2: column 'f1': "0x10" is not a number/);
  });

  test('an empty query id, an empty file and a header without rows are DataErrors', async () => {
    const noQid = write('noqid.csv', 'qid,relevance,f1\nq,1,2\n,0,3\n');
    await expect(readCsv(noQid)).rejects.toThrow(/noqid\.csv:3: column 'qid': empty query id/);
    await expect(readCsv(write('empty.csv', ''))).rejects.toThrow(/empty\.csv: empty file/);
    await expect(readCsv(write('headonly.csv', 'qid,relevance,f1\n'))).rejects.toThrow(/headonly\.csv: no data rows after the header/);
  });

  test('a row with the wrong number of fields is a DataError at its line', async () => {
    const file = write('ragged.csv', 'qid,relevance,f1\nq,1,2\nq,1\n');
    await expect(readCsv(file)).rejects.toThrow(/ragged\.csv:3: 2 fields, expected 3 like the header/);
  });

  test('a non-contiguous qid names both lines; groupNonContiguous regroups', async () => {
    const file = write('scattered.csv', 'qid,relevance,f1\na,1,1\na,0,2\nb,1,3\na,2,4\n');
    await expect(readCsv(file)).rejects.toThrow(/scattered\.csv:5: qid 'a' reappears at line 5 after its rows ended at line 3/);
    const ds = await readCsv(file, { groupNonContiguous: true });
    expect(ds.queryIds).toEqual(['a', 'b']);
    expect(Array.from(ds.features)).toEqual([1, 2, 4, 3]);
    expect(Array.from(ds.labels[0])).toEqual([1, 0, 2, 1]);
  });
});
