/**
 * Scoring on an ONNX inference session. MLP-only rankers score flat rows in chunks of at most `maxSlots`
 * rows; rankers with a transformer score padded lists, queries sorted by length (longest first) and
 * packed into chunks of at most `maxSlots` document slots. The input is checked by the engines' shared
 * `checkScoreInput` before it gets here.
 */
import type { RankerSpec } from '../../model/spec';
import type { ScoreInput } from '../engine';
import { tradeOffLength, weightsPerQuery } from '../checks';
import { inferenceInputs, inferenceLayout } from './scorerGraph';
import { f32, type Feeds, type Session } from './session';

/** Feeds for β, c (β defaults to ones, c to 1) and w, unless w is given per query (then fed per row or list). */
function conditioningFeeds(spec: RankerSpec, input: ScoreInput, perQuery: boolean): Feeds {
  const which = inferenceInputs(spec);
  const feeds: Feeds = {};
  const m = tradeOffLength(spec);
  if (which.w && !perQuery) feeds.w = f32(input.weights as Float32Array, [m]);
  if (which.beta) {
    const beta = input.beta ?? new Float32Array(Math.max(m, 1)).fill(1);
    feeds.beta = f32(beta, [beta.length]);
  }
  if (which.c) feeds.c = f32(Float32Array.of(input.c ?? 1), []);
  return feeds;
}

/** Scores `nDocs` documents of a checked input on `session`. */
export async function scoreOnSession(spec: RankerSpec, input: ScoreInput, nDocs: number, session: Session, maxSlots: number): Promise<Float32Array> {
  const f = spec.base.inputSize;
  const perQuery = weightsPerQuery(spec, input);
  const cond = conditioningFeeds(spec, input, perQuery);
  if (nDocs === 0) return new Float32Array(0);
  const m = tradeOffLength(spec);
  if (inferenceLayout(spec) === 'rows') return scoreRows(input.features, nDocs, f, cond, session, maxSlots, perQuery ? rowWeights(input, nDocs, m) : null);
  return scoreLists(input, nDocs, f, cond, session, maxSlots, perQuery ? m : 0);
}

/** Each document's row of the per-query trade-offs: `[nDocs, m]`. */
function rowWeights(input: ScoreInput, nDocs: number, m: number): { data: Float32Array; m: number } {
  const w = input.weights as Float32Array;
  const offsets = input.queryOffsets;
  const data = new Float32Array(nDocs * m);
  for (let q = 0; q + 1 < offsets.length; q++) {
    const row = w.subarray(q * m, (q + 1) * m);
    for (let d = offsets[q]; d < offsets[q + 1]; d++) data.set(row, d * m);
  }
  return { data, m };
}

async function scoreRows(
  features: Float32Array,
  nDocs: number,
  f: number,
  cond: Feeds,
  session: Session,
  maxSlots: number,
  w: { data: Float32Array; m: number } | null,
): Promise<Float32Array> {
  const run = (r0: number, r1: number) =>
    session.run({ ...cond, features: f32(features.subarray(r0 * f, r1 * f), [r1 - r0, f]), ...(w ? { w: f32(w.data.subarray(r0 * w.m, r1 * w.m), [r1 - r0, w.m]) } : {}) });
  // one run: its output buffer is the result (no copy)
  if (nDocs <= maxSlots) return (await run(0, nDocs)).scores.data as Float32Array;
  const out = new Float32Array(nDocs);
  for (let r0 = 0; r0 < nDocs; r0 += maxSlots) {
    const r1 = Math.min(nDocs, r0 + maxSlots);
    out.set((await run(r0, r1)).scores.data as Float32Array, r0);
  }
  return out;
}

/** Padded lists in chunks; `perQueryM` > 0: w is given per query (m values each) and fed per list. */
async function scoreLists(input: ScoreInput, nDocs: number, f: number, cond: Feeds, session: Session, maxSlots: number, perQueryM: number): Promise<Float32Array> {
  const offsets = input.queryOffsets;
  const out = new Float32Array(nDocs);
  // lists: longest queries first, packed while B·Nmax stays within maxSlots
  const nQ = offsets.length - 1;
  const order = Array.from({ length: nQ }, (_, q) => q).sort((a, b) => offsets[b + 1] - offsets[b] - (offsets[a + 1] - offsets[a]) || a - b);
  let i = 0;
  while (i < nQ) {
    const n = Math.max(1, offsets[order[i] + 1] - offsets[order[i]]);
    const bCount = Math.max(1, Math.min(nQ - i, Math.floor(maxSlots / n)));
    const chunk = order.slice(i, i + bCount);
    i += bCount;
    const feats = new Float32Array(bCount * n * f);
    const mask = new Float32Array(bCount * n);
    chunk.forEach((q, b) => {
      const len = offsets[q + 1] - offsets[q];
      feats.set(input.features.subarray(offsets[q] * f, offsets[q + 1] * f), b * n * f);
      mask.fill(1, b * n, b * n + len);
    });
    const feeds: Feeds = { ...cond, features: f32(feats, [bCount, n, f]), mask: f32(mask, [bCount, n]) };
    if (perQueryM > 0) {
      const w = input.weights as Float32Array;
      const lists = new Float32Array(bCount * perQueryM);
      chunk.forEach((q, b) => lists.set(w.subarray(q * perQueryM, (q + 1) * perQueryM), b * perQueryM));
      feeds.w = f32(lists, [bCount, perQueryM]);
    }
    const res = await session.run(feeds);
    const s = res.scores.data as Float32Array;
    chunk.forEach((q, b) => out.set(s.subarray(b * n, b * n + offsets[q + 1] - offsets[q]), offsets[q]));
  }
  return out;
}
