/**
 * Request bodies: the JSON byte scanner against the general path (`JSON.parse` + readDocuments) as the
 * independent truth — bit-identical features and equal ids on seeded random bodies in every number
 * spelling, and for bad bodies either the general path's own error or a give-up (then the general path
 * answers) — and Arrow IPC bodies against the same documents sent as JSON.
 */
import { Field, FixedSizeList, Float32, Float64, makeData, RecordBatch, Schema, Struct, Table, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { readArrowDocuments } from '../../src/serve/arrowBody';
import { BufferPool } from '../../src/serve/bufferPool';
import { decodeBase64Bytes, inputLayout, readDocuments } from '../../src/serve/documents';
import { scanRequest } from '../../src/serve/jsonScanner';
import { RequestError } from '../../src/serve/tradeoff';
import { Rng } from '../../src/util/rng';
import { RAW_FEATURES } from './fixture';
import { randomBody } from './randomBodies';

// the fixture's layout: raw features 1..10 are the input, 11 and 12 dropped
const layout = inputLayout(RAW_FEATURES, Int32Array.from({ length: 10 }, (_, i) => i));

/** The general path's reading of a body (what the scanner must agree with). */
function general(text: string, limit = 1000): { input: Float32Array; ids: (string | number)[]; fields: Record<string, unknown> } {
  const body = JSON.parse(text) as Record<string, unknown>;
  const { documents, ...fields } = body;
  return { ...readDocuments(documents, layout, limit), fields };
}

function outcome(f: () => unknown): unknown {
  try {
    return f();
  } catch (err) {
    if (err instanceof RequestError) return { field: err.field, message: err.message };
    return { error: String(err) };
  }
}


describe('JSON scanner', () => {
  it('reads 400 seeded random bodies bit-identically to JSON.parse + the general path', () => {
    const rng = new Rng(17);
    let scanned = 0;
    for (let k = 0; k < 400; k++) {
      const text = randomBody(rng);
      const truth = outcome(() => general(text));
      const got = outcome(() => scanRequest(Buffer.from(text), layout, 1000));
      if (got === null) {
        // gave up: allowed only where the general path refuses (then its message is the answer)
        expect(truth).toHaveProperty('field');
        continue;
      }
      if (got && typeof got === 'object' && 'field' in got) {
        expect(got).toEqual(truth);
        continue;
      }
      const s = got as { input: Float32Array; ids: unknown[]; fields: Record<string, unknown> };
      const t = truth as { input: Float32Array; ids: unknown[]; fields: Record<string, unknown> };
      expect(Buffer.from(s.input.buffer, s.input.byteOffset, s.input.byteLength).equals(Buffer.from(t.input.buffer, t.input.byteOffset, t.input.byteLength))).toBe(true);
      expect(s.ids).toEqual(t.ids);
      expect({ ...s.fields }).toEqual(t.fields);
      scanned++;
    }
    expect(scanned).toBeGreaterThan(200); // most bodies take the fast path
  });

  it('decimals next to float32 rounding boundaries (16–19 digits) round exactly as JSON.parse then float32', () => {
    const rng = new Rng(99);
    const f32 = new Float32Array(2);
    const u32 = new Uint32Array(f32.buffer);
    const values: string[] = [];
    while (values.length < 24_000) {
      f32[0] = (rng.uniform() - 0.5) * 10 ** (rng.int(16) - 8);
      u32[1] = u32[0] + 1;
      const mid = (f32[0] + f32[1]) / 2;
      const digits = 16 + rng.int(4);
      values.push(mid.toPrecision(digits), (mid + Math.abs(mid) * 2 ** -52 * (rng.int(9) - 4)).toPrecision(digits));
    }
    const docs = [];
    for (let d = 0; d * RAW_FEATURES < values.length; d++) docs.push(`{"id":${d},"features":[${values.slice(d * RAW_FEATURES, (d + 1) * RAW_FEATURES).join(',')}]}`);
    const text = `{"documents":[${docs.join(',')}]}`;
    const all = inputLayout(RAW_FEATURES, Int32Array.from({ length: RAW_FEATURES }, (_, i) => i));
    const scanned = scanRequest(Buffer.from(text), all, 10_000);
    const truth = readDocuments((JSON.parse(text) as { documents: unknown }).documents, all, 10_000);
    expect(scanned).not.toBeNull();
    const mismatches = (scanned as { input: Float32Array }).input.filter((v, i) => !Object.is(v, truth.input[i])).length;
    expect(mismatches).toBe(0);
  });

  it('refuses what the general path refuses, with its message, or gives up so the general path answers', () => {
    const f = '1,2,3,4,5,6,7,8,9,10,11';
    const bad = [
      `{"documents":[{"id":1,"features":[${f}]}]}`, // 11 features
      `{"documents":[{"id":1,"features":[${f},"x"]}]}`,
      `{"documents":[{"id":1,"features":[${f},1e39]}]}`,
      `{"documents":[{"id":1,"features":[${f},1e400]}]}`,
      `{"documents":[{"id":1,"features":{"01":1}}]}`,
      `{"documents":[{"id":1,"features":{"13":1}}]}`,
      `{"documents":[{"id":1,"features":{"2":"x"}}]}`,
      `{"documents":[{"id":1,"features":"AAAA"}]}`,
      `{"documents":[{"id":1,"features":[${f},1]},{"id":1,"features":[${f},1]}]}`,
      `{"documents":[{"id":true,"features":[${f},1]}]}`,
      `{"documents":[{"features":[${f},1]}]}`,
      `{"documents":[{"id":1,"features":[${f},1],"x":1}]}`,
      `{"documents":[]}`,
      `{"documents":[{"id":1,"features":[${f},01]}]}`,
      `{"documents":[{"id":1,"features":[${f},1.]}]}`,
      `{"documents":[{"id":1,"features":[${f},-]}]}`,
      `{"documents":[{"id":1,"features":[${f},1]}],}`,
      `{"documents":[{"id":1,"features":[${f},1]}]} x`,
    ];
    for (const text of bad) {
      const truth = outcome(() => general(text));
      const got = outcome(() => scanRequest(Buffer.from(text), layout, 1000));
      if (got !== null) expect(got).toEqual(truth);
      expect(truth).toEqual(expect.objectContaining(String((truth as { error?: string }).error).startsWith('SyntaxError') ? { error: expect.any(String) } : { field: expect.any(String) }));
    }
  });

  it('stops at the first document beyond the limit and at the first sparse key beyond the feature count', () => {
    const doc = `{"id":1,"features":{"1":1}}`;
    const many = `{"documents":[${Array.from({ length: 6 }, (_, i) => doc.replace('1', String(i))).join(',')}]}`;
    expect(outcome(() => scanRequest(Buffer.from(many), layout, 5))).toEqual({ field: 'documents', message: 'documents: more than the limit of 5 documents' });
    expect(outcome(() => general(many, 5))).toEqual({ field: 'documents', message: 'documents: more than the limit of 5 documents' });
    // 2M keys cycling 1..12: refused at key 13, before the rest is read
    const keys = Array.from({ length: 12 }, (_, i) => `"${i + 1}":0.5`).join(',');
    const huge = `{"documents":[{"id":1,"features":{${Array.from({ length: 200_000 }, () => keys).join(',')}}}]}`;
    expect(outcome(() => scanRequest(Buffer.from(huge), layout, 10))).toEqual({
      field: 'documents[0].features',
      message: 'documents[0].features: a sparse map holds at most 12 features (one per index), got more',
    });
  });
});

describe('base64 rows read from the body bytes', () => {
  /** A body of base64 rows for nF features, each spelt by `spellRow`, read by the scanner and the general path. */
  function both(nF: number, rows: string[]): { scanned: unknown; truth: unknown } {
    const all = inputLayout(nF, Int32Array.from({ length: nF }, (_, i) => i));
    const text = `{"documents":[${rows.map((r, d) => `{"id":${d},"features":"${r}"}`).join(',')}]}`;
    const truth = outcome(() => readDocuments((JSON.parse(text) as { documents: unknown }).documents, all, 1000));
    return { scanned: outcome(() => scanRequest(Buffer.from(text), all, 1000)), truth };
  }

  it('decode as Node does, with 0, 1 or 2 bytes in the last group, in either alphabet', () => {
    const rng = new Rng(23);
    for (const nF of [12, 10, 11]) {
      const rows = Array.from({ length: 40 }, (_, d) => {
        const b64 = Buffer.from(Float32Array.from({ length: nF }, () => (rng.uniform() - 0.5) * 10 ** rng.int(6)).buffer).toString('base64');
        return d % 2 === 0 ? b64 : b64.replace(/\+/g, '-').replace(/\//g, '_'); // base64url: Node's decoder takes it too
      });
      const { scanned, truth } = both(nF, rows);
      expect(scanned).not.toBeNull();
      const s = scanned as { input: Float32Array };
      const t = truth as { input: Float32Array };
      expect(Buffer.from(s.input.buffer, s.input.byteOffset, s.input.byteLength).equals(Buffer.from(t.input.buffer, t.input.byteOffset, t.input.byteLength))).toBe(true);
    }
  });

  it('decodeBase64Bytes accepts exactly alphabet characters with the padding in place, and decodes them as Node does', () => {
    const rng = new Rng(29);
    const odd = ['A', '+', '/', '-', '_', '=', ' ', '\\', '*', '\n', '\u00e9', '"'];
    let accepted = 0;
    let refused = 0;
    for (let k = 0; k < 4000; k++) {
      const n = 1 + rng.int(60);
      const chars = Array.from(Buffer.from(Uint8Array.from({ length: n }, () => rng.int(256))).toString(rng.int(2) === 0 ? 'base64' : 'base64url'));
      while (chars.length % 4 !== 0) chars.push('='); // base64url leaves the padding out
      // 0 to 2 characters replaced by odd ones (anywhere, padding included)
      for (let m = rng.int(3); m > 0; m--) chars[rng.int(chars.length)] = odd[rng.int(odd.length)];
      const text = chars.join('');
      const body = Buffer.from(`xx${text}yy`, 'latin1');
      const out = Buffer.alloc(n);
      const got = decodeBase64Bytes(body, 2, text.length, out);
      const unpadded = Math.ceil((n * 4) / 3);
      const valid = new RegExp(`^[A-Za-z0-9+/_-]{${unpadded}}={${text.length - unpadded}}$`).test(text);
      expect({ text, got }).toEqual({ text, got: valid });
      if (valid) expect(out.equals(Buffer.from(text, 'base64'))).toBe(true);
      if (valid) accepted++;
      else refused++;
    }
    expect(Math.min(accepted, refused)).toBeGreaterThan(1000);
  });

  it('an unusual or bad row gives up (the general path answers) or fails with the general path\'s message', () => {
    const good = Buffer.from(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10).buffer).toString('base64'); // 40 bytes: "…A=="-style end
    // [row, the general path refuses it]: the scanner agrees with the general path or gives up to it
    const rows: [string, boolean][] = [
      [good.slice(0, -2) + 'A=', true], // one '=' where two belong: 41 bytes, the extra one refused rather than dropped
      [good.slice(0, 5) + '\\u0041' + good.slice(6), false], // an escape ("A"): the same row
      [good.slice(0, -1), true], // too short
      [good + 'AAAA', true], // too long
      [good.slice(0, 5) + '*' + good.slice(6), true], // outside the alphabet
      [Buffer.from(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, Infinity).buffer).toString('base64'), true], // not finite
    ];
    for (const [row, refused] of rows) {
      const { scanned, truth } = both(10, [good, row]);
      if (scanned !== null) expect(scanned).toEqual(truth);
      if (!refused) expect(scanned).toBeNull();
      expect(truth).toEqual(refused ? expect.objectContaining({ field: expect.stringMatching(/^documents\[1\]\.features/) }) : expect.objectContaining({ ids: [0, 1] }));
    }
  });

  it('a row whose padding makes it decode to more bytes than the features take is refused, naming the document', () => {
    const good = Buffer.from(Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10).buffer).toString('base64'); // 40 bytes, ends '=='
    const expected = (bytes: number) => ({ field: 'documents[1].features', message: `documents[1].features: expected 10 little-endian float32 values as base64 (40 bytes, 56 characters), got ${bytes} bytes` });
    const rows: [string, number][] = [
      [good.slice(0, -2) + 'A=', 41], // one '=' where two belong
      [good.slice(0, -2) + 'AA', 42], // no padding
    ];
    for (const [row, bytes] of rows) {
      const { scanned, truth } = both(10, [good, row]);
      expect(truth).toEqual(expected(bytes));
      expect(scanned).toBeNull(); // the scanner leaves it to the general path
    }
  });
});

describe('reused request matrices (BufferPool)', () => {
  it('a matrix taken again reads exactly as a fresh one: zeros where a sparse map leaves features out', () => {
    const pool = new BufferPool();
    const all = inputLayout(RAW_FEATURES, Int32Array.from({ length: RAW_FEATURES }, (_, i) => i));
    const dense = `{"documents":[${Array.from({ length: 300 }, (_, d) => `{"id":${d},"features":[${Array.from({ length: RAW_FEATURES }, (_, i) => d + i + 1).join(',')}]}`).join(',')}]}`;
    const sparse = `{"documents":[${Array.from({ length: 200 }, (_, d) => `{"id":${d},"features":{"${1 + (d % RAW_FEATURES)}":${d}}}`).join(',')}]}`;
    const first = scanRequest(Buffer.from(dense), all, 1000, undefined, pool);
    expect(first).not.toBeNull();
    pool.release(first!.input);
    const again = scanRequest(Buffer.from(sparse), all, 1000, undefined, pool);
    expect(again!.input.buffer).toBe(first!.input.buffer); // the same memory, grown into without a second buffer
    expect(Array.from(again!.input)).toEqual(Array.from(scanRequest(Buffer.from(sparse), all, 1000)!.input));
    pool.release(again!.input);
    const { input } = readDocuments([{ id: 1, features: { '2': 5 } }], all, 10, 'documents', undefined, pool);
    expect(Array.from(input)).toEqual([0, 5, ...new Array<number>(RAW_FEATURES - 2).fill(0)]);
  });

  it('a request failing validation half-way gives its matrix back (general path, scanner, Arrow)', () => {
    const docs = [{ id: 'a', features: { '1': 2 } }, { id: 'b', features: { '1': 'x' } }];
    const failures: [string, (pool: BufferPool) => unknown][] = [
      ['general path', (pool) => readDocuments(docs, layout, 10, 'documents', undefined, pool)],
      // a sparse index given twice: refused by the scanner itself, after its matrix was taken
      ['scanner', (pool) => scanRequest(Buffer.from('{"documents":[{"id":1,"features":{"1":2}},{"id":2,"features":{"3":1,"3":2}}]}'), layout, 10, undefined, pool)],
      ['Arrow', (pool) => readArrowDocuments(tableToIPC(new Table({ id: vectorFromArray(['a', 'a'], new Utf8()), '1': vectorFromArray(Float32Array.of(1, 2)) }), 'stream'), layout, 10, undefined, pool)],
    ];
    for (const [path, parse] of failures) {
      const pool = new BufferPool();
      expect(outcome(() => parse(pool))).toMatchObject({ field: expect.stringMatching(/^documents\[1\]/) });
      expect({ path, held: pool.held().buffers }).toEqual({ path, held: 1 });
    }
  });

  it('holds at most its bound, and never a buffer above its largest size', () => {
    const pool = new BufferPool(1 << 20, 3 << 20);
    const taken = Array.from({ length: 6 }, () => pool.floats(200_000)); // 800 KB each
    const big = pool.floats(400_000); // 1.6 MB: above the largest kept
    for (const a of [...taken, big]) pool.release(a);
    expect(pool.held().bytes).toBeLessThanOrEqual(3 << 20);
    expect(pool.held().buffers).toBe(3);
    expect(pool.floats(300_000).buffer).not.toBe(big.buffer);
  });
});

describe('Arrow IPC bodies', () => {
  const rng = new Rng(5);
  const n = 7;
  const raw = Float32Array.from({ length: n * RAW_FEATURES }, () => rng.uniformIn(-2, 2));
  const ids = Array.from({ length: n }, (_, d) => `d${d}`);
  const json = () => readDocuments(ids.map((id, d) => ({ id, features: Array.from(raw.subarray(d * RAW_FEATURES, (d + 1) * RAW_FEATURES)) })), layout);

  function listTable(values: Float32Array | Float64Array, idVector = vectorFromArray(ids, new Utf8())): Uint8Array {
    const child = new Field('item', values instanceof Float32Array ? new Float32() : new Float64(), false);
    const type = new FixedSizeList(RAW_FEATURES, child);
    const valuesData = makeData({ type: child.type, length: values.length, data: values });
    const listData = makeData({ type, length: n, child: valuesData });
    const schema = new Schema([new Field('id', idVector.type, false), new Field('features', type, false)]);
    const struct = makeData({ type: new Struct(schema.fields), length: n, children: [idVector.data[0], listData] });
    return tableToIPC(new Table([new RecordBatch(schema, struct)]), 'stream');
  }

  it('a features column (fixed-size list of float32) reads exactly as the same documents in JSON', () => {
    const got = readArrowDocuments(listTable(raw), layout, 100);
    expect(got.ids).toEqual(ids);
    expect(Array.from(got.input)).toEqual(Array.from(json().input));
  });

  it('numbered feature columns (float64 accepted; a missing column is 0) read as a sparse map would', () => {
    const cols: Record<string, ReturnType<typeof vectorFromArray>> = { id: vectorFromArray(Int32Array.from(ids, (_, d) => 100 + d)) };
    for (let i = 0; i < RAW_FEATURES; i++) if (i !== 4) cols[String(i + 1)] = vectorFromArray(Float64Array.from({ length: n }, (_, d) => raw[d * RAW_FEATURES + i]));
    const got = readArrowDocuments(tableToIPC(new Table(cols), 'stream'), layout, 100);
    expect(got.ids).toEqual(ids.map((_, d) => 100 + d));
    const sparse = readDocuments(
      ids.map((id, d) => ({ id, features: Object.fromEntries(Array.from({ length: RAW_FEATURES }, (_, i) => [String(i + 1), raw[d * RAW_FEATURES + i]]).filter(([k]) => k !== '5')) })),
      layout,
    );
    expect(Array.from(got.input)).toEqual(Array.from(sparse.input));
  });

  it('string ids read as written: ASCII, non-ASCII, empty, and spread over several record batches', () => {
    const plain = ['a', '', 'doc 7', 'x"y', 'z'];
    const accented = ['é', 'a', '日本', '🙂', ''];
    for (const list of [plain, accented]) {
      const one = tableToIPC(new Table({ id: vectorFromArray(list, new Utf8()), '1': vectorFromArray(Float32Array.from(list, (_, d) => d)) }), 'stream');
      expect(readArrowDocuments(one, layout, 100).ids).toEqual(list);
    }
    // two record batches: the id column comes in two chunks
    const first = new Table({ id: vectorFromArray(plain.slice(0, 2), new Utf8()), '1': vectorFromArray(Float32Array.of(0, 1)) });
    const second = new Table({ id: vectorFromArray(plain.slice(2), new Utf8()), '1': vectorFromArray(Float32Array.of(2, 3, 4)) });
    const got = readArrowDocuments(tableToIPC(first.concat(second), 'stream'), layout, 100);
    expect(got.ids).toEqual(plain);
    expect(Array.from(got.input.filter((_, i) => i % layout.width === 0))).toEqual([0, 1, 2, 3, 4]);
  });

  it('bad tables are 400s naming the column or document', () => {
    const err = (f: () => unknown) => outcome(f) as { field: string };
    expect(err(() => readArrowDocuments(Buffer.from('not arrow'), layout, 100)).field).toBe('body');
    const dup = vectorFromArray(['a', 'b', 'c', 'd', 'e', 'f', 'a'], new Utf8());
    expect(err(() => readArrowDocuments(listTable(raw, dup), layout, 100)).field).toBe('documents[6].id');
    const inf = raw.slice();
    inf[3 * RAW_FEATURES + 2] = Infinity;
    expect(err(() => readArrowDocuments(listTable(inf), layout, 100)).field).toBe('documents[3].features[2]');
    expect(err(() => readArrowDocuments(listTable(raw), layout, 5)).field).toBe('documents');
    const unknown = tableToIPC(new Table({ id: vectorFromArray(['a']), f1: vectorFromArray(Float32Array.of(1)) }), 'stream');
    expect(err(() => readArrowDocuments(unknown, layout, 100)).field).toBe('columns.f1');
    const noId = tableToIPC(new Table({ '1': vectorFromArray(Float32Array.of(1)) }), 'stream');
    expect(err(() => readArrowDocuments(noId, layout, 100)).field).toBe('columns.id');
    const ints = tableToIPC(new Table({ id: vectorFromArray(['a']), '1': vectorFromArray(Int32Array.of(1)) }), 'stream');
    expect(err(() => readArrowDocuments(ints, layout, 100)).field).toBe('columns.1');
  });
});


describe('rows copied through a layout (runs of kept features)', () => {
  const nF = 40;
  const n = 5;
  const rng = new Rng(23);
  const raw = Float32Array.from({ length: n * nF }, () => rng.uniformIn(-3, 3));
  const ids = Array.from({ length: n }, (_, d) => `d${d}`);
  // kept raw features, in column order: one long run, short runs, a permutation, a reversal, every other one, none
  const layouts: Record<string, number[]> = {
    'all but the last 3': Array.from({ length: nF - 3 }, (_, i) => i),
    'runs of 5 and 33 with gaps': [...Array.from({ length: 5 }, (_, i) => 1 + i), ...Array.from({ length: 33 }, (_, i) => 7 + i)],
    permuted: Array.from(rng.shuffle(Array.from({ length: nF }, (_, i) => i))).slice(0, 30),
    reversed: Array.from({ length: nF }, (_, i) => nF - 1 - i),
    'every other': Array.from({ length: nF / 2 }, (_, i) => 2 * i),
    none: [],
  };
  const base64Body = (values: Float32Array) =>
    JSON.stringify({ documents: ids.map((id, d) => ({ id, features: Buffer.from(values.slice(d * nF, (d + 1) * nF).buffer).toString('base64') })) });
  function arrowBody(values: Float32Array): Uint8Array {
    const child = new Field('item', new Float32(), false);
    const type = new FixedSizeList(nF, child);
    const listData = makeData({ type, length: n, child: makeData({ type: child.type, length: values.length, data: values }) });
    const idVector = vectorFromArray(ids, new Utf8());
    const schema = new Schema([new Field('id', idVector.type, false), new Field('features', type, false)]);
    return tableToIPC(new Table([new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, children: [idVector.data[0], listData] }))]), 'stream');
  }
  const readers = (l: ReturnType<typeof inputLayout>, values: Float32Array) => ({
    scanner: () => scanRequest(Buffer.from(base64Body(values)), l, 100),
    general: () => readDocuments((JSON.parse(base64Body(values)) as { documents: unknown }).documents, l, 100),
    arrow: () => readArrowDocuments(arrowBody(values), l, 100),
  });

  it.each(Object.keys(layouts))('%s: every reader writes raw feature i of document d to row d, column[i]', (name) => {
    const kept = layouts[name];
    const l = inputLayout(nF, Int32Array.from(kept));
    const truth = new Float32Array(n * kept.length);
    for (let d = 0; d < n; d++) kept.forEach((i, c) => (truth[d * kept.length + c] = raw[d * nF + i]));
    for (const [reader, read] of Object.entries(readers(l, raw))) {
      const got = read() as { input: Float32Array; ids: unknown[] } | null;
      expect({ reader, input: Array.from(got?.input.subarray(0, truth.length) ?? []) }).toEqual({ reader, input: Array.from(truth) });
    }
  });

  it('a value that is not finite is refused at its own index, the first one when there are several, kept or dropped', () => {
    const l = inputLayout(nF, Int32Array.from(layouts['runs of 5 and 33 with gaps']));
    for (const bad of [Infinity, -Infinity, NaN]) {
      for (const at of [0, 3, 5, 6, 36, 39]) {
        const values = raw.slice();
        values[2 * nF + at] = bad;
        values[2 * nF + 39] = -Infinity; // a later one too: the first is named
        values[4 * nF + 1] = NaN; // and one in a later document
        for (const [reader, read] of Object.entries(readers(l, values))) {
          expect({ reader, ...(outcome(read) as object) }).toEqual({ reader, field: `documents[2].features[${at}]`, message: `documents[2].features[${at}]: expected a finite number (in float32 range), got ${String(at === 39 ? -Infinity : bad)}` });
        }
      }
    }
  });
});
