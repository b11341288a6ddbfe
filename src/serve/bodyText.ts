/**
 * What `JSON.parse` resolves silently in a request body, refused instead: bytes that are not UTF-8 (Node's
 * decoder replaces them with U+FFFD, so two different invalid ids became one) and a key given twice in
 * one object (the last one would win: `"documents"` twice scored only the second list). Shared by the
 * JSON scanner (for the strings and option values it decodes) and the general path (the whole body).
 */
import { isUtf8 } from 'node:buffer';
import { RequestError } from './tradeoff';

/** The text of `bytes[start, end)`, refused with the body offset of the first byte that is not UTF-8. */
export function decodeUtf8(bytes: Buffer, start = 0, end = bytes.length): string {
  if (!isUtf8(bytes.subarray(start, end))) throw new RequestError('body', `not valid UTF-8 at byte ${firstInvalidUtf8(bytes, start, end)}`);
  return bytes.toString('utf8', start, end);
}

/** Where the first byte sequence of `b[start, end)` that is not UTF-8 starts (run only after `isUtf8` said one does). */
function firstInvalidUtf8(b: Uint8Array, start: number, end: number): number {
  for (let p = start; p < end; ) {
    const c = b[p];
    const more = c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2 : c >= 0xf0 && c < 0xf5 ? 3 : -1;
    if (more < 0) return p;
    // the second byte's range excludes overlong forms, surrogates and code points past U+10FFFF
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= more; k++) {
      const x = p + k < end ? b[p + k] : -1;
      if (x < (k === 1 ? lo : 0x80) || x > (k === 1 ? hi : 0xbf)) return p;
    }
    p += more + 1;
  }
  return end;
}

/** Message of a key given twice in one object. */
export function givenTwice(field: string): RequestError {
  return new RequestError(field, 'given twice');
}

/** An object or array open at this point of the pass: its keys so far (objects), and where in it the pass is. */
interface Open {
  keys: Set<string> | null;
  key: string;
  index: number;
  expectKey: boolean;
}

/**
 * Refuses a key given twice in any object of the JSON text `bytes[start, end)` (valid JSON: parsed
 * already), naming it by its path from `prefix` (`documents[3].id`). One pass over the bytes, values
 * skipped by brackets and strings; a set of keys per open object.
 */
export function checkDuplicateKeys(bytes: Buffer, start = 0, end = bytes.length, prefix = ''): void {
  const open: Open[] = [];
  for (let p = start; p < end; p++) {
    const c = bytes[p];
    const top = open[open.length - 1];
    if (c === 0x22) {
      const from = p;
      let escaped = false;
      for (p++; p < end && bytes[p] !== 0x22; p++) {
        if (bytes[p] !== 0x5c) continue;
        escaped = true;
        p++;
      }
      if (top?.keys == null || !top.expectKey) continue;
      // escapes and non-ASCII spell a key through JSON.parse; plain ones are their bytes
      const key = escaped || !isAscii(bytes, from, p) ? (JSON.parse(bytes.toString('utf8', from, p + 1)) as string) : bytes.toString('latin1', from + 1, p);
      if (top.keys.has(key)) throw givenTwice(path(prefix, open, key));
      top.keys.add(key);
      top.key = key;
      top.expectKey = false;
    } else if (c === 0x7b || c === 0x5b) open.push({ keys: c === 0x7b ? new Set() : null, key: '', index: 0, expectKey: c === 0x7b });
    else if (c === 0x7d || c === 0x5d) open.pop();
    else if (c === 0x2c && top !== undefined) {
      if (top.keys === null) top.index++;
      else top.expectKey = true;
    }
  }
}

function isAscii(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] >= 0x80) return false;
  return true;
}

/** `prefix` followed by each open level (`.key` or `[index]`), then `.key` (no dot at the very start). */
function path(prefix: string, open: Open[], key: string): string {
  let out = prefix;
  for (const level of open.slice(0, -1)) out += level.keys === null ? `[${level.index}]` : (out === '' ? '' : '.') + level.key;
  return out + (out === '' ? '' : '.') + key;
}
