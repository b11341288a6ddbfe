/**
 * The short Markdown summary `cosrank pick` writes beside the model directory (`pick-<name>.md` in the
 * model directory's parent): the chosen trade-off, NDCG@k per objective beside the base ranker's, each
 * constraint's margin, the search effort, and the held-out figures when `--test` was given.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../util/atomicWrite';
import type { PickFigures, PickResult } from './pickResult';

const f4 = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));
const signed = (v: number) => (v >= 0 ? '+' : '') + f4(v);

function figureTable(fig: PickFigures, objectives: string[]): string[] {
  const lines = ['| objective | operating point | base ranker s0 | difference |', '|---|---:|---:|---:|'];
  for (const o of objectives) lines.push(`| ${o} | ${f4(fig.ndcg[o])} | ${f4(fig.base[o])} | ${signed(fig.ndcg[o] - fig.base[o])} |`);
  if (fig.constraints.length > 0) {
    lines.push('', '| constraint | left side | right side | margin | holds |', '|---|---:|---:|---:|---|');
    for (const c of fig.constraints) lines.push(`| \`${c.constraint}\` | ${f4(c.lhs)} | ${f4(c.rhs)} | ${signed(c.margin)} | ${c.satisfied ? 'yes' : '**no**'} |`);
  }
  return lines;
}

/** The summary text of a pick result. */
export function pickSummaryMarkdown(r: PickResult, createdAt: string): string {
  const weights = Object.entries(r.point.weights).map(([n, v]) => `${n} ${v.toFixed(4)}`).join(', ');
  const beta = r.point.beta ? `; β: ${Object.entries(r.point.beta).map(([n, v]) => `${n} ${v.toFixed(4)}`).join(', ')}` : '';
  const lines = [
    `# Operating point \`${r.name}\``,
    '',
    `Chosen by \`cosrank pick\` on ${createdAt}: maximise ${r.maximize.join(' + ')}${r.maximize.length > 1 ? ' (mean NDCG)' : ''}` +
      (r.data.constraints.length > 0 ? ` subject to ${r.data.constraints.map((c) => `\`${c.constraint}\``).join(', ')}.` : ' (no constraint).'),
    '',
    `- weights: ${weights}; c = ${Number(r.point.c.toPrecision(6))}${beta}`,
    `- serve it: \`{"operatingPoint": "${r.name}"}\` in a request, or \`ranker.rerank(docs, { operatingPoint: '${r.name}' })\``,
    `- search: ${r.evaluated} points evaluated (lattice of ${r.latticeSize}, then local refinement)` +
      (r.sweepBest ? `; the best feasible point of the plain sweep (c = 1) scored ${f4(r.sweepBest.score)}, this one ${f4(r.score)}` : ''),
    `- metric: NDCG (${r.metric})`,
    '',
    `![front at the chosen c: the operating point, the base ranker s0 and the constraint bounds](${path.basename(r.files.plot)})`,
    '',
    `## On the data of the choice: ${path.basename(r.data.file)} (${r.data.queries} queries, sha256 ${r.data.sha256.slice(0, 12)}…)`,
    '',
    ...figureTable(r.data, r.objectives),
  ];
  if (r.test) {
    lines.push('', `## Held out: ${path.basename(r.test.file)} (${r.test.queries} queries; never used for the choice)`, '', ...figureTable(r.test, r.objectives));
  }
  return lines.join('\n') + '\n';
}

/** Writes the summary beside the model directory; returns its path. */
export async function writePickSummary(modelDir: string, name: string, text: string): Promise<string> {
  const file = path.join(path.dirname(path.resolve(modelDir)), `pick-${name}.md`);
  await writeFileAtomic(file, text);
  return file;
}
