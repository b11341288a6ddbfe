/**
 * `fetchDataset`: one public dataset from archive to Arrow folds and a card, in `DATA/NAME/`:
 *
 *   DATA/NAME/<archive file>          the archive as published (kept, so a re-run converts without downloading)
 *   DATA/NAME/folds/<fold>/<split>.arrow   every fold, objectives applied (one atomic directory swap)
 *   DATA/NAME/README.md, card.json    the dataset card (written last: its presence means the rest is complete)
 *
 * Steps: obtain the archive (download with resume, or `from` a local file), check its size and sha256,
 * extract it into a temporary folder (always removed), convert each fold, write the card.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import type { Dispatcher } from 'undici';
import { replaceDirAtomic, writeFileAtomic, writeJsonAtomic } from '../../util/atomicWrite';
import { sha256File } from '../../util/hash';
import { DataError } from '../../util/errors';
import type { ProgressCallback } from '../../util/progress';
import { datasetEntry, DatasetError, type DatasetEntry } from './catalogue';
import { checkSha256, checkSize, downloadFile } from './download';
import type { FoldSummary } from './convert';
import { FOLDS_DIR, renderCard, type ArchiveRecord } from './card';

export interface FetchDatasetOptions {
  /** Where datasets live (default `data`). */
  dataDir?: string;
  /** A local copy of the archive (manual download, offline machine): used in place, checked like a download. */
  from?: string;
  /** Download from this URL instead of the catalogue's (a mirror). */
  url?: string;
  /** Extra attempts after an interrupted download (default 3). */
  retries?: number;
  onProgress?: ProgressCallback;
  /** HTTP dispatcher (default: the environment's proxy settings). */
  dispatcher?: Dispatcher;
}

export interface FetchResult {
  entry: DatasetEntry;
  /** `DATA/NAME`. */
  dir: string;
  archive: ArchiveRecord;
  folds: FoldSummary[];
  /** `DATA/NAME/README.md`. */
  card: string;
}

/** What to do by hand when the archive cannot be downloaded here. */
export function manualInstructions(entry: DatasetEntry, target: string): string {
  const where = entry.url ? `download ${entry.url}` : `${entry.manual ?? 'download the archive'} (${entry.homepage})`;
  return `To fetch by hand: ${where}, then run \`cosrank datasets fetch ${entry.name} --from FILE\` (or save it as ${target} and run \`cosrank datasets fetch ${entry.name}\` again).`;
}

async function exists(file: string): Promise<boolean> {
  return fsp.stat(file).then(
    () => true,
    () => false,
  );
}

/** Checks a local archive (size, then sha256) and returns its record fields. */
async function checkLocal(file: string, entry: DatasetEntry, onProgress?: ProgressCallback): Promise<{ bytes: number; sha256: string }> {
  const stat = await fsp.stat(file).catch(() => null);
  if (!stat?.isFile()) throw new DataError(file, null, 'no such file (give the downloaded archive)');
  checkSize(file, stat.size, entry.archive.bytes);
  onProgress?.({ stage: 'verify', done: 0, message: `computing sha256 of ${stat.size} bytes` });
  const sha256 = await sha256File(file);
  checkSha256(file, sha256, entry.archive.sha256);
  return { bytes: stat.size, sha256 };
}

/** The archive to extract: `from`, an earlier complete download, or a new (resumed) download. */
async function obtainArchive(entry: DatasetEntry, target: string, options: FetchDatasetOptions) {
  if (options.from !== undefined) {
    return { path: options.from, origin: path.resolve(options.from), ...(await checkLocal(options.from, entry, options.onProgress)) };
  }
  const url = options.url ?? entry.url;
  if (await exists(target)) {
    options.onProgress?.({ stage: 'download', done: 0, message: `using the archive already at ${target}` });
    const checked = await checkLocal(target, entry, options.onProgress).catch((err) => {
      throw err instanceof DatasetError ? new DatasetError(`${err.message} (delete it to download again)`) : err;
    });
    return { path: target, origin: url ?? target, ...checked };
  }
  if (!url) throw new DatasetError(`${entry.title} cannot be downloaded automatically (licence: ${entry.licence}).\n${manualInstructions(entry, target)}`);
  try {
    const got = await downloadFile(url, target, {
      expectedBytes: entry.archive.bytes,
      expectedSha256: entry.archive.sha256,
      retries: options.retries,
      onProgress: options.onProgress,
      dispatcher: options.dispatcher,
    });
    return { path: target, origin: url, bytes: got.bytes, sha256: got.sha256 };
  } catch (err) {
    if (err instanceof DatasetError) throw new DatasetError(`${err.message}\n${manualInstructions({ ...entry, url }, target)}`);
    throw err;
  }
}

/** Removes extraction folders a killed run left behind. */
async function removeStaleExtractions(dir: string): Promise<void> {
  for (const name of await fsp.readdir(dir)) {
    if (name.startsWith('.extract-')) await fsp.rm(path.join(dir, name), { recursive: true, force: true });
  }
}

/**
 * Fetches, checks, extracts and converts one dataset (by catalogue name, or an entry of the same shape)
 * into `DATA/NAME/` (see the module comment). Errors: DatasetError (unknown name, HTTP, network, size or
 * checksum; the message says how to fetch by hand), DataError (a damaged archive, a bad LETOR line).
 * A failure leaves no half-written file: the folds and the card are replaced only when all is converted.
 */
export async function fetchDataset(dataset: string | DatasetEntry, options: FetchDatasetOptions = {}): Promise<FetchResult> {
  const entry = typeof dataset === 'string' ? datasetEntry(dataset) : dataset;
  const dir = path.join(options.dataDir ?? 'data', entry.name);
  const target = path.join(dir, entry.archive.file);
  await fsp.mkdir(dir, { recursive: true });
  await removeStaleExtractions(dir);
  const got = await obtainArchive(entry, target, options);
  // Readers, Arrow and the archive libraries load here, not when the package is imported.
  const [{ extractArchive }, { convertFolds, findDataRoot }] = await Promise.all([import('./archive'), import('./convert')]);
  const extractDir = await fsp.mkdtemp(path.join(dir, '.extract-'));
  try {
    const format = await extractArchive(got.path, extractDir, options.onProgress).catch(async (err) => {
      // A damaged download must not be reused by the next run: remove it so that run downloads again.
      if (err instanceof DataError && got.path === target) {
        await fsp.rm(target, { force: true });
        throw new DataError(err.file, err.location, `${err.detail} (removed; the next fetch downloads it again)`);
      }
      throw err;
    });
    const root = await findDataRoot(extractDir, entry, got.path);
    let folds: FoldSummary[] = [];
    await replaceDirAtomic(path.join(dir, FOLDS_DIR), async (tmp) => {
      folds = await convertFolds(entry, root, tmp, options.onProgress);
    });
    const archive: ArchiveRecord = {
      origin: got.origin,
      file: path.basename(got.path),
      bytes: got.bytes,
      sha256: got.sha256,
      format,
      checksum: entry.archive.sha256 ? 'published' : 'recorded',
      fetchedAt: new Date().toISOString(),
    };
    await writeJsonAtomic(path.join(dir, 'card.json'), { entry, archive, folds: folds.map(cardFold) });
    const card = path.join(dir, 'README.md');
    await writeFileAtomic(card, renderCard(entry, archive, folds));
    return { entry, dir, archive, folds, card };
  } finally {
    await fsp.rm(extractDir, { recursive: true, force: true });
  }
}

/** A fold for card.json: counts and label summaries, not the per-feature statistics. */
function cardFold(f: FoldSummary) {
  const splits = Object.fromEntries(
    Object.entries(f.splits).map(([name, s]) => {
      const { featureStats: _omit, ...summary } = s.summary;
      return [name, { source: s.source, arrow: `${FOLDS_DIR}/${s.arrow}`, summary }];
    }),
  );
  return { name: f.name, splits, objectives: f.objectives };
}
