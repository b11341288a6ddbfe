/**
 * LETOR 4.0 text for the dataset tests: the MQ2008 partitions S1–S4 from /work/shared/data when present
 * (S5 is held out of this checkout), else small generated MQ2008-shaped text (46 features in [0,1], grades
 * 0–2, seeded). `mq2008Layout` arranges them as the published MQ2008.rar does: MQ2008/Fold1..5/{train,vali,test}.txt
 * plus the S files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Rng } from '../../src/util/rng';
import type { ArchiveFile } from './archives';

export const SHARED_MQ2008 = path.resolve(__dirname, '../../../shared/data/MQ2008');

function generatedPart(seed: number, queries: number): string {
  const rng = new Rng(seed);
  const lines: string[] = [];
  for (let q = 0; q < queries; q++) {
    const docs = 5 + Math.floor(rng.uniform() * 20);
    for (let d = 0; d < docs; d++) {
      const u = rng.uniform();
      const label = u < 0.75 ? 0 : u < 0.9 ? 1 : 2;
      const feats = Array.from({ length: 46 }, (_, i) => `${i + 1}:${rng.uniform().toFixed(6)}`).join(' ');
      lines.push(`${label} qid:${seed * 1000 + q} ${feats} #docid = GX${seed}-${q}-${d} inc = 1 prob = 0.5\r`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Four LETOR parts (S1–S4) and where they came from. */
export function mq2008Parts(): { parts: string[]; source: string } {
  if (fs.existsSync(path.join(SHARED_MQ2008, 'S4.txt'))) {
    return { parts: [1, 2, 3, 4].map((k) => fs.readFileSync(path.join(SHARED_MQ2008, `S${k}.txt`), 'utf8')), source: SHARED_MQ2008 };
  }
  return { parts: [1, 2, 3, 4].map((k) => generatedPart(k, 12)), source: 'generated' };
}

/**
 * The published MQ2008 layout. With four parts P0..P3 (S5 is not here), fold k trains on two parts,
 * validates on the next and tests on the one after (the LETOR rotation with four parts).
 */
export function mq2008Layout(parts: string[]): ArchiveFile[] {
  const files: ArchiveFile[] = parts.map((p, i) => ({ name: `MQ2008/S${i + 1}.txt`, data: Buffer.from(p) }));
  for (let k = 1; k <= 5; k++) {
    const at = (j: number) => parts[(k - 1 + j) % parts.length];
    files.push({ name: `MQ2008/Fold${k}/train.txt`, data: Buffer.from(at(0) + at(1)) });
    files.push({ name: `MQ2008/Fold${k}/vali.txt`, data: Buffer.from(at(2)) });
    files.push({ name: `MQ2008/Fold${k}/test.txt`, data: Buffer.from(at(3)) });
  }
  return files;
}

/** Counts read straight from LETOR text (independent of cosrank's reader): rows, distinct qids, label histogram. */
export function countLetor(text: string): { documents: number; queries: number; histogram: Record<string, number> } {
  const qids = new Set<string>();
  const histogram: Record<string, number> = {};
  let documents = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const [label, qid] = line.split(' ');
    documents++;
    qids.add(qid);
    histogram[label] = (histogram[label] ?? 0) + 1;
  }
  return { documents, queries: qids.size, histogram };
}
