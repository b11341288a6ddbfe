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
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { canonicalJson } from '../train/config';

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
  return createHash('sha256').update(canonicalJson(parts)).digest('hex');
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
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, RECORD_FILE);
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, JSON.stringify(record, null, 2) + '\n');
  await rename(tmp, file);
}

/** Empties a stage folder before it is (re)built, so no stale artefact survives beside a new record. */
export async function resetStageDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
}

/** sha256 (hex) of a file's bytes, streamed. */
export async function fileSha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}
