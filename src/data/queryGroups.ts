/**
 * Query grouping shared by the row-oriented readers (Arrow, Parquet, CSV): turns one query id per row
 * into `queryOffsets` and checks the "rows of a query are contiguous" assumption instead of trusting it.
 */
import { DataError } from '../util/errors';

/** Where a row sits in its source, for error messages: `{location: 12, text: 'line 12'}` or `{location: 'row 11', text: 'row 11'}`. */
export type RowLocator = (row: number) => { location: number | string; text: string };

export interface QueryGrouping {
  /** Query ids in order of first appearance. */
  queryIds: string[];
  /** Length `nQueries + 1`; rows of query q (after `order`) are `queryOffsets[q] .. queryOffsets[q+1]-1`. */
  queryOffsets: Int32Array;
  /**
   * `null` when the rows are already grouped. Otherwise the source row of each output row: queries in
   * order of first appearance, rows of one query in file order (a stable regrouping).
   */
  order: Int32Array | null;
}

/**
 * Groups rows by query id. A query id that reappears after another query's rows is a DataError naming
 * both rows (where its earlier block ended and where it reappears), unless `groupNonContiguous` is set,
 * in which case the grouping comes with a stable `order`.
 *
 * Example: qids `['a','a','b']` → `{queryIds: ['a','b'], queryOffsets: [0,2,3], order: null}`;
 * `['a','b','a']` with `groupNonContiguous` → `{queryIds: ['a','b'], queryOffsets: [0,2,3], order: [0,2,1]}`.
 */
export function groupQueries(
  qids: readonly string[],
  options: { file: string; locate: RowLocator; groupNonContiguous?: boolean },
): QueryGrouping {
  const n = qids.length;
  const index = new Map<string, number>();
  const queryIds: string[] = [];
  const counts: number[] = [];
  const lastRow: number[] = [];
  const rowQuery = new Int32Array(n);
  let regroup = false;
  let current = -1;
  for (let i = 0; i < n; i++) {
    const id = qids[i];
    let q = index.get(id);
    if (q === undefined) {
      q = queryIds.length;
      index.set(id, q);
      queryIds.push(id);
      counts.push(0);
      lastRow.push(i);
    } else if (q !== current) {
      if (!options.groupNonContiguous) {
        const here = options.locate(i);
        throw new DataError(
          options.file,
          here.location,
          `qid '${id}' reappears at ${here.text} after its rows ended at ${options.locate(lastRow[q]).text}; ` +
            'rows of a query must be contiguous (option groupNonContiguous / --group regroups them)',
        );
      }
      regroup = true;
    }
    current = q;
    counts[q]++;
    lastRow[q] = i;
    rowQuery[i] = q;
  }
  const queryOffsets = new Int32Array(queryIds.length + 1);
  for (let q = 0; q < queryIds.length; q++) queryOffsets[q + 1] = queryOffsets[q] + counts[q];
  if (!regroup) return { queryIds, queryOffsets, order: null };
  return { queryIds, ...stableOrder(rowQuery, queryIds.length) };
}

/**
 * Stable grouping of rows by query index (`rowQuery[r]` in `0 .. nQueries−1`, numbered by first
 * appearance): `order[k]` is the source row of output row k, queries in order, rows of one query in
 * file order (a counting sort).
 */
export function stableOrder(rowQuery: Int32Array, nQueries: number): { queryOffsets: Int32Array; order: Int32Array } {
  const queryOffsets = new Int32Array(nQueries + 1);
  for (let r = 0; r < rowQuery.length; r++) queryOffsets[rowQuery[r] + 1]++;
  for (let q = 0; q < nQueries; q++) queryOffsets[q + 1] += queryOffsets[q];
  const next = queryOffsets.slice(0, nQueries);
  const order = new Int32Array(rowQuery.length);
  for (let r = 0; r < rowQuery.length; r++) order[next[rowQuery[r]]++] = r;
  return { queryOffsets, order };
}

/**
 * Reorders the rows of a row-major matrix in place so that new row k is old row `order[k]`,
 * following the permutation's cycles with one row of scratch space (no second matrix).
 */
export function permuteRowsInPlace(m: Float32Array, width: number, order: Int32Array): void {
  const n = order.length;
  const done = new Uint8Array(n);
  const tmp = new Float32Array(width);
  for (let s = 0; s < n; s++) {
    if (done[s] || order[s] === s) continue;
    tmp.set(m.subarray(s * width, s * width + width));
    let j = s;
    for (;;) {
      done[j] = 1;
      const k = order[j];
      if (k === s) {
        m.set(tmp, j * width);
        break;
      }
      m.copyWithin(j * width, k * width, k * width + width);
      j = k;
    }
  }
}

/** Rows of a row-major `[nRows × width]` matrix in the given order (a copy). */
export function gatherRows(src: Float32Array, width: number, order: Int32Array): Float32Array {
  const out = new Float32Array(order.length * width);
  for (let i = 0; i < order.length; i++) out.set(src.subarray(order[i] * width, (order[i] + 1) * width), i * width);
  return out;
}

/** Entries of a plain array in the given order. */
export function gatherArray<T>(src: readonly T[], order: Int32Array): T[] {
  return Array.from(order, (i) => src[i]);
}
