/**
 * The LETOR text writer: one line per document, values in the shortest text that reads back to the
 * same float32, written atomically.
 */
import { DataError } from '../util/errors';
import { writeStreamAtomic } from '../util/atomicWrite';
import { validateDataset, type RankingDataset } from './dataset';
import type { LetorWriteOptions } from './letorOptions';

/**
 * The shortest decimal text that reads back (parseFloat, then Math.fround) to the float32 `v`.
 * Six significant digits always survive a float32 round trip the other way, so when the shortest
 * form has ≤ 6 digits, `toPrecision(6)` is it padded with zeros; otherwise 7, 8 or 9 digits.
 */
export function formatFloat32(v: number): string {
  const f = Math.fround(v);
  if (Number.isInteger(f) && Math.abs(f) < 2 ** 24) return String(f);
  if (!Number.isFinite(f)) return String(f);
  for (let p = 6; p <= 9; p++) {
    const s = trimZeros(f.toPrecision(p));
    if (Math.fround(parseFloat(s)) === f) return s;
  }
  return String(f);
}

/** Drops trailing zeros of the mantissa of a toPrecision result ("0.500000" → "0.5", "1.20e-7" → "1.2e-7"). */
function trimZeros(s: string): string {
  const e = s.indexOf('e');
  let mantissa = e >= 0 ? s.slice(0, e) : s;
  if (mantissa.includes('.')) mantissa = mantissa.replace(/\.?0+$/, '');
  return e >= 0 ? mantissa + s.slice(e) : mantissa;
}

/**
 * Writes a dataset as LETOR text: `label qid:Q 1:v … nF:v #docid = X` per row, grouped by query,
 * LF line endings, values in the shortest text that reads back to the same float32 (so
 * `readLetor(writeLetor(ds))` is bit-exact). The label is `ds.labels[labelIndex ?? 0]`. Written
 * atomically (a temporary sibling, renamed when complete): a full disk leaves no partial file, and
 * the error names `path`.
 */
export async function writeLetor(ds: RankingDataset, path: string, options: LetorWriteOptions = {}): Promise<void> {
  validateDataset(ds);
  const labelIndex = options.labelIndex ?? 0;
  const labels = ds.labels[labelIndex];
  if (!labels) throw new DataError(path, null, `labelIndex ${labelIndex} is out of range (the dataset has ${ds.labels.length} label columns)`);
  ds.queryIds.forEach((q) => {
    if (q === '' || /[\s#]/.test(q)) throw new DataError(path, null, `query id '${q}' cannot be written after qid: (empty, or holds whitespace or #)`);
  });
  await writeStreamAtomic(path, async (out) => {
    const nQ = ds.queryOffsets.length - 1;
    let text = '';
    for (let q = 0; q < nQ; q++) {
      const qid = ds.queryIds[q];
      for (let r = ds.queryOffsets[q]; r < ds.queryOffsets[q + 1]; r++) {
        text += letorLine(ds, labels, r, qid, options.sparse === true, path) + '\n';
        if (text.length > 1 << 20) {
          await out.write(text);
          text = '';
        }
      }
    }
    await out.write(text);
  });
}

/** One row as LETOR text (without the line feed). */
function letorLine(ds: RankingDataset, labels: Float32Array, r: number, qid: string, sparse: boolean, path: string): string {
  const nF = ds.nFeatures;
  let line = `${formatFloat32(labels[r])} qid:${qid}`;
  const base = r * nF;
  for (let j = 0; j < nF; j++) {
    const v = ds.features[base + j];
    if (sparse && v === 0 && j < nF - 1) continue;
    line += ` ${j + 1}:${formatFloat32(v)}`;
  }
  const id = ds.docIds?.[r];
  if (id !== null && id !== undefined) {
    if (/[\r\n]/.test(id)) throw new DataError(path, null, `document id of row ${r} holds a line break`);
    line += ` #docid = ${id}`;
  }
  return line;
}
