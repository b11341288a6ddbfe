import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatScores, parseScores, readScores, splitCsvLine, weightColumnName } from '../../src/eval/scoresFile';
import { DataError } from '../../src/util/errors';

/** Two queries: q1 with 2 documents, q2 with 1. */
const ds = { queryOffsets: Int32Array.from([0, 2, 3]), queryIds: ['q1', 'q2'] };

describe('parseScores', () => {
  it('reads a single score column', () => {
    const f = parseScores('score\n0.5\n-1\n2e3\n', 's.csv', 3);
    expect(f.kind).toBe('single');
    expect(f.runs).toHaveLength(1);
    expect(f.runs[0].weights).toBeNull();
    expect(Array.from(f.runs[0].scores)).toEqual([0.5, -1, 2000]);
  });

  it('checks qid and doc columns against the dataset (CRLF and blank lines are fine)', () => {
    const f = parseScores('qid,doc,score\r\nq1,0,1\r\n\r\nq1,1,2\r\nq2,0,3\r\n', 's.csv', ds);
    expect(Array.from(f.runs[0].scores)).toEqual([1, 2, 3]);
  });

  it('reads a sweep: one run per weight column, in file order', () => {
    const f = parseScores('qid,w=1;0,"w=0.5;0.5",w=0;1\nq1,1,2,3\nq1,4,5,6\nq2,7,8,9\n', 's.csv', ds);
    expect(f.kind).toBe('sweep');
    expect(f.runs.map((r) => r.weights)).toEqual([[1, 0], [0.5, 0.5], [0, 1]]);
    expect(f.runs.map((r) => r.name)).toEqual(['w=1;0', 'w=0.5;0.5', 'w=0;1']);
    expect(Array.from(f.runs[1].scores)).toEqual([2, 5, 8]);
  });

  it('accepts rounded weights (sum within 1e-3)', () => {
    const f = parseScores('w=0.3333;0.3333;0.3333\n1\n', 's.csv', 1);
    expect(f.runs[0].weights).toEqual([0.3333, 0.3333, 0.3333]);
  });

  it.each([
    ['', 3, /s\.csv: empty scores file/],
    ['score,extra\n1,2\n', 1, /s\.csv:1: unknown column 'extra'/],
    ['qid\nq1\n', 1, /s\.csv:1: no score column/],
    ['score,w=1;0\n1,2\n', 1, /s\.csv:1: .*not both/],
    ['score,score\n1,2\n', 1, /s\.csv:1: column 'score' appears twice/],
    ['w=0.5;0.6\n1\n', 1, /s\.csv:1: column 'w=0.5;0.6': weights sum to 1\.1/],
    ['w=1.5;-0.5\n1\n', 1, /s\.csv:1: column 'w=1.5;-0.5': weights must be non-negative/],
    ['w=a;1\n1\n', 1, /s\.csv:1: .*non-negative numbers/],
    ['w=1;0,w=0;0;1\n1,2\n', 1, /s\.csv:1: weight columns disagree/],
    ['score\n1\nx\n3\n', 3, /s\.csv:3: column 'score': score 'x' is not a finite number/],
    ['score\n1\n\n3\n', 3, /s\.csv:5: 2 score rows but the dataset has 3 documents/],
    ['score\n1\nNaN\n3\n', 3, /s\.csv:3: .*not a finite number/],
    ['score\n1\n2\n3\n4\n', 3, /s\.csv:5: more score rows than the 3 documents/],
    ['qid,score\n1,2\n3\n', 2, /s\.csv:3: expected 2 fields/],
  ])('rejects %j', (text, nDocs, message) => {
    expect(() => parseScores(text, 's.csv', nDocs)).toThrow(message);
    expect(() => parseScores(text, 's.csv', nDocs)).toThrow(DataError);
  });

  it.each([
    ['qid,score\nq1,1\nq2,2\nq2,3\n', /s\.csv:3: qid 'q2' but document 1 of the dataset belongs to query 'q1'/],
    ['doc,score\n0,1\n0,2\n0,3\n', /s\.csv:3: doc '0' but this row is document 1 of query 'q1'/],
    ['doc,score\n0,1\n1,2\n,3\n', /s\.csv:4: doc ''/],
  ])('rejects misaligned rows %j', (text, message) => {
    expect(() => parseScores(text, 's.csv', ds)).toThrow(message);
  });

  it('readScores names the file in errors', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-scores-'));
    const file = path.join(dir, 'run.csv');
    fs.writeFileSync(file, 'score\n1\n2\n');
    expect(Array.from((await readScores(file, 2)).runs[0].scores)).toEqual([1, 2]);
    await expect(readScores(file, 3)).rejects.toThrow(`${file}:4: 2 score rows but the dataset has 3 documents`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('formatScores', () => {
  it('round-trips a sweep with qids through parseScores', () => {
    const runs = [
      { weights: [0.7, 0.3], scores: Float64Array.from([0.1, 1 / 3, -2.5e-8]) },
      { weights: [0.3, 0.7], scores: Float64Array.from([1e10, 0, 42]) },
    ];
    const text = formatScores(runs, { ...ds, queryIds: ['q,1', 'q2'] });
    expect(text.split('\n')[0]).toBe('qid,w=0.7;0.3,w=0.3;0.7');
    expect(text.split('\n')[1]).toBe('"q,1",0.1,10000000000');
    const back = parseScores(text, 'x.csv', { ...ds, queryIds: ['q,1', 'q2'] });
    expect(back.runs.map((r) => r.weights)).toEqual([[0.7, 0.3], [0.3, 0.7]]);
    back.runs.forEach((r, i) => expect(Array.from(r.scores)).toEqual(Array.from(runs[i].scores)));
  });

  it('writes a single run as a score column', () => {
    expect(formatScores([{ weights: null, scores: [1, 2] }])).toBe('score\n1\n2\n');
  });

  it('refuses mixed or ambiguous runs', () => {
    expect(() => formatScores([{ weights: null, scores: [1] }, { weights: [1], scores: [1] }])).toThrow(RangeError);
    expect(() => formatScores([{ weights: null, scores: [1] }, { weights: null, scores: [2] }])).toThrow(RangeError);
  });
});

describe('helpers', () => {
  it('splitCsvLine handles quotes and escaped quotes', () => {
    expect(splitCsvLine('a,"b,c","d""e",')).toEqual(['a', 'b,c', 'd"e', '']);
  });

  it('weightColumnName writes each weight in full (shortest round trip), so a file read back names the exact points', () => {
    expect(weightColumnName([1 / 3, 2 / 3])).toBe('w=0.3333333333333333;0.6666666666666666');
    expect(weightColumnName([0.25, 0.75])).toBe('w=0.25;0.75');
    const [a, b] = weightColumnName([0.9947707431192252, 0.005229256880774763]).slice(2).split(';').map(Number);
    expect([a, b]).toEqual([0.9947707431192252, 0.005229256880774763]);
  });
});
