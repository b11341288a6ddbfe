/**
 * The run manifest: `run.json`, one shape for every command that trains (`cosrank run`, `train-base`,
 * `train`), recording what produced the output — normalised config, seed, dataset hashes, package
 * versions, engine, what each stage did, timings and final figures — so a run can be audited and repeated.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { RankingDataset } from '../data/dataset';
import { datasetHash } from '../util/hash';
import { writeJsonAtomic } from '../util/atomicWrite';

export const MANIFEST_FILE = 'run.json';

/** A dataset as the manifest records it: content hash (see `datasetHash`) and shape. */
export interface DatasetSummary {
  /** The file(s) it was read from, when it was read (comma-separated). */
  file?: string;
  sha256: string;
  queries: number;
  documents: number;
  features: number;
  labels: string[];
}

/** What one stage did (a cached stage of `cosrank run` also has its key and folder). */
export interface ManifestStage {
  stage: string;
  key?: string;
  dir?: string;
  reused: boolean;
  seconds: number;
  createdAt: string;
}

/** The one manifest shape. */
export interface RunManifest {
  /** e.g. `cosrank run`, `cosrank train-base`, `cosrank train`. */
  command: string;
  createdAt: string;
  seed: number;
  /** The normalised config (every default filled in). */
  config: unknown;
  /** The config file as given, or null. */
  configFile: string | null;
  engine: { name: string; description: string };
  packages: Record<string, string | null>;
  /** Where the data came from (`source`) and a summary per split. */
  data: { source?: string } & Partial<Record<'train' | 'validation' | 'test', DatasetSummary>>;
  /** The base model folder a COS stage started from (`cosrank train --base`), else null. */
  base: string | null;
  stages: ManifestStage[];
  /** Final figures (validation metrics, test hypervolume, best step …). */
  results: Record<string, unknown>;
  timings: { startedAt: string; totalSeconds: number } & Record<string, number | string>;
}

/** A short description of a dataset for the manifest. */
export function datasetSummary(ds: RankingDataset, file?: string): DatasetSummary {
  return {
    ...(file ? { file } : {}),
    sha256: datasetHash(ds),
    queries: ds.queryOffsets.length - 1,
    documents: ds.queryOffsets[ds.queryOffsets.length - 1],
    features: ds.nFeatures,
    labels: [...ds.labelNames],
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

/** Writes `<dir>/run.json` atomically; returns its path. */
export async function writeManifest(dir: string, manifest: RunManifest): Promise<string> {
  const file = path.join(dir, MANIFEST_FILE);
  await writeJsonAtomic(file, manifest);
  return file;
}
