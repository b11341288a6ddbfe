/**
 * Seeded fuzz of the LETOR reader (issue 14): single-byte mutations of real MQ2008 lines, each read by
 * `readLetor` and by a strict reference parser written here from the SVMlight/LETOR rules (strings,
 * regular expressions and parseFloat, nothing shared with the reader). Wherever the two disagree the
 * reader must have refused the file with a DataError at a file:line; it may never accept something
 * the reference refuses, nor read different numbers.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readLetor } from '../../src/data/letor';
import type { RankingDataset } from '../../src/data/dataset';
import { DataError } from '../../src/util/errors';
import { Rng } from '../../src/util/rng';

const SOURCE = '/work/shared/data/MQ2008/S1.txt';
const MUTATIONS = 600;
const have = fs.existsSync(SOURCE);
if (!have) console.warn(`letorFuzz: ${SOURCE} is absent; the fuzz test is skipped`);

const SYNTAX = '0123456789.:-+eE \t#\r\nq=';
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

interface Reference {
  labels: number[];
  qids: string[];
  rows: Map<number, number>[];
  docIds: (string | null)[];
}

/** Strict reference: returns the parsed rows, or a string saying why the text is not a valid file. */
function strictParse(bytes: Buffer): Reference | string {
  const text = bytes.toString('latin1'); // one char per byte
  const out: Reference = { labels: [], qids: [], rows: [], docIds: [] };
  const seenQid = new Set<string>();
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const [k, raw] of lines.entries()) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line.includes('\r')) return `line ${k + 1}: bare CR`;
    const hash = line.indexOf('#');
    const body = (hash >= 0 ? line.slice(0, hash) : line).replace(/^[ \t]+|[ \t]+$/g, '');
    if (body === '') continue;
    const tokens = body.split(/[ \t]+/);
    const [label, qidToken, ...pairs] = tokens;
    if (!NUMBER.test(label) || !Number.isFinite(Math.fround(parseFloat(label)))) return `line ${k + 1}: label`;
    const qm = /^qid:(.+)$/.exec(qidToken ?? '');
    if (!qm) return `line ${k + 1}: qid`;
    const qid = qm[1];
    if (out.qids.length > 0 && out.qids[out.qids.length - 1] !== qid && seenQid.has(qid)) return `line ${k + 1}: qid not contiguous`;
    seenQid.add(qid);
    const row = new Map<number, number>();
    let last = 0;
    for (const p of pairs) {
      const m = /^(\d+):(.*)$/.exec(p);
      if (!m) return `line ${k + 1}: pair ${p}`;
      const index = Number(m[1]);
      if (index < 1 || index <= last || index > 100000) return `line ${k + 1}: index ${index}`;
      if (!NUMBER.test(m[2])) return `line ${k + 1}: value ${m[2]}`;
      const v = Math.fround(parseFloat(m[2]));
      if (!Number.isFinite(v)) return `line ${k + 1}: non-finite`;
      row.set(index, v);
      last = index;
    }
    const comment = hash >= 0 ? line.slice(hash + 1) : '';
    const d = /^[ \t]*docid[ \t]*=[ \t]*([^ \t]+)/.exec(comment);
    out.labels.push(Math.fround(parseFloat(label)));
    out.qids.push(qid);
    out.rows.push(row);
    out.docIds.push(d ? Buffer.from(d[1], 'latin1').toString('utf8') : null);
  }
  return out.rows.length === 0 ? 'no rows' : out;
}

/** The first difference between the reader's dataset and the reference, or null. */
function compare(ds: RankingDataset, ref: Reference): string | null {
  const n = ref.rows.length;
  if (ds.labels[0].length !== n) return `rows ${ds.labels[0].length} vs ${n}`;
  const nF = Math.max(0, ...ref.rows.flatMap((m) => [...m.keys()]));
  if (ds.nFeatures !== nF) return `nFeatures ${ds.nFeatures} vs ${nF}`;
  const qids: string[] = [];
  for (let q = 0; q + 1 < ds.queryOffsets.length; q++) for (let r = ds.queryOffsets[q]; r < ds.queryOffsets[q + 1]; r++) qids.push(ds.queryIds[q]);
  for (let r = 0; r < n; r++) {
    if (ds.labels[0][r] !== ref.labels[r]) return `row ${r} label ${ds.labels[0][r]} vs ${ref.labels[r]}`;
    if (qids[r] !== ref.qids[r]) return `row ${r} qid ${qids[r]} vs ${ref.qids[r]}`;
    for (let j = 0; j < nF; j++) {
      const want = ref.rows[r].get(j + 1) ?? 0;
      if (ds.features[r * nF + j] !== want) return `row ${r} feature ${j + 1}: ${ds.features[r * nF + j]} vs ${want}`;
    }
    const id = ds.docIds ? ds.docIds[r] : null;
    if (id !== ref.docIds[r]) return `row ${r} docid ${id} vs ${ref.docIds[r]}`;
  }
  return null;
}

(have ? test : test.skip)(`${MUTATIONS} single-byte mutations of MQ2008 lines: every disagreement is a refusal at file:line`, async () => {
  const lines = fs.readFileSync(SOURCE, 'latin1').split('\n').filter((l) => l !== '');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-letor-fuzz-'));
  const rng = new Rng(20261201);
  const tally = { bothAccept: 0, bothRefuse: 0, readerOnlyRefuses: 0 };
  const problems: string[] = [];
  try {
    for (let m = 0; m < MUTATIONS; m++) {
      // three consecutive lines (usually of one query), one byte replaced: half the time by any other
      // byte value, half the time by a byte that means something in the format (digits, separators)
      const start = rng.int(lines.length - 3);
      const bytes = Buffer.from(lines.slice(start, start + 3).join('\n') + '\n', 'latin1');
      const at = rng.int(bytes.length - 1);
      const old = bytes[at];
      do bytes[at] = m % 2 === 0 ? rng.int(256) : SYNTAX.charCodeAt(rng.int(SYNTAX.length));
      while (bytes[at] === old);
      const file = path.join(dir, `m${m}.txt`);
      fs.writeFileSync(file, bytes);
      const ref = strictParse(bytes);
      let ds: RankingDataset | null = null;
      let err: unknown = null;
      try {
        ds = await readLetor(file, { threads: 1 });
      } catch (e) {
        err = e;
      }
      const what = `mutation ${m} (byte ${at} → 0x${bytes[at].toString(16)})`;
      if (err !== null) {
        const located = err instanceof DataError && err.file === file && (typeof err.location === 'number' || typeof ref === 'string');
        if (!located) problems.push(`${what}: refusal without file:line: ${String(err)}`);
        if (typeof ref === 'string') tally.bothRefuse++;
        else tally.readerOnlyRefuses++;
      } else if (typeof ref === 'string') {
        problems.push(`${what}: the reader accepted what the reference refuses (${ref})`);
      } else {
        const diff = compare(ds!, ref);
        if (diff) problems.push(`${what}: silent difference: ${diff}`);
        tally.bothAccept++;
      }
      fs.rmSync(file);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  expect(problems).toEqual([]);
  // the mutations exercise both sides (a fuzz that only produced garbage would prove nothing)
  expect(tally.bothAccept).toBeGreaterThan(MUTATIONS / 10);
  expect(tally.bothRefuse).toBeGreaterThan(MUTATIONS / 10);
  console.log(`letorFuzz: ${JSON.stringify(tally)}`);
});
