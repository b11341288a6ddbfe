/**
 * The frozen base ranker's scores, computed once per training document (issue 12): s0 never changes while
 * a COS net (W-COS, T-COS) or a baseline job (DPO-LS, single-objective, MO-DPO) trains, so instead of
 * running s0's forward in every step, the trainer scores the training set once on the same engine and
 * the batch stream gathers the scores into each batch (`BatchingOptions.s0` → `ListBatch.s0`).
 *
 * An MLP s0 scores each document on its own, so its score is fixed per document. The listwise transformer
 * scores a document in the context of its list: its score is fixed per (document, list) — the whole query
 * list, as scored here — which is the list a batch holds unless a slate cut samples a sub-list. When a
 * transformer s0 would see slate-cut lists, nothing is precomputed (null) and the engine runs s0 per step.
 */
import type { RankingDataset } from '../data/dataset';
import type { Engine } from '../engine/engine';
import type { RankerParameters } from '../model/rankerParameters';
import type { Parameters, RankerSpec } from '../model/spec';

/** Whether some list of `ds` is longer than `slateLength` (and so cut to a sampled sub-list in batches). */
function hasCutLists(ds: RankingDataset, slateLength: number | undefined): boolean {
  if (!(slateLength !== undefined && slateLength > 0)) return false;
  for (let q = 0; q + 1 < ds.queryOffsets.length; q++) if (ds.queryOffsets[q + 1] - ds.queryOffsets[q] > slateLength) return true;
  return false;
}

/**
 * Scores already computed, by engine, dataset and s0 parameters (object identities; none of them changes
 * after creation), so the many baseline jobs of one run over the same data and s0 score it once.
 */
const computed = new WeakMap<Engine, WeakMap<RankingDataset, WeakMap<Parameters, Promise<Float32Array>>>>();

/**
 * s0's score of every document of `ds` (`[nDocs]`, dataset order) from one scoring pass on `engine` (the
 * first call for this engine, data and s0; later calls share it: read it, never write to it), or null when
 * the scores depend on the batch (a listwise s0 with slate-cut lists; see the module comment).
 */
export async function frozenBaseScores(
  engine: Engine,
  base: { spec: RankerSpec; params: RankerParameters },
  ds: RankingDataset,
  slateLength: number | undefined,
): Promise<Float32Array | null> {
  if (base.spec.base.kind !== 'mlp' && hasCutLists(ds, slateLength)) return null;
  let byData = computed.get(engine);
  if (byData === undefined) computed.set(engine, (byData = new WeakMap()));
  let byParams = byData.get(ds);
  if (byParams === undefined) byData.set(ds, (byParams = new WeakMap()));
  const params = base.params.base;
  let scores = byParams.get(params);
  if (scores === undefined) {
    scores = engine.score({ base: base.spec.base }, { base: params }, { features: ds.features, queryOffsets: ds.queryOffsets });
    byParams.set(params, scores);
    scores.catch(() => byParams?.delete(params)); // a failed pass is not kept
  }
  return scores;
}
