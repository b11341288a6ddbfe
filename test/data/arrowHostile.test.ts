/** Issue 14 items 1, 2 and 4 for Arrow and Parquet, and `inspect` of a very wide dataset. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { Table as WasmTable, writeParquet as arrowToParquet } from 'parquet-wasm';
import { readArrow } from '../../src/data/arrow';
import { readParquet } from '../../src/data/parquet';
import { formatSummary, inspectDataset } from '../../src/data/inspect';
import type { RankingDataset } from '../../src/data/dataset';
import { DataError } from '../../src/util/errors';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-arrow-hostile-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let n = 0;
function arrowFile(columns: Parameters<typeof tableFromArrays>[0]): string {
  const file = path.join(dir, `t${n++}.arrow`);
  fs.writeFileSync(file, tableToIPC(tableFromArrays(columns), 'file'));
  return file;
}
function parquetFile(columns: Parameters<typeof tableFromArrays>[0]): string {
  const file = path.join(dir, `t${n++}.parquet`);
  fs.writeFileSync(file, arrowToParquet(WasmTable.fromIPCStream(tableToIPC(tableFromArrays(columns), 'stream'))));
  return file;
}

async function refused(read: Promise<unknown>, file: string, location: string | null, pattern: RegExp): Promise<void> {
  const err = await read.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(DataError);
  expect((err as DataError).file).toBe(file);
  expect((err as DataError).location).toBe(location);
  expect((err as Error).message).toMatch(pattern);
}

describe('Arrow and Parquet: one non-finite policy, applied after conversion to float32', () => {
  test.each([
    ['NaN feature', { f: new Float64Array([1, NaN]) }, 'row 1', /column 'f' \(as float32\) is NaN/],
    ['Infinity label', { relevance: new Float64Array([Infinity, 1]) }, 'row 0', /column 'relevance' \(as float32\) is Infinity/],
    ['float64 1e39 (finite, overflows float32)', { f: new Float64Array([1, 1e39]) }, 'row 1', /column 'f' \(as float32\) is Infinity/],
  ])('Arrow: %s is refused at its row', async (_name, override, row, pattern) => {
    const file = arrowFile({ qid: ['a', 'a'], relevance: new Float64Array([1, 0]), f: new Float64Array([1, 2]), ...override });
    await refused(readArrow(file), file, row, pattern);
  });

  test('Parquet: NaN and 1e39 refused; nonFinite keep keeps them', async () => {
    const file = parquetFile({ qid: ['a', 'a'], relevance: new Float64Array([1, 0]), f: new Float64Array([NaN, 1e39]) });
    await refused(readParquet(file), file, 'row 0', /column 'f' \(as float32\) is NaN/);
    const kept = await readParquet(file, { nonFinite: 'keep' });
    expect(Number.isNaN(kept.features[0])).toBe(true);
    expect(kept.features[1]).toBe(Infinity);
  });
});

describe('Arrow: sizes', () => {
  test('a table with 0 rows is refused, as LETOR and CSV refuse an empty file', async () => {
    const file = arrowFile({ qid: [] as string[], relevance: new Float32Array(0), f: new Float32Array(0) });
    await refused(readArrow(file), file, null, /no data rows/);
  });

  test('more feature columns than maxFeatures are refused before reading them', async () => {
    const cols: Record<string, Float32Array | string[]> = { qid: ['a'], relevance: new Float32Array([1]) };
    for (let j = 0; j < 6; j++) cols[`f${j}`] = new Float32Array([j]);
    const file = arrowFile(cols);
    await refused(readArrow(file, { maxFeatures: 5 }), file, null, /6 features exceeds the feature limit of 5/);
    expect((await readArrow(file, { maxFeatures: 6 })).nFeatures).toBe(6);
  });
});

test('inspect summarises a 200,000-feature dataset (no argument spread over the columns)', () => {
  const nF = 200_000;
  const features = new Float32Array(2 * nF);
  features[nF + 5] = 3;
  const ds: RankingDataset = {
    features,
    nFeatures: nF,
    featureNames: Array.from({ length: nF }, (_, j) => `f${j + 1}`),
    queryOffsets: Int32Array.from([0, 2]),
    queryIds: ['q'],
    labelNames: ['relevance'],
    labels: [Float32Array.from([1, 0])],
  };
  const summary = inspectDataset(ds);
  expect(summary.features).toBe(nF);
  expect(summary.constantFeatures.length).toBe(nF - 1);
  const text = formatSummary(summary);
  expect(text).toContain('f200000');
});
