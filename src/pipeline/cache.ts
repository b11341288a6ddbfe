/**
 * The stage cache of `cosrank run`: content-addressed folders under `<out>/cache/`.
 *
 *     <out>/cache/<stage>-<key[0..16]>/    the stage's artefacts (prepared splits, a model folder …)
 *                                          and `record.json`, written LAST
 *
 * A stage's key is the sha256 of the canonical JSON of everything its result depends on (the config
 * section, the keys or content hashes of its inputs), so any change upstream changes every key
 * downstream and a change downstream leaves the upstream keys, hence their folders, untouched. A folder
 * without `record.json`, or whose record holds another key, is incomplete and is rebuilt.
 */
import { mkdir, readdir, readFile, rm, rmdir } from 'node:fs/promises';
import * as path from 'node:path';
import { loadModel, saveModel, type SavedModel } from '../model/modelFile';
import { CHECKPOINT_FILE } from '../train/checkpoint';
import { WriteError, writeFileAtomic, writeJsonAtomic } from '../util/atomicWrite';
import { sha256File, sha256Json } from '../util/hash';
import type { ProgressCallback } from '../util/progress';

export type CacheStage = 'data' | 'base' | 'cos';

/** What a finished stage leaves beside its artefacts. */
export interface StageRecord {
  stage: CacheStage;
  /** Full sha256 key. */
  key: string;
  /** ISO time the stage finished. */
  createdAt: string;
  /** Wall time the stage took when it ran. */
  seconds: number;
  /** Stage-specific figures (training history, metrics, counts …). */
  details: Record<string, unknown>;
}

const RECORD_FILE = 'record.json';

/** sha256 (hex) of the canonical JSON of `parts` (object keys sorted). */
export function stageKey(parts: unknown): string {
  return sha256Json(parts);
}

/** The folder of a stage with a given key: `<cacheRoot>/<stage>-<first 16 hex digits>`. */
export function stageDir(cacheRoot: string, stage: CacheStage, key: string): string {
  return path.join(cacheRoot, `${stage}-${key.slice(0, 16)}`);
}

/** The record of a finished stage folder, or null when the folder is missing, incomplete or for another key. */
export async function readStageRecord(dir: string, key: string): Promise<StageRecord | null> {
  let text: string;
  try {
    text = await readFile(path.join(dir, RECORD_FILE), 'utf8');
  } catch {
    return null;
  }
  try {
    const record = JSON.parse(text) as StageRecord;
    return record.key === key ? record : null;
  } catch {
    return null;
  }
}

/** Marks a stage folder complete: writes `record.json` atomically (temp file then rename). */
export async function writeStageRecord(dir: string, record: StageRecord): Promise<void> {
  await writeJsonAtomic(path.join(dir, RECORD_FILE), record);
}

/** Empties a stage folder before it is (re)built, so no stale artefact survives beside a new record. */
export async function resetStageDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}

/** sha256 (hex) of a file's bytes, streamed. */
export const fileSha256 = sha256File;

/**
 * Fails early, naming the folder, when `dir` cannot be created or written (a read-only disk, a file in the
 * way, no permission), so an unwritable output is found before any training, not after it.
 */
export async function checkWritableFolder(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw new WriteError(dir, err);
  }
  const probe = path.join(dir, '.cosrank-write-check');
  await writeFileAtomic(probe, '');
  await rm(probe, { force: true });
}

/** Removes the checkpoint files a finished run leaves under `dir` (and folders left empty), nothing else. */
export async function removeCheckpoints(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => null);
  if (entries === null) return;
  for (const e of entries) {
    if (e.isDirectory()) await removeCheckpoints(path.join(dir, e.name));
    else if (e.name === CHECKPOINT_FILE) await rm(path.join(dir, e.name), { force: true });
  }
  await rmdir(dir).catch(() => undefined); // kept when something else lives there
}

const SHORT = 16;

/** What happened to a stage, without its label: `reusing cache base-3f2a… (trained in 12.3 s at …)`. */
export function describeStage(stage: CacheStage, key: string, reused: boolean, record: StageRecord, verb: string): string {
  const id = `${stage}-${key.slice(0, SHORT)}`;
  return reused ? `reusing cache ${id} (${verb} in ${record.seconds.toFixed(1)} s at ${record.createdAt})` : `${verb} in ${record.seconds.toFixed(1)} s, cached as ${id}`;
}

/** A training stage's outcome: the model, its record, and what happened (reused or trained). */
export interface TrainedStage {
  model: SavedModel;
  record: StageRecord;
  outcome: { stage: CacheStage; key: string; dir: string; reused: boolean; seconds: number; createdAt: string; message: string };
}

/** Where a stage keeps its checkpoints (none when checkpoints are off). */
export type CheckpointPlace = (stageDir: string) => { checkpointDir?: string; resume?: boolean };

/**
 * Runs a training stage or loads it from its cache folder. A stage trained to the end removes its
 * checkpoint folder (the cached model supersedes it) and says so in its message.
 */
export async function cachedTraining(
  cacheRoot: string,
  stage: 'base' | 'cos',
  key: string,
  label: string,
  onProgress: ProgressCallback,
  checkpoint: CheckpointPlace,
  train: (options: { checkpointDir?: string; resume?: boolean }) => Promise<{ model: SavedModel; seconds: number; details: Record<string, unknown> }>,
): Promise<TrainedStage> {
  const dir = stageDir(cacheRoot, stage, key);
  const modelDir = path.join(dir, 'model');
  let record = await readStageRecord(dir, key);
  // a record whose model no longer loads (deleted, corrupted) counts as a miss: the stage is rebuilt
  let model: SavedModel | null = record ? await loadModel(modelDir).catch(() => null) : null;
  const reused = record !== null && model !== null;
  let removed = '';
  if (!record || !model) {
    // without a record the folder may hold checkpoints of an interrupted run (resumed by the trainer): keep it
    if (record) await resetStageDir(dir);
    else await mkdir(dir, { recursive: true });
    const options = checkpoint(dir);
    const r = await train(options);
    model = r.model;
    await saveModel(modelDir, model);
    record = { stage, key, createdAt: new Date().toISOString(), seconds: r.seconds, details: r.details };
    await writeStageRecord(dir, record);
    if (options.checkpointDir) {
      await removeCheckpoints(options.checkpointDir);
      removed = `; checkpoints removed (${options.checkpointDir})`;
    }
  }
  const text = describeStage(stage, key, reused, record, 'trained') + removed;
  onProgress({ stage: label, done: 1, total: 1, message: text });
  return { model, record, outcome: { stage, key, dir, reused, seconds: record.seconds, createdAt: record.createdAt, message: `${label}: ${text}` } };
}
