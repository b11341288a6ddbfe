/**
 * The ranking dataset: the one in-memory shape every stage of cosrank takes (DESIGN.md §3).
 *
 * Documents of query q are rows `queryOffsets[q] .. queryOffsets[q + 1] - 1` of the row-major
 * `features` matrix `[nDocs × nFeatures]`. `labels[j]` holds objective (or raw label column)
 * `labelNames[j]` for every document; the main objective comes first.
 */
export interface RankingDataset {
  /** Row-major `[nDocs × nFeatures]` float32 feature matrix. */
  features: Float32Array;
  nFeatures: number;
  /** Length `nFeatures`; readers name features `f1..fN` (LETOR numbering) unless the source names them. */
  featureNames: string[];
  /** Length `nQueries + 1`, starts at 0, non-decreasing, ends at `nDocs`. */
  queryOffsets: Int32Array;
  /** Original query id of each query, length `nQueries`. */
  queryIds: string[];
  /** Names of the label columns, main objective first. */
  labelNames: string[];
  /** One `Float32Array` of length `nDocs` per entry of `labelNames`. */
  labels: Float32Array[];
  /** Optional per-document ids (e.g. LETOR `#docid = …`), `null` where a row has none. */
  docIds?: (string | null)[];
  /** Free-form provenance and frozen transforms (objective cut points, source file, …). */
  metadata?: Record<string, unknown>;
}

/** Number of queries of a dataset. */
export function queryCount(ds: RankingDataset): number {
  return ds.queryOffsets.length - 1;
}

/** Number of documents of a dataset. */
export function documentCount(ds: RankingDataset): number {
  return ds.queryOffsets[ds.queryOffsets.length - 1];
}

/** The label array of a named column, or a clear error listing the columns there are. */
export function labelColumn(ds: RankingDataset, name: string): Float32Array {
  const j = ds.labelNames.indexOf(name);
  if (j < 0) throw new Error(`no label column '${name}' (the dataset has: ${ds.labelNames.join(', ')})`);
  return ds.labels[j];
}

/**
 * Checks the invariants of a dataset and throws an error naming the first broken one.
 * Readers call it before returning, so downstream code can trust the shape.
 */
export function validateDataset(ds: RankingDataset): void {
  const nQ = ds.queryOffsets.length - 1;
  if (nQ < 0) throw new Error('queryOffsets must have at least one entry (0)');
  if (ds.queryOffsets[0] !== 0) throw new Error(`queryOffsets[0] must be 0, got ${ds.queryOffsets[0]}`);
  for (let q = 0; q < nQ; q++) {
    if (ds.queryOffsets[q + 1] < ds.queryOffsets[q]) {
      throw new Error(`queryOffsets must be non-decreasing: [${q}]=${ds.queryOffsets[q]} > [${q + 1}]=${ds.queryOffsets[q + 1]}`);
    }
  }
  const nDocs = ds.queryOffsets[nQ];
  if (ds.features.length !== nDocs * ds.nFeatures) {
    throw new Error(`features has ${ds.features.length} values, expected nDocs × nFeatures = ${nDocs} × ${ds.nFeatures}`);
  }
  if (ds.featureNames.length !== ds.nFeatures) {
    throw new Error(`featureNames has ${ds.featureNames.length} names, expected ${ds.nFeatures}`);
  }
  if (ds.queryIds.length !== nQ) throw new Error(`queryIds has ${ds.queryIds.length} ids, expected ${nQ}`);
  if (ds.labels.length !== ds.labelNames.length) {
    throw new Error(`labels has ${ds.labels.length} columns but labelNames names ${ds.labelNames.length}`);
  }
  ds.labels.forEach((col, j) => {
    if (col.length !== nDocs) throw new Error(`label column '${ds.labelNames[j]}' has ${col.length} values, expected ${nDocs}`);
  });
  if (ds.docIds && ds.docIds.length !== nDocs) throw new Error(`docIds has ${ds.docIds.length} entries, expected ${nDocs}`);
}

/** Default LETOR-style feature names `f1..fN`. */
export function defaultFeatureNames(nFeatures: number): string[] {
  return Array.from({ length: nFeatures }, (_, i) => `f${i + 1}`);
}

/**
 * A dataset restricted to the given queries (in the given order); copies the rows.
 * Used by splits and batching; the input is never mutated.
 */
export function selectQueries(ds: RankingDataset, queries: ArrayLike<number>): RankingDataset {
  const nF = ds.nFeatures;
  let nDocs = 0;
  for (let i = 0; i < queries.length; i++) nDocs += ds.queryOffsets[queries[i] + 1] - ds.queryOffsets[queries[i]];
  const features = new Float32Array(nDocs * nF);
  const labels = ds.labels.map(() => new Float32Array(nDocs));
  const queryOffsets = new Int32Array(queries.length + 1);
  const queryIds: string[] = [];
  const docIds: (string | null)[] | undefined = ds.docIds ? [] : undefined;
  let row = 0;
  for (let i = 0; i < queries.length; i++) {
    const q = queries[i];
    const a = ds.queryOffsets[q];
    const b = ds.queryOffsets[q + 1];
    features.set(ds.features.subarray(a * nF, b * nF), row * nF);
    ds.labels.forEach((col, j) => labels[j].set(col.subarray(a, b), row));
    if (docIds && ds.docIds) for (let d = a; d < b; d++) docIds.push(ds.docIds[d]);
    row += b - a;
    queryOffsets[i + 1] = row;
    queryIds.push(ds.queryIds[q]);
  }
  return { ...ds, features, labels, queryOffsets, queryIds, docIds };
}
