/** Issue 14 items 1, 2 and 4 for the CSV reader: quoting, header and size problems at file:line, wide files. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCsv } from '../../src/data/csv';
import { DataError } from '../../src/util/errors';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-csv-hostile-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

async function refused(file: string, options: Parameters<typeof readCsv>[1], line: number | null, pattern: RegExp): Promise<void> {
  const err = await readCsv(file, options).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DataError);
  expect((err as DataError).file).toBe(file);
  expect((err as DataError).location).toBe(line);
  expect((err as Error).message).toMatch(pattern);
}

describe('CSV on hostile input', () => {
  test('an unterminated quote is refused at the line where it opened', async () => {
    await refused(write('open.csv', 'qid,relevance,f1\nq,1,2\nq,"0,3\nq,1,4\n'), {}, 3, /unterminated quoted field/);
  });

  test('quoted fields keep delimiters, doubled quotes and line breaks; later lines keep their physical numbers', async () => {
    const file = write('quoted.csv', 'qid,relevance,f1,docid\n"q,1",1,2,"a ""b""\nc"\nq2,x,3,d\n');
    await refused(file, {}, 4, /column 'relevance': "x" is not a number/);
    const ok = write('quoted-ok.csv', 'qid,relevance,f1,docid\n"q,1",1,2,"a ""b""\nc"\nq2,0, 3 ,d\n');
    const ds = await readCsv(ok);
    expect(ds.queryIds).toEqual(['q,1', 'q2']);
    expect(ds.docIds).toEqual(['a "b"\nc', 'd']);
    expect(Array.from(ds.features)).toEqual([2, 3]);
  });

  test('text after a closing quote is refused at its line', async () => {
    await refused(write('after.csv', 'qid,relevance,f1\n"q"x,1,2\n'), {}, 2, /unexpected "x" after the closing quote/);
  });

  test('a duplicate header name is refused', async () => {
    await refused(write('dup.csv', 'qid,relevance,f1,f1\nq,1,2,3\n'), {}, 1, /column name "f1" appears twice in the header \(columns 2 and 3/);
  });

  test('a value beyond float32 is non-finite (refused), the largest float32 is not', async () => {
    await refused(write('big.csv', 'qid,relevance,f1\nq,1,1e39\n'), {}, 2, /column 'f1': "1e39" is Infinity as float32; non-finite values are refused/);
    await refused(write('biglabel.csv', 'qid,relevance,f1\nq,3.4028236e38,1\n'), {}, 2, /column 'relevance'.*Infinity as float32/);
    const ds = await readCsv(write('max.csv', 'qid,relevance,f1\nq,1,3.4028234e38\n'));
    expect(ds.features[0]).toBe(Math.fround(3.4028234e38));
  });

  test('more feature columns than maxFeatures are refused at the header; raised, a 200,000-column file reads', async () => {
    const n = 200_000;
    const head = ['qid', 'relevance', ...Array.from({ length: n }, (_, i) => `f${i + 1}`)].join(',');
    const row = (q: string, label: number) => [q, label, ...Array.from({ length: n }, (_, i) => (i % 7 === 0 ? i : 0))].join(',');
    const file = write('wide.csv', `${head}\n${row('a', 1)}\n${row('a', 0)}\n`);
    await refused(file, {}, 1, /200000 feature columns exceeds the feature limit of 100000/);
    const ds = await readCsv(file, { maxFeatures: n });
    expect(ds.nFeatures).toBe(n);
    expect(ds.features[n + 7 * 1000]).toBe(7000);
    // a range selection over many names resolves through the name index, not a scan per name
    const some = await readCsv(file, { maxFeatures: n, features: 'f1-f150000' });
    expect(some.nFeatures).toBe(150_000);
  });

  test('CR-only line endings and a byte order mark read as lines', async () => {
    const ds = await readCsv(write('cr.csv', '\uFEFFqid,relevance,f1\rq,1,2\rq,0,3\r'));
    expect(Array.from(ds.features)).toEqual([2, 3]);
    await refused(write('cr-bad.csv', 'qid,relevance,f1\rq,1,2\rq,0,x\r'), {}, 3, /"x" is not a number/);
  });
});
