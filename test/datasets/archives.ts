/**
 * Test helpers that build small archives in the published layouts without external tools: RAR 4.x and
 * ZIP with stored (uncompressed) entries, written from the format specifications (RAR: the RAR 4.x
 * technote; ZIP: PKWARE APPNOTE), and the local HTTP server the download tests talk to.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';

export interface ArchiveFile {
  name: string;
  data: Buffer;
}

const DOS_TIME_2009_07_01 = ((2009 - 1980) << 25) | (7 << 21) | (1 << 16);

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
}

/** A RAR 4.x block: 2-byte header CRC (low 16 bits of the CRC32 of the rest of the header) + the rest. */
function rarBlock(rest: Buffer): Buffer {
  return Buffer.concat([u16(crc32(rest) & 0xffff), rest]);
}

/** A RAR 4.x archive whose files are stored (method 0x30), names with `/` as on a Unix host. */
export function buildRar(files: ArchiveFile[]): Buffer {
  const marker = Buffer.from([0x52, 0x61, 0x72, 0x21, 0x1a, 0x07, 0x00]);
  const main = rarBlock(Buffer.concat([Buffer.from([0x73]), u16(0), u16(13), u16(0), u32(0)]));
  const parts = [marker, main];
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const header = rarBlock(
      Buffer.concat([
        Buffer.from([0x74]),
        u16(0x8000), // LONG_BLOCK: a data area follows the header
        u16(32 + name.length),
        u32(f.data.length), // packed size
        u32(f.data.length), // unpacked size
        Buffer.from([3]), // host OS: Unix
        u32(crc32(f.data)),
        u32(DOS_TIME_2009_07_01),
        Buffer.from([20, 0x30]), // version needed 2.0, method: store
        u16(name.length),
        u32(0o100644),
        name,
      ]),
    );
    parts.push(header, f.data);
  }
  parts.push(rarBlock(Buffer.concat([Buffer.from([0x7b]), u16(0x4000), u16(7)])));
  return Buffer.concat(parts);
}

/** A ZIP archive whose files are stored (method 0). */
export function buildZip(files: ArchiveFile[]): Buffer {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const crc = crc32(f.data);
    const common = Buffer.concat([u16(20), u16(0), u16(0), u32(DOS_TIME_2009_07_01), u32(crc), u32(f.data.length), u32(f.data.length), u16(name.length), u16(0)]);
    const head = Buffer.concat([u32(0x04034b50), common, name]);
    local.push(head, f.data);
    central.push(Buffer.concat([u32(0x02014b50), u16(20), common, u16(0), u16(0), u16(0), u32(0), u32(offset), name]));
    offset += head.length + f.data.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.concat([u32(0x06054b50), u16(0), u16(0), u16(files.length), u16(files.length), u32(dir.length), u32(offset), u16(0)]);
  return Buffer.concat([...local, dir, end]);
}

export interface TestServer {
  url(path: string): string;
  /** Range headers of the requests for each path, in order (`null` = none). */
  ranges: Map<string, (string | null)[]>;
  close(): Promise<void>;
}

export interface ServedFile {
  body: Buffer;
  contentType?: string;
  /** Close the connection after this many body bytes on the first `cutTimes` requests (default once). */
  cutAfter?: number;
  cutTimes?: number;
  /** Ignore Range headers (always 200 with the whole body). */
  noRanges?: boolean;
  /** Answer a Range request with 206 and the whole body from byte 0 (a broken server). */
  rangeFromZero?: boolean;
}

/** An HTTP server on 127.0.0.1 (an ephemeral port) serving `files` with byte ranges; other paths are 404. */
export async function serve(files: Record<string, ServedFile>): Promise<TestServer> {
  const ranges = new Map<string, (string | null)[]>();
  const served = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const p = req.url ?? '/';
    const file = files[p];
    if (!file) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    const range = req.headers.range ?? null;
    ranges.set(p, [...(ranges.get(p) ?? []), range]);
    const count = (served.get(p) ?? 0) + 1;
    served.set(p, count);
    const m = range && !file.noRanges ? /^bytes=(\d+)-$/.exec(range) : null;
    const start = m && !file.rangeFromZero ? Number(m[1]) : 0;
    if (start >= file.body.length && m) {
      res.writeHead(416, { 'content-range': `bytes */${file.body.length}` }).end();
      return;
    }
    const body = file.body.subarray(start);
    const headers: http.OutgoingHttpHeaders = { 'content-type': file.contentType ?? 'application/octet-stream', 'content-length': body.length, 'accept-ranges': 'bytes' };
    if (m) headers['content-range'] = `bytes ${start}-${file.body.length - 1}/${file.body.length}`;
    res.writeHead(m ? 206 : 200, headers);
    if (file.cutAfter !== undefined && count <= (file.cutTimes ?? 1)) {
      res.write(body.subarray(0, file.cutAfter), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: (p) => `http://127.0.0.1:${port}${p}`,
    ranges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
