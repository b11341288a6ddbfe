/**
 * Extracted LETOR text → Arrow, fold by fold, with the dataset's objective preset: quantile cut points
 * are fitted on the fold's training split and frozen for its validation and test splits (DESIGN.md §3),
 * so no test document shapes its own grades.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { readLetor } from '../letor';
import { writeArrow } from '../arrow';
import { applyObjectives, type ResolvedObjective } from '../objectives';
import { presetObjectives } from '../presets';
import { inspectDataset, type DatasetSummary } from '../inspect';
import { DataError } from '../../util/errors';
import type { ProgressCallback } from '../../util/progress';
import { SPLITS, type DatasetEntry, type FoldLayout, type SplitName } from './catalogue';

export interface SplitSummary {
  /** The LETOR file inside the archive's data folder. */
  source: string;
  /** The Arrow file, relative to the output folder (`<fold>/<split>.arrow`). */
  arrow: string;
  summary: DatasetSummary;
}

export interface FoldSummary {
  name: string;
  splits: Record<SplitName, SplitSummary>;
  /** The objectives with the cut points fitted on this fold's training split. */
  objectives: ResolvedObjective[];
}

const MAX_SEARCH_DEPTH = 4;

/**
 * The folder under `extracted` that holds the first fold's training file: `entry.root` when it is
 * there, else the shallowest folder (up to 4 levels down) that has it. A DataError names the archive
 * and the file it looked for otherwise.
 */
export async function findDataRoot(extracted: string, entry: DatasetEntry, archive: string): Promise<string> {
  const probe = entry.folds[0].train;
  const exists = (dir: string) =>
    fsp.stat(path.join(dir, probe)).then(
      (s) => s.isFile(),
      () => false,
    );
  const preferred = path.join(extracted, entry.root);
  if (await exists(preferred)) return preferred;
  let level = [extracted];
  for (let depth = 0; depth <= MAX_SEARCH_DEPTH && level.length; depth++) {
    for (const dir of level) if (await exists(dir)) return dir;
    const next: string[] = [];
    for (const dir of level) {
      for (const d of await fsp.readdir(dir, { withFileTypes: true })) if (d.isDirectory()) next.push(path.join(dir, d.name));
    }
    level = next.sort();
  }
  throw new DataError(archive, null, `no ${probe} inside (expected the published layout: ${entry.root}/${probe}, ${entry.root}/${entry.folds[0].test}, …)`);
}

/**
 * Converts every fold of `entry` found under `dataRoot` into `outDir/<fold>/<split>.arrow`.
 * Progress: stage `convert`, done/total in split files.
 */
export async function convertFolds(entry: DatasetEntry, dataRoot: string, outDir: string, onProgress?: ProgressCallback): Promise<FoldSummary[]> {
  const defs = presetObjectives(entry.preset);
  const total = entry.folds.length * SPLITS.length;
  let done = 0;
  const folds: FoldSummary[] = [];
  for (const fold of entry.folds) {
    const splits = {} as Record<SplitName, SplitSummary>;
    let resolved: ResolvedObjective[] | undefined;
    for (const split of SPLITS) {
      const source = fold[split];
      const raw = await readLetor(path.join(dataRoot, source), { nFeatures: entry.features });
      // The training split comes first: it fits the cut points the other two reuse.
      const applied = applyObjectives(raw, defs, resolved ? { resolved } : {});
      resolved ??= applied.objectives;
      const arrow = `${fold.name}/${split}.arrow`;
      await writeArrow(applied.dataset, path.join(outDir, arrow));
      splits[split] = { source, arrow, summary: inspectDataset(applied.dataset) };
      onProgress?.({ stage: 'convert', done: ++done, total, info: { fold: fold.name, split } });
    }
    folds.push({ name: fold.name, splits, objectives: resolved ?? [] });
  }
  return folds;
}

/** Fold layouts as `name: train | vali | test` lines (for the card and `datasets list`). */
export function describeFolds(folds: readonly FoldLayout[]): string {
  return folds.map((f) => `${f.name}: ${f.train} | ${f.vali} | ${f.test}`).join('; ');
}
