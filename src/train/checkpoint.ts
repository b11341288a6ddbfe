/**
 * Training checkpoints: one file, `<dir>/checkpoint.bin`, replaced atomically (written to a temporary
 * file in the same folder, flushed to disk, then renamed over the old one), so a crash at any moment
 * leaves either the previous checkpoint or the new one — never a torn file.
 *
 * Layout: the 8 bytes `COSCKPT1`, a uint32 LE header length H, H bytes of UTF-8 JSON (the header: stage,
 * config hash, step, the JSON-able loop state, the tensor table and the sha256 of the tensor bytes),
 * zero padding to a multiple of 4, then float32 little-endian tensors as in the model file.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '../util/atomicWrite';
import { sha256 } from '../util/hash';
import type { NamedTensor, Parameters } from '../model/spec';
import { packTensors, unpackTensors, type TensorEntry } from '../model/modelFile';

const MAGIC = 'COSCKPT1';
export const CHECKPOINT_FILE = 'checkpoint.bin';

/** What a checkpoint holds: named groups of tensors (parameters, Adam moments, best parameters…) and JSON state. */
export interface Checkpoint {
  stage: string;
  /** Hash of the config and data the run was started with (`configHash`); resume refuses a mismatch. */
  configHash: string;
  /** Optimizer steps completed. */
  step: number;
  /** Loop state: generator states, batch position, best figure, early-stopping counters, history. */
  state: Record<string, unknown>;
  tensors: Record<string, Parameters>;
}

/** A checkpoint that exists but cannot be used. */
export class CheckpointError extends Error {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'CheckpointError';
  }
}

export function checkpointPath(dir: string): string {
  return path.join(dir, CHECKPOINT_FILE);
}

/** Writes a checkpoint atomically (temp file, fsync, rename). */
export async function writeCheckpoint(dir: string, ckpt: Checkpoint): Promise<void> {
  const entries: [string, NamedTensor][] = [];
  for (const [group, params] of Object.entries(ckpt.tensors)) {
    for (const name of Object.keys(params).sort()) entries.push([`${group}/${name}`, params[name]]);
  }
  const { bytes, table } = packTensors(entries);
  const header = Buffer.from(
    JSON.stringify({
      stage: ckpt.stage,
      configHash: ckpt.configHash,
      step: ckpt.step,
      state: ckpt.state,
      tensors: table,
      sha256: sha256(bytes),
    }),
    'utf8',
  );
  const pad = (4 - ((MAGIC.length + 4 + header.length) % 4)) % 4;
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(header.length, MAGIC.length);

  await writeFileAtomic(checkpointPath(dir), [prefix, header, Buffer.alloc(pad), bytes], { fsync: true });
}

/** Reads `<dir>/checkpoint.bin`, or returns null when there is none. Corrupt files throw `CheckpointError`. */
export async function readCheckpoint(dir: string): Promise<Checkpoint | null> {
  const file = checkpointPath(dir);
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  if (buf.length < MAGIC.length + 4 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) throw new CheckpointError(file, 'not a cosrank checkpoint');
  const hlen = buf.readUInt32LE(MAGIC.length);
  const hstart = MAGIC.length + 4;
  if (hstart + hlen > buf.length) throw new CheckpointError(file, 'truncated header');
  const header = JSON.parse(buf.toString('utf8', hstart, hstart + hlen)) as {
    stage: string;
    configHash: string;
    step: number;
    state: Record<string, unknown>;
    tensors: TensorEntry[];
    sha256: string;
  };
  const dataStart = hstart + hlen + ((4 - ((hstart + hlen) % 4)) % 4);
  const data = buf.subarray(dataStart);
  if (sha256(data) !== header.sha256) throw new CheckpointError(file, 'checksum mismatch (the file is corrupt)');
  const tensors: Record<string, Parameters> = {};
  for (const [full, t] of unpackTensors(data, header.tensors, file)) {
    const slash = full.indexOf('/');
    const group = full.slice(0, slash);
    (tensors[group] ??= {})[full.slice(slash + 1)] = t;
  }
  return { stage: header.stage, configHash: header.configHash, step: header.step, state: header.state, tensors };
}
