/**
 * LETOR / SVMlight text: the reader's entry point (issue 2); the writer is `letorWriter.ts`.
 *
 * Line format: `label [qid:Q] i:v i:v … [# comment]`, LF or CRLF, fields separated by spaces or tabs.
 * - Indices are 1-based (feature `i` is column `i − 1`), or 0-based with `zeroBased`. Missing = 0.
 * - Queries come from `qid:` (rows of one qid must be contiguous unless `groupNonContiguous`), or, for
 *   lines without `qid:`, from a LightGBM-style `.query` file (one group size per line, in row order):
 *   `options.queryFile`, else `<data file>.query` when it exists.
 * - A trailing comment holding `docid = X` gives the row's document id; other comment text is ignored.
 *   Blank lines and lines that are only a comment are not rows.
 *
 * Values are parsed from the bytes (`letorBytes.ts`) and rounded to float32, which is what
 * `writeLetor` relies on to print the shortest text that reads back bit-exactly.
 *
 * The pieces: `letorBytes.ts` (byte codes, number scanner), `letorParser.ts` (lines → rows),
 * `letorThreads.ts` (line count, chunked reading, the worker thread), `queryFile.ts` (`.query` groups),
 * `letorWriter.ts` (the writer).
 *
 * Memory: a first pass counts lines (a native newline search), so the float32 matrix is allocated once
 * at `lines × width`. Its pages are only touched as rows are written, so the peak is about the size
 * of the final matrix, plus labels and doc ids (with `threads: 2`, plus the worker's half). A width
 * that would make that matrix far larger than the file's values is refused (`readLimits.ts`).
 */
import { DataError } from '../util/errors';
import { noProgress } from '../util/progress';
import { defaultFeatureNames, validateDataset, type RankingDataset } from './dataset';
import { PARALLEL_READ_BYTES, READ_CHUNK, type LetorReadOptions } from './letorOptions';
import { DEFAULT_MAX_FEATURES, tooManyFeaturesMessage } from './readLimits';
import { LetorParser } from './letorParser';
import { countLines, parseInWorker, parseRange } from './letorThreads';
import { exists, readQueryFile } from './queryFile';
import { permuteRowsInPlace, stableOrder } from './queryGroups';

export type { LetorReadOptions, LetorWriteOptions } from './letorOptions';
export { formatFloat32, writeLetor } from './letorWriter';

/**
 * Reads a LETOR / SVMlight file into a RankingDataset (one label column, `labelName`; features
 * `f1..fN`; queryIds the qid strings, or the group index as a string for `.query` groups; docIds when
 * at least one row has `# docid = X`, with `null` for rows without one).
 *
 * Example: the two lines `2 qid:7 1:0.5 3:1 # docid = d1` and `0 qid:7 2:0.25` give nFeatures 3,
 * features [0.5, 0, 1, 0, 0.25, 0], labels [[2, 0]], queryOffsets [0, 2], queryIds ['7'], docIds ['d1', null].
 *
 * Throws DataError(file, line, …) for anything it cannot read as stated; nothing is silently dropped.
 */
export async function readLetor(path: string, options: LetorReadOptions = {}): Promise<RankingDataset> {
  if (options.nFeatures !== undefined && !(Number.isInteger(options.nFeatures) && options.nFeatures >= 0)) {
    throw new DataError(path, null, `nFeatures must be a non-negative integer, got ${options.nFeatures}`);
  }
  const maxFeatures = options.maxFeatures ?? DEFAULT_MAX_FEATURES;
  if (!(Number.isInteger(maxFeatures) && maxFeatures >= 1)) throw new DataError(path, null, `maxFeatures must be a positive integer, got ${maxFeatures}`);
  if (options.nFeatures !== undefined && options.nFeatures > maxFeatures) {
    throw new DataError(path, null, tooManyFeaturesMessage(`the declared feature count ${options.nFeatures}`, maxFeatures));
  }
  const queryFile = options.queryFile ?? ((await exists(`${path}.query`)) ? `${path}.query` : undefined);
  const { parser, threadsUsed } = await parseFile(path, options, queryFile);
  const nDocs = parser.rows;
  if (nDocs === 0) throw new DataError(path, null, 'no data rows (expected lines of the form `label qid:Q i:v …`)');
  const { queryOffsets, queryIds, order } = await groupsOf(parser, path, queryFile);

  const nFeatures = options.nFeatures ?? parser.usedWidth;
  const features = parser.finishFeatures(nFeatures);
  let labels = parser.labels.length === nDocs ? parser.labels : parser.labels.slice(0, nDocs);
  let docIds = parser.anyDocId ? parser.docIds : undefined;
  if (order) {
    permuteRowsInPlace(features, nFeatures, order);
    const permuted = new Float32Array(nDocs);
    for (let r = 0; r < nDocs; r++) permuted[r] = labels[order[r]];
    labels = permuted;
    if (docIds) {
      const ids = docIds;
      docIds = Array.from(order, (r) => ids[r]);
    }
  }
  const ds: RankingDataset = {
    features,
    nFeatures,
    featureNames: defaultFeatureNames(nFeatures),
    queryOffsets,
    queryIds,
    labelNames: [options.labelName ?? 'relevance'],
    labels: [labels],
    ...(docIds ? { docIds } : {}),
    metadata: { source: path, format: 'letor', threads: threadsUsed, ...(queryFile && !parser.hasQid ? { queryFile } : {}) },
  };
  validateDataset(ds);
  return ds;
}

/**
 * Parses every line of the file: this thread reads the first part, and for large files a worker the
 * second (falling back to this thread when the worker's part does not continue the first cleanly).
 */
async function parseFile(path: string, options: LetorReadOptions, queryFile: string | undefined): Promise<{ parser: LetorParser; threadsUsed: number }> {
  const onProgress = options.onProgress ?? noProgress;
  const chunkBytes = Math.max(16, options.chunkBytes ?? READ_CHUNK);
  const { lines, bytes, splitByte, linesBefore } = await countLines(path, chunkBytes);
  const parser = new LetorParser(path, lines, options, queryFile, bytes);

  // Regrouping needs every row's query in one place, so it stays single-threaded.
  const threads = options.threads ?? (bytes >= PARALLEL_READ_BYTES ? 2 : 1);
  const split = threads >= 2 && splitByte > 0 && !options.groupNonContiguous ? splitByte : bytes;
  let doneHere = 0;
  let doneThere = 0;
  const report = () => onProgress({ stage: 'read', done: doneHere + doneThere, total: bytes });
  const { zeroBased, nFeatures: declared, nonFinite, maxFeatures, unsortedIndices } = options;
  const workerOptions = { zeroBased, nFeatures: declared, nonFinite, maxFeatures, unsortedIndices, queryFile: options.queryFile };
  const second =
    split < bytes
      ? parseInWorker(
          { path, start: split, end: bytes, fileBytes: bytes, firstLine: linesBefore + 1, lines: lines - linesBefore, options: workerOptions, groupFile: queryFile, chunkBytes },
          (done) => ((doneThere = done), report()),
        )
      : null;
  await parseRange(path, parser, 0, split, chunkBytes, (done) => ((doneHere = done), report()));
  let threadsUsed = 1;
  if (second) {
    const part = await second;
    if (part && parser.appendPart(part)) {
      threadsUsed = 2;
    } else {
      doneThere = 0;
      await parseRange(path, parser, split, bytes, chunkBytes, (done) => ((doneHere = split + done), report()));
    }
  }
  // the last event says the whole file was read, once (the parts may already have said so)
  if (doneHere + doneThere !== bytes) onProgress({ stage: 'read', done: bytes, total: bytes });
  return { parser, threadsUsed };
}

/** Query offsets and ids from the qids the parser saw (with a regrouping order), or from the `.query` file. */
async function groupsOf(
  parser: LetorParser,
  path: string,
  queryFile: string | undefined,
): Promise<{ queryOffsets: Int32Array; queryIds: string[]; order: Int32Array | null }> {
  const nDocs = parser.rows;
  if (parser.hasQid) {
    const queryIds = parser.queryIds;
    if (parser.regroup && parser.rowQuery) return { queryIds, ...stableOrder(parser.rowQuery.subarray(0, nDocs), queryIds.length) };
    return { queryIds, queryOffsets: Int32Array.from([...parser.queryStarts, nDocs]), order: null };
  }
  // (the parser refused a first row without qid: when there is no group file)
  if (queryFile === undefined) throw new DataError(path, null, 'lines have no qid: and there is no .query file');
  const sizes = await readQueryFile(queryFile);
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== nDocs) throw new DataError(queryFile, null, `group sizes sum to ${total} but ${path} has ${nDocs} rows`);
  const queryOffsets = new Int32Array(sizes.length + 1);
  sizes.forEach((s, q) => (queryOffsets[q + 1] = queryOffsets[q] + s));
  return { queryOffsets, queryIds: sizes.map((_, q) => String(q)), order: null };
}
