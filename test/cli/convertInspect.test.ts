import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inputProgress, PROGRESS_MIN_INPUT_BYTES } from '../../src/cli/progress';
import { readArrow } from '../../src/data/arrow';
import type { ResolvedObjective } from '../../src/data/objectives';
import { readDataset } from '../../src/data/read';
import { saveModel } from '../../src/model/modelFile';
import { fixtureModel } from '../serve/fixture';
import { captureIO, runCli as cli } from '../cliHarness';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-cli-data-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const CSV = 'qid,relevance,f1,clicks,f3\nA,2,0.5,4,1\nA,0,0.25,0,2\nB,1,1,9,3\nB,1,2,1,4\nB,0,3,0,5\n';

describe('convert and inspect on a small CSV', () => {
  test('CSV → Arrow, then inspect --json reports the figures', async () => {
    const csv = path.join(dir, 'small.csv');
    const arrow = path.join(dir, 'small.arrow');
    fs.writeFileSync(csv, CSV);
    const conv = await cli('convert', csv, arrow);
    expect(conv.code).toBe(0);
    expect(conv.out).toContain('2 queries, 5 documents, 3 features, labels relevance');
    const insp = await cli('inspect', arrow, '--json');
    expect(insp.code).toBe(0);
    const s = JSON.parse(insp.out);
    expect([s.queries, s.documents, s.features]).toEqual([2, 5, 3]);
    expect(s.docsPerQuery).toEqual({ min: 2, median: 2.5, mean: 2.5, max: 3 });
    expect(s.labels[0].histogram).toEqual({ '0': 2, '1': 2, '2': 1 });
    expect(s.featureStats.map((f: { name: string }) => f.name)).toEqual(['f1', 'clicks', 'f3']);
    const text = await cli('inspect', csv);
    expect(text.out).toContain('queries     2');
  });

  test('--objectives applies declared objectives before writing (clicks as a clipped auxiliary, dropped from input)', async () => {
    const csv = path.join(dir, 'obj.csv');
    const objectives = path.join(dir, 'objectives.json');
    const arrow = path.join(dir, 'obj.arrow');
    fs.writeFileSync(csv, CSV);
    fs.writeFileSync(
      objectives,
      JSON.stringify([
        { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 2 } },
        { name: 'clicks', source: { feature: 2 }, grading: { kind: 'clip', max: 3 } },
      ]),
    );
    const conv = await cli('convert', csv, arrow, '--objectives', objectives, '--json');
    expect(conv.code).toBe(0);
    expect(JSON.parse(conv.out)).toMatchObject({ features: 2, labels: ['relevance', 'clicks'], objectives: ['relevance', 'clicks'] });
    const ds = await readArrow(arrow);
    expect(ds.featureNames).toEqual(['f1', 'f3']);
    expect(Array.from(ds.labels[1])).toEqual([3, 0, 3, 1, 0]); // min(max(clicks, 0), 3)
  });

  test('usage errors exit 2, data errors exit 1 naming the file', async () => {
    expect((await cli('convert', 'only-one')).code).toBe(2);
    expect((await cli('convert', 'a.txt', 'b.arrow', '--preset', 'nope')).code).toBe(2);
    expect((await cli('convert', 'a.txt', 'b.arrow', '--preset', 'mslr', '--objectives', 'x.json')).code).toBe(2);
    expect((await cli('convert', 'a.txt', 'b.csv')).code).toBe(2);
    expect((await cli('inspect', 'a.arrow', '--format', 'xml')).code).toBe(2);
    const bad = path.join(dir, 'bad.arrow');
    fs.writeFileSync(bad, 'ARROW1\0\0 then nothing useful');
    const r = await cli('inspect', bad);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${bad}: truncated or corrupt Arrow IPC file`);
  });
});

describe('reader policy flags and progress', () => {
  test('NaN in a CSV is a data error naming file:line; --non-finite keep keeps it; a bad policy is a usage error', async () => {
    const csv = path.join(dir, 'nan.csv');
    fs.writeFileSync(csv, 'qid,relevance,f1\nA,1,0.5\nA,0,nan\n');
    const refused = await cli('inspect', csv, '--json');
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`${csv}:3: column 'f1': "nan" is NaN`);
    const kept = await cli('inspect', csv, '--json', '--non-finite', 'keep');
    expect(kept.code).toBe(0);
    expect(JSON.parse(kept.out).featureStats[0]).toMatchObject({ name: 'f1', nan: 1 });
    expect((await cli('inspect', csv, '--non-finite', 'zero')).code).toBe(2);
  });

  test('inputs of 50 MB or less report no progress; larger ones do', async () => {
    const csv = path.join(dir, 'quiet.csv');
    fs.writeFileSync(csv, CSV);
    const conv = await cli('convert', csv, path.join(dir, 'quiet.arrow'));
    expect(conv.code).toBe(0);
    expect(conv.err).toBe(''); // a non-TTY run would otherwise print `read: N/N` and `write: 5/5`
    const big = path.join(dir, 'big.bin');
    fs.closeSync(fs.openSync(big, 'w'));
    fs.truncateSync(big, PROGRESS_MIN_INPUT_BYTES + 1); // sparse: no disk space used
    for (const [file, expected] of [[csv, ''], [big, 'read: 1/1 bytes\n']]) {
      const io = captureIO();
      const progress = await inputProgress(io, file);
      progress({ stage: 'read', done: 1, total: 1 });
      expect(io.err).toBe(expected);
    }
  });
});

const mq2008 = path.resolve(__dirname, '../../../shared/data/MQ2008/S1.txt');
const maybe = fs.existsSync(mq2008) ? describe : describe.skip;
if (!fs.existsSync(mq2008)) console.warn(`skipping MQ2008 convert/inspect tests: ${mq2008} is absent`);

maybe('MQ2008 S1 through the CLI (figures from shared/data/MQ2008/SOURCE.md)', () => {
  test('convert LETOR → Arrow keeps every value; inspect --json reports the SOURCE.md counts', async () => {
    const arrow = path.join(dir, 'S1.arrow');
    const conv = await cli('convert', mq2008, arrow);
    expect(conv.code).toBe(0);
    const [letor, back] = await Promise.all([readDataset(mq2008), readArrow(arrow)]);
    expect(Buffer.from(back.features.buffer, back.features.byteOffset, back.features.byteLength).equals(Buffer.from(letor.features.buffer, letor.features.byteOffset, letor.features.byteLength))).toBe(true);
    expect(back.queryIds).toEqual(letor.queryIds);
    expect(back.docIds).toEqual(letor.docIds);

    const insp = await cli('inspect', arrow, '--json');
    expect(insp.code).toBe(0);
    const s = JSON.parse(insp.out);
    expect([s.queries, s.documents, s.features]).toEqual([157, 2933, 46]);
    expect(s.docsPerQuery.min).toBe(6);
    expect(s.docsPerQuery.median).toBe(8);
    expect(s.docsPerQuery.max).toBe(118);
    expect(s.docsPerQuery.mean).toBeCloseTo(2933 / 157, 10);
    expect(s.labels[0].histogram).toEqual({ '0': 2316, '1': 427, '2': 190 });
    expect(s.labels[0].noPositiveQueries).toBe(52);
    expect(s.labels[0].allEqualQueries).toBe(52); // no S1 query is all-relevant
    expect(s.oneDocumentQueries).toBe(0);
  });

  test('--preset letor4 writes relevance, pagerank and shallowUrl and drops f41, f44 from the input', async () => {
    const arrow = path.join(dir, 'S1-obj.arrow');
    const conv = await cli('convert', mq2008, arrow, '--preset', 'letor4', '--fit-on-input', '--json');
    expect(conv.code).toBe(0);
    expect(JSON.parse(conv.out)).toMatchObject({ queries: 157, documents: 2933, features: 44, labels: ['relevance', 'pagerank', 'shallowUrl'] });
    const ds = await readArrow(arrow);
    expect(ds.featureNames).not.toContain('f41');
    expect(ds.featureNames).not.toContain('f44');
  });
});

describe('convert and inspect on hostile input (issue 14)', () => {
  test('the 2-line file with feature index 10^9 is refused at file:line; --max-features admits a real wide file', async () => {
    const f = path.join(dir, 'huge-index.txt');
    fs.writeFileSync(f, '1 qid:1 1:0.5 1000000000:1\n0 qid:1 2:0.3\n');
    const conv = await cli('convert', f, path.join(dir, 'huge.arrow'));
    expect(conv.code).not.toBe(0);
    expect(conv.err).toContain(`${f}:1: feature index 1000000000 exceeds the feature limit of 100000`);
    expect(fs.existsSync(path.join(dir, 'huge.arrow'))).toBe(false);
    const insp = await cli('inspect', f);
    expect(insp.code).not.toBe(0);
    expect(insp.err).toContain(`${f}:1:`);
    const wide = path.join(dir, 'wide.txt');
    fs.writeFileSync(wide, '1 qid:1 1:0.5 150000:1\n');
    expect((await cli('inspect', wide)).code).not.toBe(0);
    const ok = await cli('inspect', wide, '--max-features', '150000', '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).features).toBe(150000);
    expect((await cli('inspect', wide, '--max-features', 'lots')).err).toMatch(/--max-features must be an integer ≥ 1/);
  });

  test('--unsorted-indices and --non-finite reach the LETOR reader', async () => {
    const f = path.join(dir, 'unsorted.txt');
    fs.writeFileSync(f, '1 qid:1 3:1 1:2\n');
    expect((await cli('inspect', f)).err).toMatch(/feature index 1 follows 3/);
    expect((await cli('inspect', f, '--unsorted-indices', '--json')).code).toBe(0);
    const big = path.join(dir, 'big.txt');
    fs.writeFileSync(big, '1 qid:1 1:1e39\n');
    expect((await cli('inspect', big)).err).toMatch(/1e39 \(Infinity as float32\)/);
    expect((await cli('inspect', big, '--non-finite', 'keep', '--json')).code).toBe(0);
  });
});

test('convert checks that OUT can be written before reading IN (issue 14 item 11)', async () => {
  const blocker = path.join(dir, 'blocker');
  fs.writeFileSync(blocker, 'x');
  const out = path.join(blocker, 'o.arrow');
  // IN does not even exist: the output is checked first, so the message is about OUT
  const r = await cli('convert', path.join(dir, 'missing.txt'), out);
  expect(r.code).toBe(1);
  expect(r.err).toContain(`${out}: cannot write`);
});

describe('frozen objectives (issue 11 item 4)', () => {
  const TRAIN = 'qid,relevance,f1,clicks\nA,2,0.5,4\nA,0,0.25,0\nA,1,1,9\nB,1,2,1\nB,0,3,0\nB,1,3,7\n';
  const TEST = 'qid,relevance,f1,clicks\nC,1,0.5,5\nC,0,1,0\nC,2,1,100\n';
  const declarations = [
    { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 2 } },
    { name: 'clicks', source: { feature: 2 }, grading: { kind: 'quantile', buckets: 3 } },
  ];

  test('quantile cut points are never fitted on IN silently; --objectives-from reuses the training ones and says so', async () => {
    const train = path.join(dir, 'fz-train.csv');
    const test = path.join(dir, 'fz-test.csv');
    const objectives = path.join(dir, 'fz-objectives.json');
    fs.writeFileSync(train, TRAIN);
    fs.writeFileSync(test, TEST);
    fs.writeFileSync(objectives, JSON.stringify(declarations));
    const trainArrow = path.join(dir, 'fz-train.arrow');
    const testArrow = path.join(dir, 'fz-test.arrow');

    const silent = await cli('convert', test, testArrow, '--objectives', objectives);
    expect(silent.code).toBe(2);
    expect(silent.err).toMatch(/clicks grade by quantiles: their cut points must come from the training split \(--objectives-from/);
    expect(fs.existsSync(testArrow)).toBe(false);

    const fit = await cli('convert', train, trainArrow, '--objectives', objectives, '--fit-on-input', '--json');
    expect(fit.code).toBe(0);
    expect(JSON.parse(fit.out).cutPointsFrom).toEqual({ clicks: train });

    const frozen = await cli('convert', test, testArrow, '--objectives-from', trainArrow, '--json');
    expect(frozen.code).toBe(0);
    expect(JSON.parse(frozen.out).cutPointsFrom).toEqual({ clicks: train });
    // train clicks 0,0,1,4,7,9 (n = 6, G = 3): F(5) = 4/6 → 2, F(0) = (0 + 2)/12 → 0, F(100) = 1 → 2
    const back = await readArrow(testArrow);
    expect(Array.from(back.labels[1])).toEqual([2, 0, 2]);
    // the same with the declarations given again, and in text output
    const text = await cli('convert', test, testArrow, '--objectives', objectives, '--objectives-from', trainArrow);
    expect(text.out).toContain(`quantile cut points of 'clicks' fitted on ${train}`);
    // fitting on the test file itself is possible, explicitly, and then says so
    const own = await cli('convert', test, testArrow, '--objectives', objectives, '--fit-on-input', '--json');
    expect(JSON.parse(own.out).cutPointsFrom).toEqual({ clicks: test });
    expect((await cli('convert', test, testArrow, '--objectives-from', trainArrow, '--fit-on-input')).code).toBe(2);
    expect((await cli('convert', test, testArrow, '--objectives-from', test)).err).toMatch(/carries no objectives/);

    // a model folder carries the same frozen objectives (model.json): the same grades and provenance
    const trained = await readDataset(trainArrow);
    const modelDir = path.join(dir, 'fz-model');
    await saveModel(modelDir, { ...fixtureModel(1), objectives: trained.metadata?.objectives as ResolvedObjective[] });
    const fromModel = await cli('convert', test, testArrow, '--objectives-from', modelDir, '--json');
    expect(fromModel.code).toBe(0);
    expect(JSON.parse(fromModel.out).cutPointsFrom).toEqual({ clicks: train });
    expect(Array.from((await readArrow(testArrow)).labels[1])).toEqual([2, 0, 2]);
  });
});
