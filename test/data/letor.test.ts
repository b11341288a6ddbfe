import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatFloat32, readLetor, writeLetor } from '../../src/data/letor';
import type { RankingDataset } from '../../src/data/dataset';
import { DataError } from '../../src/util/errors';
import type { ProgressEvent } from '../../src/util/progress';
import { Rng } from '../../src/util/rng';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-letor-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let fileCount = 0;
/** Writes `text` to a fresh temp file (and `queries` to FILE.query when given); returns its path. */
function file(text: string | Buffer, queries?: string): string {
  const p = path.join(dir, `f${fileCount++}.txt`);
  fs.writeFileSync(p, text);
  if (queries !== undefined) fs.writeFileSync(`${p}.query`, queries);
  return p;
}

/** The DataError `readLetor` throws, checked for file and line. */
async function dataError(p: string, options: Parameters<typeof readLetor>[1], line: number | null, pattern: RegExp): Promise<DataError> {
  const err = await readLetor(p, options).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DataError);
  const de = err as DataError;
  expect(de.file).toBe(p);
  expect(de.location).toBe(line);
  expect(de.message).toMatch(pattern);
  return de;
}

const f32 = (xs: number[]) => Float32Array.from(xs);

describe('readLetor: format rules', () => {
  const doc = '2 qid:7 1:0.5 3:1 # docid = d1\n0 qid:7 2:0.25\n';

  test('the documented example', async () => {
    const ds = await readLetor(file(doc));
    expect(ds.nFeatures).toBe(3);
    expect(ds.features).toEqual(f32([0.5, 0, 1, 0, 0.25, 0]));
    expect(ds.labels).toEqual([f32([2, 0])]);
    expect(ds.labelNames).toEqual(['relevance']);
    expect(Array.from(ds.queryOffsets)).toEqual([0, 2]);
    expect(ds.queryIds).toEqual(['7']);
    expect(ds.docIds).toEqual(['d1', null]);
    expect(ds.featureNames).toEqual(['f1', 'f2', 'f3']);
  });

  test('CRLF, tabs, a last line without LF and an unterminated comment give the same dataset', async () => {
    const a = await readLetor(file(doc));
    const b = await readLetor(file('2\tqid:7\t1:0.5 3:1 #docid = d1\r\n0 qid:7  2:0.25 \r\n'));
    const c = await readLetor(file('2 qid:7 1:0.5 3:1 # docid = d1\n0 qid:7 2:0.25'));
    for (const x of [b, c]) {
      expect(x.features).toEqual(a.features);
      expect(x.labels).toEqual(a.labels);
      expect(x.queryIds).toEqual(a.queryIds);
      expect(x.docIds).toEqual(a.docIds);
    }
  });

  test('comment lines and blank lines are not rows; comments without docid give null; other comment text is ignored', async () => {
    const ds = await readLetor(file('# header\n\n1 qid:1 1:1 # docid = GX1 inc = 1 prob = 0.5\n   \r\n0 qid:1 1:2 # just a note\n# trailer\n'));
    expect(Array.from(ds.queryOffsets)).toEqual([0, 2]);
    expect(ds.docIds).toEqual(['GX1', null]);
    const none = await readLetor(file('1 qid:1 1:1 # no id here\n'));
    expect(none.docIds).toBeUndefined();
  });

  test('sparse lines: missing features are 0, width is the largest index unless declared', async () => {
    const text = '1 qid:a 2:1.5 5:-2\n0 qid:a\n3 qid:b 1:7\n';
    const ds = await readLetor(file(text));
    expect(ds.nFeatures).toBe(5);
    expect(ds.features).toEqual(f32([0, 1.5, 0, 0, -2, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0]));
    expect(ds.queryIds).toEqual(['a', 'b']);
    expect(Array.from(ds.queryOffsets)).toEqual([0, 2, 3]);
    const declared = await readLetor(file(text), { nFeatures: 6, labelName: 'grade' });
    expect(declared.nFeatures).toBe(6);
    expect(declared.features.subarray(0, 6)).toEqual(f32([0, 1.5, 0, 0, -2, 0]));
    expect(declared.labelNames).toEqual(['grade']);
  });

  test('0-based indices', async () => {
    const ds = await readLetor(file('1 qid:1 0:3 2:4\n'), { zeroBased: true });
    expect(ds.nFeatures).toBe(3);
    expect(ds.features).toEqual(f32([3, 0, 4]));
  });

  test('rows whose indices are not increasing are read with unsortedIndices (and checked for repeats)', async () => {
    const ds = await readLetor(file('1 qid:1 3:3 1:1 2:2\n'), { unsortedIndices: true });
    expect(ds.features).toEqual(f32([1, 2, 3]));
  });

  test('numbers: signs, exponents, long mantissas and float32 rounding match Math.fround(parseFloat)', async () => {
    const values = ['-1.5', '+2', '.5', '5.', '1e3', '2.5E-3', '-7e+2', '0.1', '3.14159265358979323846', '123456789012345678', '1e-30', '3.4e38', '0.000000000000000000000001'];
    const text = `0 qid:1 ${values.map((v, k) => `${k + 1}:${v}`).join(' ')}\n`;
    const ds = await readLetor(file(text));
    expect(Array.from(ds.features)).toEqual(values.map((v) => Math.fround(parseFloat(v))));
  });

  test('non-finite values are an error by default and kept on request', async () => {
    await dataError(file('0 qid:1 1:1\n0 qid:1 1:nan\n'), {}, 2, /value of feature 1 is NaN.*nonFinite/);
    await dataError(file('0 qid:1 1:-inf\n'), {}, 1, /-Infinity/);
    await dataError(file('NaN qid:1 1:1\n'), {}, 1, /label is NaN/);
    const ds = await readLetor(file('0 qid:1 1:NaN 2:inf 3:-Infinity\n'), { nonFinite: 'keep' });
    expect(Array.from(ds.features)).toEqual([NaN, Infinity, -Infinity]);
  });

  test('.query groups: found beside the data, or given; queryIds are group indices', async () => {
    const text = '1 1:1\n0 2:1\n2 1:3\n';
    const beside = await readLetor(file(text, '2\n1\n'));
    expect(Array.from(beside.queryOffsets)).toEqual([0, 2, 3]);
    expect(beside.queryIds).toEqual(['0', '1']);
    const groups = path.join(dir, 'groups.txt');
    fs.writeFileSync(groups, '1\r\n2\r\n');
    const given = await readLetor(file(text), { queryFile: groups });
    expect(Array.from(given.queryOffsets)).toEqual([0, 1, 3]);
  });

  test('non-contiguous qids: an error naming both lines, or gathered (stable) on request', async () => {
    const text = '1 qid:a 1:1 # docid = r0\n2 qid:b 1:2 # docid = r1\n3 qid:a 1:3 # docid = r2\n4 qid:c 1:4 # docid = r3\n5 qid:b 1:5 # docid = r4\n';
    await dataError(file(text), {}, 3, /qid a .*line 1 .*line 3/);
    const ds = await readLetor(file(text), { groupNonContiguous: true });
    expect(ds.queryIds).toEqual(['a', 'b', 'c']);
    expect(Array.from(ds.queryOffsets)).toEqual([0, 2, 4, 5]);
    expect(ds.features).toEqual(f32([1, 3, 2, 5, 4]));
    expect(ds.labels[0]).toEqual(f32([1, 3, 2, 5, 4]));
    expect(ds.docIds).toEqual(['r0', 'r2', 'r1', 'r4', 'r3']);
  });

  test('progress events count bytes up to the file size', async () => {
    const p = file(doc);
    const events: ProgressEvent[] = [];
    await readLetor(p, { onProgress: (e) => events.push(e) });
    const size = fs.statSync(p).size;
    expect(events.every((e) => e.stage === 'read' && e.total === size)).toBe(true);
    expect(events[events.length - 1].done).toBe(size);
  });
});

describe('readLetor: bad input is a DataError at the right line', () => {
  test('non-numeric label', () => dataError(file('1 qid:1 1:1\nhigh qid:1 1:1\n'), {}, 2, /expected a numeric label.*'high'/));
  test('missing qid without a .query file', () => dataError(file('\n1 1:1\n'), {}, 2, /expected qid:<id>.*\.query/));
  test('qid missing on a later line', () => dataError(file('1 qid:1 1:1\n1 1:1\n'), {}, 2, /expected qid:<id>.*'1:1'/));
  test('qid on a later line when groups come from .query', () => dataError(file('1 1:1\n1 qid:1 1:1\n', '2\n'), {}, 2, /unexpected qid:/));
  test('qid lines and a queryFile option', () => dataError(file('1 qid:1 1:1\n', '1\n'), { queryFile: path.join(dir, 'x') }, 1, /qid: and a queryFile/));
  test('feature index 0 in a 1-based file', () => dataError(file('1 qid:1 1:1\n1 qid:1 0:1\n'), {}, 2, /index 0 in a 1-based file/));
  test('index above the declared nFeatures', () => dataError(file('1 qid:1 1:1 4:1\n'), { nFeatures: 3 }, 1, /index 4 is above the declared feature count 3/));
  test('repeated index (increasing order otherwise)', () => dataError(file('1 qid:1 1:1 2:1 2:3\n'), {}, 1, /index 2 appears twice/));
  test('repeated index (unordered line)', () => dataError(file('1 qid:1 3:1 1:1 3:3\n'), { unsortedIndices: true }, 1, /index 3 appears twice/));
  test('empty file', () => dataError(file(''), {}, null, /no data rows/));
  test('only comments', () => dataError(file('# nothing\n\n'), {}, null, /no data rows/));
  test.each([
    ['3:', /'3:'/],
    [':5', /':5'/],
    ['abc', /'abc'/],
    ['3:x', /numeric value.*'3:x'/],
    ['3:0.5x', /'3:0.5x'/],
    ['3:1.2.3', /'3:1.2.3'/],
    ['3;1', /'3;1'/],
  ])('malformed token %s', (token, pattern) => dataError(file(`1 qid:1 1:1\n0 qid:1 2:1 ${token}\n`), {}, 2, pattern));
  test('.query sizes not summing to the row count', async () => {
    const p = file('1 1:1\n0 2:1\n2 1:3\n', '2\n2\n');
    const err = await readLetor(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).file).toBe(`${p}.query`);
    expect((err as DataError).message).toMatch(/sum to 4 but .* has 3 rows/);
  });
  test('.query with a non-integer size', async () => {
    const p = file('1 1:1\n', '1\nx\n');
    const err = await readLetor(p).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).location).toBe(2);
  });
});

/** Independent reference: split the text with strings and parseFloat. */
function referenceParse(text: string): { labels: number[]; qids: string[]; rows: Map<number, number>[] } {
  const labels: number[] = [];
  const qids: string[] = [];
  const rows: Map<number, number>[] = [];
  for (const raw of text.split('\n')) {
    const body = raw.split('#')[0].trim();
    if (body === '') continue;
    const [label, qid, ...pairs] = body.split(/\s+/);
    labels.push(Math.fround(parseFloat(label)));
    qids.push(qid.slice(4));
    rows.push(new Map(pairs.map((p) => [Number(p.split(':')[0]), Math.fround(parseFloat(p.split(':')[1]))])));
  }
  return { labels, qids, rows };
}

test('lines across read chunks, lines longer than a chunk, and a slowly growing max index match a string-split reference', async () => {
  // 4 KiB chunks over ~600 KB: lines straddle chunk edges and a few are longer than a chunk; sparse
  // indices whose max grows over thousands of rows exercise the widening with slack and the final trim.
  const rng = new Rng(3);
  const lines: string[] = [];
  let maxIndex = 5;
  for (let r = 0; r < 3000; r++) {
    if (r % 4 === 0 && r > 0) maxIndex += 1;
    const idx = new Set<number>();
    const count = r % 500 === 7 ? 600 : 15;
    for (let k = 0; k < count; k++) idx.add(1 + rng.int(maxIndex));
    const pairs = [...idx].sort((a, b) => a - b).map((i) => `${i}:${(rng.uniform() * 200 - 100).toFixed(1 + rng.int(7))}`);
    lines.push(`${rng.int(5)} qid:${Math.floor(r / 30)} ${pairs.join(' ')}${r % 7 === 0 ? ' # docid = d' + r : ''}${r % 2 ? '\r' : ''}`);
  }
  const text = lines.join('\n') + '\n';
  expect(text.length).toBeGreaterThan(100 * 4096);
  const ds = await readLetor(file(text), { chunkBytes: 4096 });
  const ref = referenceParse(text);
  const nF = Math.max(...ref.rows.map((m) => Math.max(...m.keys())));
  expect(ds.nFeatures).toBe(nF);
  expect(ds.queryOffsets[ds.queryOffsets.length - 1]).toBe(3000);
  expect(Array.from(ds.labels[0])).toEqual(ref.labels);
  const expected = new Float32Array(ref.rows.length * nF);
  ref.rows.forEach((m, r) => m.forEach((v, i) => (expected[r * nF + i - 1] = v)));
  expect(ds.features.length).toBe(expected.length);
  let mismatches = 0;
  for (let k = 0; k < expected.length; k++) if (ds.features[k] !== expected[k]) mismatches++;
  expect(mismatches).toBe(0);
  expect(ds.docIds?.[7]).toBe('d7');
  expect(ds.docIds?.[8]).toBeNull();
});

describe('readLetor with a worker thread parsing the second half', () => {
  /** Lines of `queries` queries × 5 docs, 4 features; `edit` may change line k (0-based). */
  function lines(queries: number, edit: (k: number, line: string) => string = (_k, l) => l): string {
    const out: string[] = [];
    for (let k = 0; k < queries * 5; k++) out.push(edit(k, `${k % 3} qid:q${Math.floor(k / 5)} 1:${k} 2:${k / 8} 4:-${k}.25 # docid = d${k}`));
    return out.join('\n') + '\n';
  }

  test('gives the same dataset as one thread, including the query that spans the seam', async () => {
    // 41 queries × 5 rows: the middle byte falls inside a query, which must be merged, not split
    const p = file(lines(41));
    const one = await readLetor(p, { threads: 1, chunkBytes: 512 });
    const two = await readLetor(p, { threads: 2, chunkBytes: 512 });
    expect(two.metadata?.threads).toBe(2);
    expect(two.features).toEqual(one.features);
    expect(two.labels).toEqual(one.labels);
    expect(two.queryIds).toEqual(one.queryIds);
    expect(two.queryOffsets).toEqual(one.queryOffsets);
    expect(two.docIds).toEqual(one.docIds);
    expect(one.queryIds.length).toBe(41);
  });

  test('a problem in the second half is reported exactly as by one thread', async () => {
    const bad = file(lines(40, (k, l) => (k === 170 ? l.replace('2:', '0:') : l)));
    await dataError(bad, { threads: 2 }, 171, /index 0 in a 1-based file/);
    const reused = file(lines(40, (k, l) => (k >= 180 ? l.replace(/qid:q\d+/, 'qid:q3') : l)));
    await dataError(reused, { threads: 2 }, 181, /qid q3 .*line 20 .*line 181/);
  });

  test('a second half wider than the first falls back to one thread and reads it right', async () => {
    const p = file(lines(40, (k, l) => (k === 190 ? l.replace(' #', ' 9:1 #') : l)));
    const ds = await readLetor(p, { threads: 2 });
    expect(ds.metadata?.threads).toBe(1);
    expect(ds.nFeatures).toBe(9);
    expect(ds.features[190 * 9 + 8]).toBe(1);
    expect(ds.features[190 * 9]).toBe(190);
  });
});

describe('formatFloat32 and writeLetor', () => {
  test('formatFloat32 prints the shortest text that reads back to the same float32', () => {
    expect(formatFloat32(Math.fround(0.1))).toBe('0.1');
    expect(formatFloat32(Math.fround(1 / 3))).toBe('0.33333334');
    expect(formatFloat32(2)).toBe('2');
    expect(formatFloat32(-0.5)).toBe('-0.5');
    expect(formatFloat32(Math.fround(1e-7))).toBe('1e-7');
    expect(formatFloat32(Math.fround(3e38))).toBe('3e+38');
    const rng = new Rng(11);
    const bits = new Uint32Array(1);
    const asFloat = new Float32Array(bits.buffer);
    for (let k = 0; k < 20000; k++) {
      bits[0] = rng.nextUint32();
      const v = asFloat[0];
      if (!Number.isFinite(v)) continue;
      const s = formatFloat32(v);
      expect(Math.fround(parseFloat(s))).toBe(v);
      // shortest: one digit fewer does not read back
      const digits = s.replace(/^-/, '').replace(/e.*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
      if (digits > 1) expect(Math.fround(parseFloat(v.toPrecision(digits - 1)))).not.toBe(v);
    }
  });

  test('round trip keeps labels, qids, docids and float32 features; sparse output keeps the width', async () => {
    const rng = new Rng(5);
    const nDocs = 7;
    const nF = 4;
    const features = new Float32Array(nDocs * nF).map(() => (rng.uniform() < 0.4 ? 0 : Math.fround(rng.normal() * 10 ** rng.int(8))));
    features[nDocs * nF - 1] = 0; // last feature zero everywhere in the last row
    const ds: RankingDataset = {
      features,
      nFeatures: nF,
      featureNames: ['f1', 'f2', 'f3', 'f4'],
      queryOffsets: Int32Array.from([0, 3, 4, 7]),
      queryIds: ['q9', '12', 'x-1'],
      labelNames: ['relevance', 'clicks'],
      labels: [f32([0, 1, 2, 0, 4, 1, 1]), f32([0.5, 3, 1, 0, 2, 2, 9])],
      docIds: ['a', null, 'c d', 'e', null, 'f', 'g'],
    };
    for (const sparse of [false, true]) {
      const p = path.join(dir, `rt-${sparse}.txt`);
      await writeLetor(ds, p, { labelIndex: 1, sparse });
      const back = await readLetor(p, { labelName: 'clicks' });
      expect(back.features).toEqual(ds.features);
      expect(back.labels[0]).toEqual(ds.labels[1]);
      expect(back.queryIds).toEqual(ds.queryIds);
      expect(back.queryOffsets).toEqual(ds.queryOffsets);
      expect(back.docIds).toEqual(['a', null, 'c', 'e', null, 'f', 'g']); // a docid is one token
    }
  });

  test('writeLetor refuses an unwritable query id and a bad labelIndex', async () => {
    const ds: RankingDataset = {
      features: f32([1]),
      nFeatures: 1,
      featureNames: ['f1'],
      queryOffsets: Int32Array.from([0, 1]),
      queryIds: ['a b'],
      labelNames: ['relevance'],
      labels: [f32([1])],
    };
    await expect(writeLetor(ds, path.join(dir, 'bad.txt'))).rejects.toThrow(/query id 'a b'/);
    await expect(writeLetor({ ...ds, queryIds: ['a'] }, path.join(dir, 'bad.txt'), { labelIndex: 2 })).rejects.toThrow(/labelIndex 2/);
  });
});

const shared = path.resolve(__dirname, '../../../shared/data');
const maybe = fs.existsSync(shared) ? describe : describe.skip;
if (!fs.existsSync(shared)) console.log(`skipping LETOR tests on real data: ${shared} is absent`);

maybe('readLetor on ../shared/data', () => {
  test('MQ2008 S1–S4: 157 queries each, 628 queries and 12,337 rows with 46 features in total', async () => {
    let queries = 0;
    let rows = 0;
    for (const s of ['S1', 'S2', 'S3', 'S4']) {
      const ds = await readLetor(path.join(shared, 'MQ2008', `${s}.txt`));
      expect(ds.queryIds.length).toBe(157);
      expect(ds.nFeatures).toBe(46);
      queries += ds.queryIds.length;
      rows += ds.queryOffsets[157];
    }
    expect(queries).toBe(628);
    expect(rows).toBe(12337);
  });

  test('MQ2008 S1: first and last rows', async () => {
    const ds = await readLetor(path.join(shared, 'MQ2008', 'S1.txt'));
    const n = ds.queryOffsets[ds.queryIds.length];
    expect(n).toBe(2933);
    const at = (r: number, i: number) => ds.features[r * 46 + i - 1];
    // 0 qid:10002 1:0.007477 2:0.000000 3:1.000000 … 11:0.471076 … 46:0.007042 #docid = GX008-86-4444840
    expect(ds.labels[0][0]).toBe(0);
    expect(ds.queryIds[0]).toBe('10002');
    expect([at(0, 1), at(0, 2), at(0, 3), at(0, 11), at(0, 46)]).toEqual([0.007477, 0, 1, 0.471076, 0.007042].map(Math.fround));
    expect(ds.docIds?.[0]).toBe('GX008-86-4444840');
    // 0 qid:11893 1:0.208841 … 40:0.683315 41:0.166667 42:0.079114 … 45:0.004098 46:0.000000 #docid = GX270-64-1238496
    expect(ds.labels[0][n - 1]).toBe(0);
    expect(ds.queryIds[156]).toBe('11893');
    expect([at(n - 1, 1), at(n - 1, 40), at(n - 1, 41), at(n - 1, 42), at(n - 1, 45), at(n - 1, 46)]).toEqual(
      [0.208841, 0.683315, 0.166667, 0.079114, 0.004098, 0].map(Math.fround),
    );
    expect(ds.docIds?.[n - 1]).toBe('GX270-64-1238496');
  });

  test('OHSUMED Fold1: 106 queries, 16,140 rows, 25 features', async () => {
    let queries = 0;
    let rows = 0;
    for (const s of ['trainingset', 'validationset', 'testset']) {
      const ds = await readLetor(path.join(shared, 'OHSUMED', 'Fold1', `${s}.txt`));
      expect(ds.nFeatures).toBe(25);
      queries += ds.queryIds.length;
      rows += ds.queryOffsets[ds.queryIds.length];
    }
    expect(queries).toBe(106);
    expect(rows).toBe(16140);
  });

  test('Yahoo sample: groups from the .query files', async () => {
    const train = await readLetor(path.join(shared, 'Yahoo_LTR_sample_LightGBM', 'rank.train'));
    const test = await readLetor(path.join(shared, 'Yahoo_LTR_sample_LightGBM', 'rank.test'));
    expect([train.queryIds.length, train.queryOffsets[201]]).toEqual([201, 3005]);
    expect([test.queryIds.length, test.queryOffsets[50]]).toEqual([50, 768]);
    expect(train.queryOffsets[1]).toBe(1); // the first training group has one document
  });

  test('MQ2008 S1 round trip through writeLetor is bit-exact', async () => {
    const ds = await readLetor(path.join(shared, 'MQ2008', 'S1.txt'));
    const p = path.join(dir, 'S1-roundtrip.txt');
    await writeLetor(ds, p);
    const back = await readLetor(p);
    expect(back.nFeatures).toBe(ds.nFeatures);
    expect(Buffer.from(back.features.buffer, back.features.byteOffset, back.features.byteLength).equals(
      Buffer.from(ds.features.buffer, ds.features.byteOffset, ds.features.byteLength),
    )).toBe(true);
    expect(back.labels[0]).toEqual(ds.labels[0]);
    expect(back.queryIds).toEqual(ds.queryIds);
    expect(back.queryOffsets).toEqual(ds.queryOffsets);
    expect(back.docIds).toEqual(ds.docIds);
  });
});
