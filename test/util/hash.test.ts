import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { Sha256, canonicalJson, littleEndianBytes, sha256, sha256File, sha256Json, sha256Stream } from '../../src/util/hash';

// FIPS 180-2 test vectors
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

describe('sha256', () => {
  it('matches the published vectors for strings and bytes', () => {
    expect(sha256('abc')).toBe(ABC);
    expect(sha256(Buffer.from('abc'))).toBe(ABC);
    expect(sha256()).toBe(EMPTY);
    expect(sha256('a', 'b', 'c')).toBe(ABC);
    expect(new Sha256().update('ab').update(Uint8Array.of(99)).hex()).toBe(ABC);
  });

  it('hashes typed arrays as their little-endian bytes', () => {
    const a = Float32Array.of(1, -2.5);
    const bytes = Buffer.alloc(8);
    bytes.writeFloatLE(1, 0);
    bytes.writeFloatLE(-2.5, 4);
    expect(sha256(a)).toBe(sha256(bytes));
    expect(Buffer.from(littleEndianBytes(Int32Array.of(258)))).toEqual(Buffer.from([2, 1, 0, 0]));
  });

  it('hashes streams and files like their bytes', async () => {
    expect(await sha256Stream(Readable.from([Buffer.from('a'), Buffer.from('bc')]))).toBe(ABC);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-hash-'));
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, 'abc');
    expect(await sha256File(file)).toBe(ABC);
    fs.rmSync(dir, { recursive: true });
  });

  it('canonical JSON sorts keys at every level so key order does not change the hash', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe('{"a":[{"c":3,"d":2}],"b":1}');
    expect(sha256Json({ x: 1, y: 2 })).toBe(sha256Json({ y: 2, x: 1 }));
    expect(sha256Json({ x: 1 })).toBe(sha256('{"x":1}'));
  });
});
