/**
 * One dataset from several files (e.g. MQ2008 S1–S3 as one training split): queries appended in file
 * order, query ids kept as read (the files are expected to keep them distinct).
 *
 * Every part must have the same label columns. Feature counts may differ only for LETOR/SVMlight text,
 * whose reader infers the count from the largest index seen in the file: a narrower part is padded with
 * zeros, since an absent SVMlight feature is 0. Any other mismatch is a DataError naming the file.
 */
import { documentCount, queryCount, validateDataset, type RankingDataset } from './dataset';
import { DataError } from '../util/errors';

/**
 * Concatenates `parts` (read from `files`, same order) query by query. A single part is returned as is.
 * The result's `metadata` is the first part's with `source` = the files joined by ' + '; `docIds` are kept
 * when every part has them.
 */
export function concatDatasets(parts: RankingDataset[], files: string[]): RankingDataset {
  if (parts.length === 0) throw new Error('no dataset to concatenate');
  const [first] = parts;
  parts.forEach((p, i) => {
    if (p.labelNames.join('\u0000') !== first.labelNames.join('\u0000')) {
      throw new DataError(files[i], null, `label columns [${p.labelNames.join(', ')}] differ from ${files[0]}'s [${first.labelNames.join(', ')}]`);
    }
  });
  const aligned = alignFeatures(parts, files);
  if (aligned.length === 1) return aligned[0];
  refuseSharedQueryIds(aligned, files);
  const nF = aligned[0].nFeatures;
  const nDocs = aligned.reduce((a, p) => a + documentCount(p), 0);
  const nQ = aligned.reduce((a, p) => a + queryCount(p), 0);
  const features = new Float32Array(nDocs * nF);
  const labels = first.labelNames.map(() => new Float32Array(nDocs));
  const queryOffsets = new Int32Array(nQ + 1);
  const queryIds: string[] = [];
  const withDocIds = aligned.every((p) => p.docIds);
  const docIds: (string | null)[] = [];
  let row = 0;
  let q = 0;
  for (const p of aligned) {
    features.set(p.features, row * nF);
    p.labels.forEach((col, j) => labels[j].set(col, row));
    for (let i = 1; i < p.queryOffsets.length; i++) queryOffsets[++q] = row + p.queryOffsets[i];
    queryIds.push(...p.queryIds);
    if (withDocIds && p.docIds) docIds.push(...p.docIds);
    row += documentCount(p);
  }
  const ds: RankingDataset = {
    features,
    nFeatures: nF,
    featureNames: aligned[0].featureNames,
    queryOffsets,
    queryIds,
    labelNames: [...first.labelNames],
    labels,
    ...(withDocIds ? { docIds } : {}),
    metadata: { ...first.metadata, source: files.join(' + ') },
  };
  validateDataset(ds);
  return ds;
}

/** Throws a DataError naming the first query id that two parts share, and both files. */
function refuseSharedQueryIds(parts: RankingDataset[], files: string[]): void {
  const fileOf = new Map<string, number>();
  parts.forEach((p, i) => {
    for (const id of new Set(p.queryIds)) {
      const earlier = fileOf.get(id);
      if (earlier !== undefined) {
        throw new DataError(files[i], null, `query id '${id}' also appears in ${files[earlier]}; query ids must be distinct across the files of one split`);
      }
      fileOf.set(id, i);
    }
  });
}

const LETOR_NAME = /^f[1-9][0-9]*$/;

/**
 * Pads LETOR datasets (reader format 'letor', features named f1..fN) with zero columns to the widest
 * part's feature count; parts already that wide are returned as they are. Any other width mismatch is a
 * DataError naming the part's file. Also used across splits (train / validation / test files).
 */
export function alignFeatures(parts: RankingDataset[], files: string[]): RankingDataset[] {
  const nF = Math.max(...parts.map((p) => p.nFeatures));
  return parts.map((p, i) => {
    if (p.nFeatures === nF) return p;
    const letor = p.metadata?.format === 'letor' && p.featureNames.every((n, f) => n === `f${f + 1}` && LETOR_NAME.test(n));
    if (!letor) throw new DataError(files[i], null, `has ${p.nFeatures} features, other files of the run have ${nF}`);
    const n = documentCount(p);
    const features = new Float32Array(n * nF);
    for (let d = 0; d < n; d++) features.set(p.features.subarray(d * p.nFeatures, (d + 1) * p.nFeatures), d * nF);
    return { ...p, features, nFeatures: nF, featureNames: Array.from({ length: nF }, (_, f) => `f${f + 1}`) };
  });
}
