/**
 * The dataset card `data/NAME/README.md`: where the archive came from and how it was checked, the
 * counts and grade histograms of every converted split, and the objectives with their frozen cut points.
 */
import { SPLITS, type DatasetEntry } from './catalogue';
import type { FoldSummary } from './convert';

/** The folder of `data/NAME/` that holds the Arrow folds. */
export const FOLDS_DIR = 'folds';

/** How the archive was obtained and checked. */
export interface ArchiveRecord {
  /** Where the bytes came from: the URL downloaded, or the local file given to `--from`. */
  origin: string;
  file: string;
  bytes: number;
  sha256: string;
  format: string;
  /** `published` when the sha256 was compared with a recorded checksum, else `recorded` (first seen here). */
  checksum: 'published' | 'recorded';
  fetchedAt: string;
}

const int = (n: number) => n.toLocaleString('en-US');

function sizeText(entry: DatasetEntry): string {
  if (entry.archive.bytes !== undefined) return `${int(entry.archive.bytes)} bytes`;
  if (entry.archive.approxBytes !== undefined) return `about ${Math.round(entry.archive.approxBytes / 1e6)} MB (publisher's page)`;
  return 'not published';
}

/** The catalogue facts of an entry as markdown bullet lines (shared by the card and `datasets list --markdown`). */
export function entryFacts(entry: DatasetEntry): string[] {
  return [
    `- Publisher: ${entry.publisher}`,
    `- Source: ${entry.homepage}${entry.url ? ` (archive: ${entry.url})` : ''}`,
    `- Licence: ${entry.licence}`,
    `- Size: ${sizeText(entry)}, ${entry.archive.format}`,
    `- Published totals: ${int(entry.queries)} queries, ${int(entry.documents)} documents, ${entry.features} features, grades ${entry.grades}`,
    `- Folds: ${entry.folds.map((f) => f.name).join(', ')}`,
    `- Objective preset: \`${entry.preset}\``,
    ...(entry.notes ? [`- Note: ${entry.notes}`] : []),
  ];
}

function histogramCell(h: Record<string, number> | undefined): string {
  return h ? Object.entries(h).map(([g, c]) => `${g}: ${int(c)}`).join(', ') : '(not integer)';
}

/** The card as markdown. */
export function renderCard(entry: DatasetEntry, archive: ArchiveRecord, folds: FoldSummary[]): string {
  const lines = [`# ${entry.title}`, '', `Written by \`cosrank datasets fetch ${entry.name}\` on ${archive.fetchedAt}. Not tracked by git.`, ''];
  lines.push('## Source', '', ...entryFacts(entry), '');
  lines.push('## Archive', '');
  lines.push(`- Obtained from: ${archive.origin}`);
  lines.push(`- File: ${archive.file} (${archive.format}, ${int(archive.bytes)} bytes)`);
  lines.push(
    archive.checksum === 'published'
      ? `- sha256: ${archive.sha256} — matches the checksum recorded by ${entry.archive.checksumSource}`
      : `- sha256: ${archive.sha256} — no checksum is published; this is the one seen when it was fetched`,
    '',
  );
  lines.push('## Splits', '', '| fold | split | file | queries | documents | features | docs/query (min/median/max) |', '|---|---|---|---|---|---|---|');
  for (const f of folds) {
    for (const s of SPLITS) {
      const { summary: x, arrow } = f.splits[s];
      const d = x.docsPerQuery;
      lines.push(`| ${f.name} | ${s} | ${FOLDS_DIR}/${arrow} | ${int(x.queries)} | ${int(x.documents)} | ${x.features} | ${d.min} / ${d.median} / ${d.max} |`);
    }
  }
  lines.push('', '## Grade histograms', '', '| fold | split | objective | grades (grade: documents) | queries with no grade > 0 |', '|---|---|---|---|---|');
  for (const f of folds) {
    for (const s of SPLITS) {
      for (const l of f.splits[s].summary.labels) {
        lines.push(`| ${f.name} | ${s} | ${l.name} | ${histogramCell(l.histogram)} | ${l.noPositiveQueries} |`);
      }
    }
  }
  lines.push('', '## Objectives', '', `Preset \`${entry.preset}\`; quantile cut points are fitted on each fold's training split and reused for its validation and test splits.`, '');
  lines.push('| fold | objective | source | grading | dropped input features | cut points |', '|---|---|---|---|---|---|');
  for (const f of folds) {
    for (const o of f.objectives) {
      const source = 'label' in o.source ? `label ${o.source.label}` : 'feature' in o.source ? `feature ${o.source.feature}` : `expression \`${o.source.expression}\``;
      const grading = o.grading.kind === 'quantile' ? `${o.grading.buckets} quantile buckets${o.invert ? ', inverted' : ''}` : `${o.grading.kind}${'max' in o.grading && o.grading.max !== undefined ? ` (max ${o.grading.max})` : ''}`;
      const cuts = o.cutPoints ? o.cutPoints.map((c) => Number(c.toPrecision(6))).join(', ') : '—';
      lines.push(`| ${f.name} | ${o.name} | ${source} | ${grading} | ${o.droppedFeatures.join(', ') || '—'} | ${cuts} |`);
    }
  }
  return lines.join('\n') + '\n';
}
