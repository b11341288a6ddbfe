/**
 * The run manifest: a JSON file beside the model recording what produced it — normalised config,
 * seed, dataset hashes, package versions, engine and why it was chosen, timings and final figures —
 * so a run can be audited and repeated.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rename, writeFile, mkdir } from 'node:fs/promises';
import * as path from 'node:path';
import type { RankingDataset } from '../data/dataset';
import type { Parameters } from '../model/spec';

export const MANIFEST_FILE = 'run.json';

/**
 * sha256 over a dataset's numbers, in this order: nFeatures (uint32 LE), queryOffsets (int32 LE),
 * features (float32 LE), then each label column (float32 LE). Names and ids are not hashed: two
 * datasets with equal hashes train identically.
 */
export function datasetHash(ds: RankingDataset): string {
  const h = createHash('sha256');
  const head = Buffer.alloc(4);
  head.writeUInt32LE(ds.nFeatures);
  h.update(head);
  for (const a of [ds.queryOffsets, ds.features, ...ds.labels]) h.update(littleEndianBytes(a));
  return h.digest('hex');
}

/** sha256 over named tensors (sorted by name: name, shape, float32 LE data), e.g. to tie a COS run to its base. */
export function parametersHash(params: Parameters): string {
  const h = createHash('sha256');
  for (const name of Object.keys(params).sort()) {
    h.update(`${name}[${params[name].shape.join(',')}]`);
    h.update(littleEndianBytes(params[name].data));
  }
  return h.digest('hex');
}

function littleEndianBytes(a: Int32Array | Float32Array): Uint8Array {
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  if (new Uint8Array(Uint16Array.of(1).buffer)[0] === 1) return bytes;
  const out = new Uint8Array(a.byteLength);
  for (let i = 0; i < a.byteLength; i += 4) for (let b = 0; b < 4; b++) out[i + b] = bytes[i + 3 - b];
  return out;
}

/** A short description of a dataset for the manifest. */
export function datasetSummary(ds: RankingDataset, file?: string): Record<string, unknown> {
  return {
    ...(file ? { file } : {}),
    sha256: datasetHash(ds),
    queries: ds.queryOffsets.length - 1,
    documents: ds.queryOffsets[ds.queryOffsets.length - 1],
    features: ds.nFeatures,
    labels: ds.labelNames,
  };
}

/** Installed versions of the packages that shape results (null when a package is absent). */
export function packageVersions(): Record<string, string | null> {
  const names = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'onnxruntime-node'];
  const out: Record<string, string | null> = { node: process.versions.node, cosrank: ownVersion() };
  for (const n of names) out[n] = installedVersion(n);
  return out;
}

function ownVersion(): string | null {
  try {
    return (JSON.parse(readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** Version from the package's own package.json, found from its resolved entry point (exports maps may hide it). */
function installedVersion(name: string): string | null {
  let dir: string;
  try {
    dir = path.dirname(require.resolve(name));
  } catch {
    return null;
  }
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? null;
    } catch {
      // no package.json at this level: keep walking up
    }
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/** Writes `<dir>/run.json` atomically (temp file then rename). */
export async function writeManifest(dir: string, manifest: Record<string, unknown>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, MANIFEST_FILE);
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, JSON.stringify(manifest, null, 2) + '\n');
  await rename(tmp, file);
  return file;
}
