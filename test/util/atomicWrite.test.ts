import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  WriteError,
  checkWritable,
  isTemporaryName,
  openAtomicStream,
  replaceDirAtomic,
  writeAtomic,
  writeFileAtomic,
  writeJsonAtomic,
  writeStreamAtomic,
} from '../../src/util/atomicWrite';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-atomic-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const leftovers = (d = dir) => fs.readdirSync(d).filter(isTemporaryName);
const enospc = () => Object.assign(new Error('write failed'), { code: 'ENOSPC' });

describe('writeFileAtomic', () => {
  it('writes text and bytes, replacing an existing file, and leaves no temporary file', async () => {
    const file = path.join(dir, 'a.txt');
    await writeFileAtomic(file, 'first');
    await writeFileAtomic(file, Buffer.from('second'));
    expect(fs.readFileSync(file, 'utf8')).toBe('second');
    await writeFileAtomic(file, [Buffer.from('th'), Buffer.from('ird')], { fsync: true });
    expect(fs.readFileSync(file, 'utf8')).toBe('third');
    await writeJsonAtomic(path.join(dir, 'sub', 'x.json'), { a: 1 });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'sub', 'x.json'), 'utf8'))).toEqual({ a: 1 });
    expect(leftovers()).toEqual([]);
  });

  it('names the target path when the folder cannot hold it (a file where a folder should be)', async () => {
    fs.writeFileSync(path.join(dir, 'plain'), 'x');
    const target = path.join(dir, 'plain', 'out.txt');
    const err = await writeFileAtomic(target, 'x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteError);
    expect((err as WriteError).file).toBe(target);
    expect((err as Error).message).toContain(target);
    expect((err as WriteError).code).toMatch(/ENOTDIR|EEXIST/);
  });
});

describe('writeAtomic', () => {
  it('keeps the old target and removes the temporary file when the producer fails midway', async () => {
    const file = path.join(dir, 'keep.txt');
    fs.writeFileSync(file, 'old');
    const err = await writeAtomic(file, async (tmp) => {
      fs.writeFileSync(tmp, 'half');
      throw enospc();
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteError);
    expect((err as Error).message).toBe(`${file}: cannot write (ENOSPC: no space left on the device)`);
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
    expect(leftovers()).toEqual([]);
  });

  it('passes errors that are not file-system errors through unchanged', async () => {
    class Mine extends Error {}
    const err = await writeAtomic(path.join(dir, 'x'), () => Promise.reject(new Mine('bad row'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Mine);
    expect(leftovers()).toEqual([]);
  });
});

describe('streaming', () => {
  it('writes chunks and shows nothing at the target before commit', async () => {
    const file = path.join(dir, 'big.txt');
    const out = await openAtomicStream(file);
    for (let k = 0; k < 1000; k++) await out.write(`line ${k}\n`);
    expect(fs.existsSync(file)).toBe(false);
    await out.commit();
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.length).toBe(1001);
    expect(lines[999]).toBe('line 999');
    expect(leftovers()).toEqual([]);
  });

  it('a stream error (e.g. a full disk) becomes a WriteError naming the target, with nothing left behind', async () => {
    const file = path.join(dir, 'full.txt');
    fs.writeFileSync(file, 'old');
    const err = await writeStreamAtomic(file, async (out) => {
      await out.write('some text\n');
      out.stream.destroy(enospc());
      await new Promise((r) => setImmediate(r));
      await out.write('more\n');
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteError);
    expect((err as WriteError).code).toBe('ENOSPC');
    expect((err as Error).message).toContain(file);
    expect(fs.readFileSync(file, 'utf8')).toBe('old');
    expect(leftovers()).toEqual([]);
  });
});

describe('replaceDirAtomic', () => {
  it('replaces a directory whole, and keeps the old one when the producer fails', async () => {
    const target = path.join(dir, 'model');
    await replaceDirAtomic(target, async (tmp) => fs.writeFileSync(path.join(tmp, 'a'), '1'));
    await replaceDirAtomic(target, async (tmp) => fs.writeFileSync(path.join(tmp, 'b'), '2'));
    expect(fs.readdirSync(target)).toEqual(['b']);
    await expect(
      replaceDirAtomic(target, async (tmp) => {
        fs.writeFileSync(path.join(tmp, 'c'), '3');
        throw enospc();
      }),
    ).rejects.toThrow(`${target}: cannot write (ENOSPC`);
    expect(fs.readdirSync(target)).toEqual(['b']);
    expect(leftovers()).toEqual([]);
  });
});

describe('checkWritable', () => {
  it('passes for a writable folder, leaves nothing behind, and names the target otherwise', async () => {
    await checkWritable(path.join(dir, 'new', 'out.arrow'));
    expect(leftovers(path.join(dir, 'new'))).toEqual([]);
    fs.writeFileSync(path.join(dir, 'file'), 'x');
    const target = path.join(dir, 'file', 'out.arrow');
    await expect(checkWritable(target)).rejects.toThrow(`${target}: cannot write`);
    fs.mkdirSync(path.join(dir, 'folder'));
    await expect(checkWritable(path.join(dir, 'folder'))).rejects.toThrow(/EISDIR: the target is a folder/);
  });
});
