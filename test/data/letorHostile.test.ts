/**
 * Issue 14, items 1–4 for the LETOR reader: crafted files are refused at their file:line, quickly and
 * without allocating for what they claim, and nothing is silently changed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readLetor } from '../../src/data/letor';
import { DEFAULT_MAX_FEATURES, SPARSE_GUARD_BYTES, sparseTableLimit } from '../../src/data/readLimits';
import { DataError } from '../../src/util/errors';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-letor-hostile-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(text: string | Buffer): string {
  const p = path.join(dir, `h${n++}.txt`);
  fs.writeFileSync(p, text);
  return p;
}

async function refused(p: string, options: Parameters<typeof readLetor>[1], line: number | null, pattern: RegExp): Promise<string> {
  const err = await readLetor(p, options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataError);
  expect((err as DataError).file).toBe(p);
  expect((err as DataError).location).toBe(line);
  expect((err as Error).message).toMatch(pattern);
  return (err as Error).message;
}

describe('1. bounded feature count', () => {
  test('an index of 10^9 is refused at its line, naming the limit and the flag, without allocating for it', async () => {
    const p = file('1 qid:1 1:0.5 1000000000:1\n0 qid:1 2:0.3\n');
    const before = process.memoryUsage().arrayBuffers;
    await refused(p, {}, 1, new RegExp(`feature index 1000000000 exceeds the feature limit of ${DEFAULT_MAX_FEATURES}.*--max-features`));
    // (the old reader allocated rows × 10^9 floats here; no timing asserted, memory must not jump by GBs)
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });

  test('indices of 10^7 and 10^8 are refused too; a raised --max-features admits what fits', async () => {
    await refused(file('1 qid:1 10000000:1\n'), {}, 1, /10000000 exceeds the feature limit/);
    await refused(file('1 qid:1 1:1\n1 qid:1 100000000:1\n'), {}, 2, /100000000 exceeds/);
    await refused(file('1 qid:1 5:1\n'), { maxFeatures: 4 }, 1, /feature index 5 exceeds the feature limit of 4/);
    const ds = await readLetor(file('1 qid:1 200000:1\n'), { maxFeatures: 200000 });
    expect(ds.nFeatures).toBe(200000);
    expect(ds.features[199999]).toBe(1);
  });

  test('a digit string too long for any index is the same refusal, not a number overflow', async () => {
    await refused(file(`1 qid:1 ${'9'.repeat(400)}:1\n`), {}, 1, /exceeds the feature limit/);
  });

  test('a declared feature count above the limit, or a bad limit, is refused before reading', async () => {
    await refused(file('1 qid:1 1:1\n'), { nFeatures: 10, maxFeatures: 5 }, null, /declared feature count 10 exceeds the feature limit of 5/);
    await refused(file('1 qid:1 1:1\n'), { maxFeatures: 0 }, null, /maxFeatures must be a positive integer/);
  });
});

describe('1b. a dense table bounded by the file (one high index in a small file)', () => {
  /** The audit's wide.txt: `i%3 qid:i//10 1:0.5 99999:0.3`, 129 KB that once cost 2.1 GB. */
  const wide = (lines: number, at = 0): string =>
    Array.from({ length: lines }, (_, i) => `${i % 3} qid:${Math.floor(i / 10)} 1:0.5${i >= at ? ' 99999:0.3' : ''}\n`).join('');

  test('refused before allocating, naming the line, the dense size, the file size and the flag', async () => {
    const p = file(wide(5000));
    const before = process.memoryUsage().arrayBuffers;
    const msg = await refused(p, {}, 1, /feature index 99999 makes the dense table/);
    expect(msg).toBe(
      `${p}:1: feature index 99999 makes the dense table 5000 rows × 99999 features (2.0 GB of float32), over 64× the at most ` +
        `32,225 feature values this 128900-byte file can hold: rows are stored dense, and the data look sparse. ` +
        `If that width is meant, pass --max-features 99999 (maxFeatures) to read it anyway`,
    );
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
  });

  test('the line named is the one whose index widens the table; two threads report the same', async () => {
    const p = file(wide(5000, 4321));
    await refused(p, {}, 4322, /feature index 99999 makes the dense table 5000 rows/);
    await refused(p, { threads: 2 }, 4322, /feature index 99999 makes the dense table 5000 rows/);
  });

  test('an explicit maxFeatures states the width is meant and lifts the guard', async () => {
    // 672 rows × 99,999 features: just over the 256 MiB the guard always allows
    const rows = Math.ceil(SPARSE_GUARD_BYTES / 4 / 99999);
    const ds = await readLetor(file(wide(rows)), { maxFeatures: 100000 });
    expect(ds.nFeatures).toBe(99999);
    expect(ds.features[99998]).toBe(Math.fround(0.3));
    await refused(file(wide(rows)), {}, 1, /makes the dense table 672 rows × 99999 features/);
  });

  test('public shapes stay far inside the limit: MSLR (136 dense), Yahoo (700, sparse), MQ2008 (46)', () => {
    const line = (features: number, every: number) =>
      `2 qid:12345 ${Array.from({ length: features }, (_, k) => k + 1).filter((k) => k % every === 0).map((k) => `${k}:0.123456`).join(' ')}\n`;
    // the smallest files such rows can make: every row this short, as many rows as the largest public split
    for (const [features, every, rows] of [[136, 1, 2_270_296], [700, 4, 473_134], [46, 1, 15_211]]) {
      const bytes = rows * Buffer.byteLength(line(features, every));
      expect(rows * features).toBeLessThan(sparseTableLimit(bytes) / 8);
    }
  });
});

describe('2. non-finite after conversion to float32', () => {
  test.each([
    ['a value beyond float32', '1 qid:1 1:1e39\n', /value of feature 1 is 1e39 \(Infinity as float32\)/],
    ['a label beyond float32', '1e39 qid:1 1:1\n', /the label is 1e39 \(Infinity as float32\)/],
    ['the first decimal that rounds to Infinity', '1 qid:1 1:3.4028236e38\n', /3.4028236e38 \(Infinity as float32\)/],
    ['a negative overflow', '1 qid:1 1:-1e39\n', /-1e39 \(-Infinity as float32\)/],
    ['nan', '1 qid:1 1:nan\n', /value of feature 1 is NaN; non-finite values are refused/],
  ])('%s is refused at its line', async (_name, text, pattern) => {
    await refused(file(text), {}, 1, pattern);
  });

  test('the largest float32 is accepted, and nonFinite: keep keeps the overflow as Infinity', async () => {
    const ok = await readLetor(file('1 qid:1 1:3.4028234e38\n'));
    expect(ok.features[0]).toBe(Math.fround(3.4028234e38));
    const kept = await readLetor(file('1e39 qid:1 1:1e39\n'), { nonFinite: 'keep' });
    expect(kept.features[0]).toBe(Infinity);
    expect(kept.labels[0][0]).toBe(Infinity);
  });
});

describe('3. out-of-order feature indices', () => {
  test('refused by default naming both indices (a fuzzed 40 → 410 no longer widens the dataset)', async () => {
    const line = `0 qid:1 ${Array.from({ length: 46 }, (_, k) => `${k === 39 ? 410 : k + 1}:0.77`).join(' ')}\n`;
    await refused(file(`1 qid:1 1:1\n${line}`), {}, 2, /feature index 41 follows 410: indices must increase.*--unsorted-indices/);
  });

  test('accepted with unsortedIndices, repeats still refused', async () => {
    const ds = await readLetor(file('1 qid:1 3:3 1:1\n'), { unsortedIndices: true });
    expect(Array.from(ds.features)).toEqual([1, 0, 3]);
    await refused(file('1 qid:1 3:3 1:1 3:4\n'), { unsortedIndices: true }, 1, /index 3 appears twice/);
  });
});

describe('4. encodings and odd bytes', () => {
  test('a UTF-8 byte order mark is dropped, as the CSV reader does', async () => {
    const ds = await readLetor(file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('0 qid:1 1:0.5\n2 qid:1 1:1\n')])));
    expect(Array.from(ds.labels[0])).toEqual([0, 2]);
    expect(Array.from(ds.features)).toEqual([0.5, 1]);
  });

  test('CR-only line endings are refused at line 1 with a message that says so', async () => {
    await refused(file('0 qid:1 1:0.5\r2 qid:1 1:1\r'), {}, 1, /carriage return.*CR-only/);
    // a comment must not swallow the rest of a CR-only file
    await refused(file('0 qid:1 1:0.5 # docid = a\r2 qid:1 1:1 # docid = b\r'), {}, 1, /carriage return/);
    // CRLF stays fine
    const ds = await readLetor(file('0 qid:1 1:0.5\r\n2 qid:1 1:1 # c\r\n'));
    expect(Array.from(ds.labels[0])).toEqual([0, 2]);
  });

  test('a NUL byte is shown in the message', async () => {
    const msg = await refused(file(Buffer.from('1 qid:1 1:0.5\n0 qid:1 2:0\u00003\n', 'latin1')), {}, 2, /'2:0\\x003'/);
    expect(msg).not.toContain('\u0000');
  });
});

describe('labels stored as float32', () => {
  test('an integer label float32 cannot hold is refused at its line; one it can, and a negative raw label, are read', async () => {
    const message = 'the label 99999999999 is an integer float32 cannot hold (it would be stored as 99999997952); labels are stored as float32, exact for integers up to 2^24 = 16777216';
    const p = file('0 qid:1 1:0.1\n99999999999 qid:1 1:0.5\n');
    expect(await refused(p, {}, 2, /99999999999/)).toBe(`${p}:2: ${message}`);
    expect(Array.from((await readLetor(file('16777216 qid:1 1:1\n-1 qid:1 1:2\n'))).labels[0])).toEqual([16777216, -1]);
    await refused(file('0 qid:1 1:1\n-1 qid:1 1:2\n'), { grades: true }, 2, /the label -1 is not a relevance grade \(expected a finite number ≥ 0/);
  });
});

