/**
 * Archive extraction for the published dataset formats, chosen by the file's first bytes (a renamed or
 * mislabelled download still extracts): zip (yauzl, zip64 for the 3.8 GB MSLR-WEB30K), rar (the official
 * unrar compiled to WebAssembly, node-unrar-js: LETOR 4.0 ships .rar), tar.gz and plain tar (tar),
 * tar.bz2 (unbzip2-stream then tar: the Yahoo! archive). Node alone reads none of these containers.
 *
 * Every entry name is checked before anything is written: an absolute path or a `..` segment is an
 * error, never a write outside the destination folder. A truncated or damaged archive is a DataError
 * naming the archive.
 */
import { createReadStream, createWriteStream, promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { DataError } from '../../util/errors';
import type { ProgressCallback } from '../../util/progress';
import type { ArchiveFormat } from './catalogue';

/** The container format of `file` from its magic bytes, or a DataError saying what cosrank reads. */
export async function detectArchiveFormat(file: string): Promise<ArchiveFormat> {
  const fh = await fsp.open(file, 'r');
  const head = Buffer.alloc(512);
  let n: number;
  try {
    ({ bytesRead: n } = await fh.read(head, 0, 512, 0));
  } finally {
    await fh.close();
  }
  const at = (offset: number, bytes: number[]) => n >= offset + bytes.length && bytes.every((b, i) => head[offset + i] === b);
  if (at(0, [0x50, 0x4b, 0x03, 0x04]) || at(0, [0x50, 0x4b, 0x05, 0x06])) return 'zip';
  if (at(0, [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07])) return 'rar';
  if (at(0, [0x1f, 0x8b])) return 'tar.gz';
  if (at(0, [0x42, 0x5a, 0x68])) return 'tar.bz2';
  if (at(257, [0x75, 0x73, 0x74, 0x61, 0x72])) return 'tar';
  throw new DataError(file, null, `not an archive cosrank can read (${n} bytes; expected zip, rar, tar.gz, tar.bz2 or tar)`);
}

/** `name` made relative and checked: no absolute path, no `..` segment. */
export function safeEntryPath(archive: string, name: string): string {
  const normal = name.replace(/\\/g, '/');
  const parts = normal.split('/').filter((p) => p !== '' && p !== '.');
  if (normal.startsWith('/') || /^[a-zA-Z]:/.test(normal) || parts.includes('..')) {
    throw new DataError(archive, null, `entry '${name}' would be written outside the extraction folder`);
  }
  return parts.join('/');
}

function damaged(archive: string, format: ArchiveFormat, err: unknown): DataError {
  if (err instanceof DataError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new DataError(archive, null, `cannot extract this ${format} archive (${msg}); it is truncated or damaged`);
}

/**
 * Extracts every file of `archive` under `dest` (an existing, empty folder). Progress: stage `extract`,
 * `done` = files written. Returns the format found.
 */
export async function extractArchive(archive: string, dest: string, onProgress?: ProgressCallback): Promise<ArchiveFormat> {
  const format = await detectArchiveFormat(archive);
  let files = 0;
  const wrote = () => onProgress?.({ stage: 'extract', done: ++files });
  try {
    if (format === 'zip') await extractZip(archive, dest, wrote);
    else if (format === 'rar') await extractRar(archive, dest, wrote);
    else await extractTar(archive, dest, format, wrote);
  } catch (err) {
    throw damaged(archive, format, err);
  }
  return format;
}

async function extractZip(archive: string, dest: string, wrote: () => void): Promise<void> {
  const yauzl = await import('yauzl');
  const zip = await new Promise<import('yauzl').ZipFile>((resolve, reject) =>
    yauzl.open(archive, { lazyEntries: true, autoClose: true }, (err, z) => (err ? reject(err) : resolve(z))),
  );
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', (entry: import('yauzl').Entry) => {
      const write = async () => {
        const rel = safeEntryPath(archive, entry.fileName);
        if (entry.fileName.endsWith('/') || rel === '') return;
        const out = path.join(dest, rel);
        await fsp.mkdir(path.dirname(out), { recursive: true });
        const stream = await new Promise<Readable>((res, rej) => zip.openReadStream(entry, (err, s) => (err ? rej(err) : res(s))));
        await pipeline(stream, createWriteStream(out));
        wrote();
      };
      write().then(
        () => zip.readEntry(),
        (err) => {
          zip.close();
          reject(err);
        },
      );
    });
    zip.readEntry();
  });
}

async function extractRar(archive: string, dest: string, wrote: () => void): Promise<void> {
  const { createExtractorFromFile } = await import('node-unrar-js');
  const extractor = await createExtractorFromFile({ filepath: archive, targetPath: dest, filenameTransform: (name) => safeEntryPath(archive, name) });
  const { files } = extractor.extract();
  for (const file of files) {
    if (!file.fileHeader.flags.directory) wrote();
  }
}

async function extractTar(archive: string, dest: string, format: ArchiveFormat, wrote: () => void): Promise<void> {
  const tar = await import('tar');
  const filter = (p: string) => {
    safeEntryPath(archive, p);
    return true;
  };
  // strict: a warning (bad header, truncated entry) is an error, not a skipped file.
  const opts = { cwd: dest, strict: true, filter, onReadEntry: () => wrote() };
  if (format === 'tar.bz2') {
    const bz2 = (await import('unbzip2-stream')).default;
    await pipeline(createReadStream(archive), bz2(), tar.x(opts));
  } else {
    await tar.x({ ...opts, file: archive });
  }
}
