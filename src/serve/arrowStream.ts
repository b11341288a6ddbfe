/**
 * The walk an Arrow IPC stream body passes before apache-arrow reads it (O(metadata bytes)).
 *
 * Framing: every message whole, the end-of-stream marker after the last, nothing after it. apache-arrow
 * stops quietly at the end of the bytes and at the marker, so a body cut after a whole record batch lost
 * its later documents, and bytes after the marker were ignored. The format lets a writer end a stream by
 * closing it, without the marker; over HTTP that cannot be told from a body cut at a batch boundary, so
 * the marker is required (Arrow writers emit it when closed: pyarrow, arrow-rs, `tableToIPC`).
 *
 * Metadata: apache-arrow trusts each message's flatbuffer header. Its reads past the bytes give 0 rather
 * than fail, and it loops over whatever counts the header states: one corrupted byte turning a record
 * batch's 3 field nodes into 14.6 million cost 13 s and 850 MB. So every part apache-arrow decodes (the
 * counts it loops over, the tables it follows) is checked to lie within the message's metadata, all of it
 * within one budget of the metadata's size (parts that refer to each other many times would otherwise
 * multiply the work), and the batch contents it will trust are checked against the schema: rows within
 * the limit, each field node no longer than the batch length allows, each buffer inside the message body.
 */
import { RequestError } from './tradeoff';

/** Message header types (Arrow `MessageHeader`), field types (`Type`) used below, and metadata versions. */
const SCHEMA = 1;
const DICTIONARY_BATCH = 2;
const RECORD_BATCH = 3;
const TYPE = { timestamp: 10, struct: 13, union: 14, fixedSizeList: 16 };
const V4 = 3;
const V5 = 4;
/** Deepest field nesting walked (the documented shape nests 2 deep; apache-arrow recurses as deep as given). */
const MAX_DEPTH = 64;

/**
 * What a schema lets a batch hold: per field node (apache-arrow's depth-first order), the most values
 * per row (a fixed-size list's child holds listSize per row; a variable-size list's child, any number:
 * Infinity); and the same for each dictionary's values, by dictionary id.
 */
interface SchemaShape {
  nodes: number[];
  dictionaries: Map<number, number[]>;
}

/** The most rows a body may hold, and the error for `rows` past it. */
export interface RowLimit {
  maxRows: number;
  tooMany: (rows: number) => RequestError;
}

/** Checks the framing and the metadata of the IPC stream `b` (see the module comment). */
export function checkStream(b: Uint8Array, limit: RowLimit): void {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const state = { schema: null as SchemaShape | null, rows: 0, dictionaryValues: 0 };
  let p = 0;
  for (let start = 0; ; start = p) {
    if (p + 4 <= b.length && view.getInt32(p, true) === -1) p += 4; // continuation marker (absent before format 0.15)
    if (p + 4 > b.length) throw new RequestError('body', `not a complete Arrow IPC stream: no end-of-stream marker after ${b.length} bytes (cut short?)`);
    const size = view.getInt32(p, true);
    p += 4;
    if (size === 0) {
      if (p === b.length) return;
      throw new RequestError('body', `${b.length - p} bytes after the Arrow IPC end-of-stream marker at byte ${start}; expected nothing`);
    }
    if (size < 0 || p + size > b.length) throw cutShort(start);
    const m = new Metadata(view, p, p + size, start);
    const bodyLength = m.i64(m.root, 3);
    if (bodyLength < 0 || bodyLength > b.length - p - size) throw cutShort(start);
    checkMessage(m, bodyLength, state, limit);
    p += size + bodyLength;
  }
}

const cutShort = (start: number) => new RequestError('body', `not a complete Arrow IPC stream: the message at byte ${start} is cut short or malformed`);

/** One message: a schema (first, once), then dictionary and record batches that fit it and the row limit. */
function checkMessage(m: Metadata, bodyLength: number, state: { schema: SchemaShape | null; rows: number; dictionaryValues: number }, limit: RowLimit): void {
  const version = m.i16(m.root, 0);
  if (version !== V4 && version !== V5) m.fail(`metadata version ${version + 1}; expected 4 or 5 (Arrow 0.8 or later)`);
  m.keyValues(m.root, 4);
  const type = m.u8(m.root, 1);
  const header = m.table(m.ref(m.root, 2), 'header');
  if (type === SCHEMA) {
    if (state.schema !== null) m.fail('a second schema; expected one, first');
    state.schema = schemaShape(m, header);
    return;
  }
  if (state.schema === null) m.fail('a batch before the schema');
  if (type === RECORD_BATCH) {
    state.rows += checkBatch(m, header, state.schema.nodes, bodyLength);
    if (state.rows > limit.maxRows) throw limit.tooMany(state.rows);
  } else if (type === DICTIONARY_BATCH) {
    const nodes = state.schema.dictionaries.get(m.i64(header, 0)) ?? m.fail('a dictionary batch whose id no schema field names');
    // the dictionary of ids holds at most one value per document
    state.dictionaryValues += checkBatch(m, m.table(m.ref(header, 1), 'dictionary data'), nodes, bodyLength);
    if (state.dictionaryValues > limit.maxRows) m.fail(`dictionaries of more than ${limit.maxRows} values (the documents' ids need at most one per document)`);
  } else m.fail(`a message of type ${type}; expected a schema (1), dictionary batch (2) or record batch (3)`);
}

/** The rows of a record batch, its field nodes within what `nodes` allows and its buffers within the body. */
function checkBatch(m: Metadata, batch: number, nodes: number[], bodyLength: number): number {
  const length = m.i64(batch, 0);
  if (length < 0) m.fail(`a batch of ${length} rows`);
  const [at, count] = m.vector(batch, 1, 16, 'field nodes');
  if (count !== nodes.length) m.fail(`a batch of ${count} field nodes; its schema has ${nodes.length}`);
  for (let i = 0; i < count; i++) {
    const n = m.view.getBigInt64(at + 16 * i, true);
    const nulls = m.view.getBigInt64(at + 16 * i + 8, true);
    if (n < 0n || nulls < 0n || nulls > n || Number(n) > nodes[i] * length) {
      m.fail(`field node ${i} of length ${n} (${nulls} nulls) in a batch of ${length} rows; expected at most ${nodes[i] * length}`);
    }
  }
  const [buffers, nBuffers] = m.vector(batch, 2, 16, 'buffers');
  for (let i = 0; i < nBuffers; i++) {
    const offset = m.view.getBigInt64(buffers + 16 * i, true);
    const size = m.view.getBigInt64(buffers + 16 * i + 8, true);
    if (offset < 0n || size < 0n || offset + size > BigInt(bodyLength)) m.fail(`buffer ${i} at [${offset}, ${offset + size}) outside its body of ${bodyLength} bytes`);
  }
  m.table(m.ref(batch, 3), 'compression', true);
  // apache-arrow makes an array of each variadic count (string views): together no more than the buffers
  const [counts, nCounts] = m.vector(batch, 4, 8, 'variadic buffer counts');
  let variadic = 0n;
  for (let i = 0; i < nCounts; i++) variadic += BigInt.asUintN(64, m.view.getBigInt64(counts + 8 * i, true));
  if (variadic > BigInt(nBuffers)) m.fail(`variadic buffer counts adding up to ${variadic}, more than its ${nBuffers} buffers`);
  return length;
}

function schemaShape(m: Metadata, schema: number): SchemaShape {
  const shape: SchemaShape = { nodes: [], dictionaries: new Map() };
  m.keyValues(schema, 2);
  m.tables(schema, 1, 'fields', (field) => walkField(m, field, 1, shape.nodes, shape, 0));
  return shape;
}

/**
 * A field and its children, as apache-arrow decodes them: each adds its node's values per row to
 * `nodes`; a dictionary-encoded field adds its indices there and its values' nodes to its dictionary.
 */
function walkField(m: Metadata, field: number, perRow: number, nodes: number[], shape: SchemaShape, depth: number): void {
  if (depth > MAX_DEPTH) m.fail(`fields nested more than ${MAX_DEPTH} deep`);
  m.string(field, 0, 'name');
  m.keyValues(field, 6);
  const type = m.u8(field, 2);
  const typeTable = m.table(m.ref(field, 3), 'type', true);
  if (type === TYPE.timestamp && typeTable !== 0) m.string(typeTable, 1, 'time zone');
  if (type === TYPE.union && typeTable !== 0) m.vector(typeTable, 1, 4, 'union type ids');
  nodes.push(perRow);
  const encoding = m.table(m.ref(field, 4), 'dictionary encoding', true);
  let into = nodes;
  let base = perRow;
  if (encoding !== 0) {
    m.table(m.ref(encoding, 1), 'dictionary index type', true);
    const id = m.i64(encoding, 0);
    // the values' nodes travel in the dictionary's batches; a repeated id reuses the first field's type
    into = shape.dictionaries.has(id) ? [] : [1];
    if (into.length === 1) shape.dictionaries.set(id, into);
    base = 1;
  }
  const children = childValues(m, type, typeTable, base);
  m.tables(field, 5, 'children', (child) => walkField(m, child, children, into, shape, depth + 1));
}

/** Values per row of a field's children: listSize × for a fixed-size list, the same for a struct or sparse union, else any. */
function childValues(m: Metadata, type: number, typeTable: number, perRow: number): number {
  if (type === TYPE.fixedSizeList) return perRow * Math.max(0, typeTable === 0 ? 0 : m.i32(typeTable, 0));
  if (type === TYPE.struct || (type === TYPE.union && (typeTable === 0 || m.i16(typeTable, 0) === 0))) return perRow;
  return Infinity;
}

/**
 * One message's flatbuffer metadata, `view[lo, hi)`, read with every position checked to lie inside it
 * and every part read charged to a budget of its size. A position 0 stands for "absent".
 */
class Metadata {
  readonly root: number;
  private budget: number;

  constructor(
    readonly view: DataView,
    private readonly lo: number,
    private readonly hi: number,
    private readonly start: number,
  ) {
    this.budget = hi - lo;
    if (hi - lo < 4) this.fail('metadata shorter than 4 bytes');
    this.root = this.table(lo + view.getUint32(lo, true), 'message');
  }

  fail(what: string): never {
    throw new RequestError('body', `not a readable Arrow IPC stream: the message at byte ${this.start} has ${what}`);
  }

  private charge(bytes: number, what: string): void {
    this.budget -= bytes;
    if (this.budget < 0) this.fail(`${what} beyond its ${this.hi - this.lo} bytes of metadata (parts read more than once?)`);
  }

  /** The table at `at` (0 if `at` is 0 and `optional`), its vtable and inline part inside the metadata. */
  table(at: number, what: string, optional = false): number {
    if (at === 0 && optional) return 0;
    if (at < this.lo || at + 4 > this.hi) this.fail(`its ${what} outside its metadata`);
    const vtable = at - this.view.getInt32(at, true);
    if (vtable < this.lo || vtable + 4 > this.hi) this.fail(`its ${what} outside its metadata`);
    const vsize = this.view.getUint16(vtable, true);
    // an odd size would let readers take a slot half outside it
    if (vsize < 4 || vsize % 2 !== 0 || vtable + vsize > this.hi || at + this.view.getUint16(vtable + 2, true) > this.hi) this.fail(`its ${what} outside its metadata`);
    this.charge(4, what);
    return at;
  }

  /** Where field `slot` of `table` lies (0: absent), `width` bytes inside the table's inline part. */
  private field(table: number, slot: number, width: number): number {
    const vtable = table - this.view.getInt32(table, true);
    const entry = 4 + 2 * slot;
    if (entry >= this.view.getUint16(vtable, true)) return 0;
    const offset = this.view.getUint16(vtable + entry, true);
    if (offset === 0) return 0;
    if (offset + width > this.view.getUint16(vtable + 2, true)) this.fail(`field ${slot} of a table outside the table`);
    return table + offset;
  }

  u8(table: number, slot: number): number {
    const at = this.field(table, slot, 1);
    return at === 0 ? 0 : this.view.getUint8(at);
  }

  i16(table: number, slot: number): number {
    const at = this.field(table, slot, 2);
    return at === 0 ? 0 : this.view.getInt16(at, true);
  }

  i32(table: number, slot: number): number {
    const at = this.field(table, slot, 4);
    return at === 0 ? 0 : this.view.getInt32(at, true);
  }

  i64(table: number, slot: number): number {
    const at = this.field(table, slot, 8);
    return at === 0 ? 0 : Number(this.view.getBigInt64(at, true));
  }

  /** Where the table, vector or string that field `slot` refers to lies (0: absent; not yet checked). */
  ref(table: number, slot: number): number {
    const at = this.field(table, slot, 4);
    return at === 0 ? 0 : at + this.view.getUint32(at, true);
  }

  /** A vector of `count` elements of `size` bytes, all inside the metadata: [first element, count]. */
  vector(table: number, slot: number, size: number, what: string): [number, number] {
    const at = this.ref(table, slot);
    if (at === 0) return [0, 0];
    if (at + 4 > this.hi) this.fail(`its ${what} outside its metadata`);
    const count = this.view.getUint32(at, true);
    if (at + 4 + count * size > this.hi) this.fail(`${count} ${what} (${count} × ${size} bytes) running past its ${this.hi - this.lo} bytes of metadata`);
    this.charge(count * size, what);
    return [at + 4, count];
  }

  string(table: number, slot: number, what: string): void {
    this.vector(table, slot, 1, `${what} bytes`);
  }

  /** A vector of tables, each checked and handed to `each`. */
  tables(table: number, slot: number, what: string, each: (table: number) => void): void {
    const [at, count] = this.vector(table, slot, 4, what);
    for (let i = 0; i < count; i++) each(this.table(at + 4 * i + this.view.getUint32(at + 4 * i, true), what));
  }

  /** Custom metadata (a vector of key-value tables), as apache-arrow decodes it. */
  keyValues(table: number, slot: number): void {
    this.tables(table, slot, 'custom metadata', (kv) => {
      this.string(kv, 0, 'metadata key');
      this.string(kv, 1, 'metadata value');
    });
  }
}
