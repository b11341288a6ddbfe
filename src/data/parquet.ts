/**
 * Parquet through parquet-wasm: Parquet bytes ↔ Arrow IPC stream ↔ apache-arrow table. The table
 * conversion (column options, grouping checks, canonical metadata) is the Arrow reader's
 * `datasetFromTable`, so a Parquet file written from the canonical layout reads back identically and a
 * foreign Parquet file takes the same `ArrowReadOptions` as a foreign Arrow file.
 */
import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { Table as WasmTable, readParquet as parquetToArrow, writeParquet as arrowToParquet } from 'parquet-wasm';
import { datasetFromTable, datasetToTable, readWholeFile, type ArrowReadOptions } from './arrow';
import type { RankingDataset } from './dataset';
import { DataError } from '../util/errors';
import { writeFileAtomic } from '../util/atomicWrite';
import { noProgress, type ProgressCallback } from '../util/progress';

/** Parquet files take the Arrow reader's column options. */
export type ParquetReadOptions = ArrowReadOptions;

/** Reads a Parquet file into a dataset (canonical layout or foreign columns, see `ArrowReadOptions`). */
export async function readParquet(path: string, options: ParquetReadOptions = {}): Promise<RankingDataset> {
  const bytes = await readWholeFile(path, options.onProgress ?? noProgress);
  let ipc: Uint8Array;
  try {
    ipc = parquetToArrow(bytes).intoIPCStream();
  } catch (err) {
    throw new DataError(path, null, `not a readable Parquet file: ${err instanceof Error ? err.message : String(err)}`);
  }
  return datasetFromTable(tableFromIPC(ipc), path, options);
}

/** Writes `ds` in the canonical column layout as Parquet (atomically: a temporary sibling, then renamed). */
export async function writeParquet(ds: RankingDataset, path: string, options: { onProgress?: ProgressCallback } = {}): Promise<void> {
  const bytes = arrowToParquet(WasmTable.fromIPCStream(tableToIPC(datasetToTable(ds), 'stream')));
  await writeFileAtomic(path, bytes);
  const n = ds.queryOffsets[ds.queryOffsets.length - 1];
  (options.onProgress ?? noProgress)({ stage: 'write', done: n, total: n });
}
