/**
 * Objective presets for the public LETOR-style datasets, written as the same JSON a user would declare
 * (parsed by `parseObjectives`, so a preset can never hold what a config file could not).
 * Readers name the graded judgement column `relevance`; the main objective is always that column.
 */
import { ConfigError } from '../util/errors';
import { parseObjectives, type ObjectiveDef } from './objectives';

export type PresetName = 'mslr' | 'letor4' | 'ohsumed' | 'yahoo';

export const PRESET_NAMES: readonly PresetName[] = ['mslr', 'letor4', 'ohsumed', 'yahoo'];

const quantile5 = { kind: 'quantile', buckets: 5 } as const;

const PRESETS: Record<PresetName, unknown> = {
  /**
   * MSLR-WEB10K/30K as in the COS-DPO paper: five auxiliary objectives from the last features
   * (134 query-URL click count, 135 URL click count, 136 URL dwell time, 132 QualityScore,
   * 133 QualityScore2), all dropped so the input is features 1–131. They are raw counts/scores with
   * heavy ties at 0, hence 5 quantile buckets fitted on the training split.
   */
  mslr: [
    { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 4 } },
    { name: 'queryUrlClicks', source: { feature: 134 }, grading: quantile5 },
    { name: 'urlClicks', source: { feature: 135 }, grading: quantile5 },
    { name: 'urlDwellTime', source: { feature: 136 }, grading: quantile5 },
    { name: 'qualityScore', source: { feature: 132 }, grading: quantile5 },
    { name: 'qualityScore2', source: { feature: 133 }, grading: quantile5 },
  ],
  /**
   * LETOR 4.0 (MQ2008/MQ2007): PageRank (f41) and a shallow URL (f44, number of slashes, inverted:
   * fewer is better), both dropped from the input. The QueryLevelNorm files already scale every
   * feature to [0,1] within each query, so the quantile cuts (5 buckets, training split) are on
   * per-query ranks of these features rather than on absolute PageRank or depth.
   */
  letor4: [
    { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 2 } },
    { name: 'pagerank', source: { feature: 41 }, grading: quantile5 },
    { name: 'shallowUrl', source: { feature: 44 }, grading: quantile5, invert: true },
  ],
  /**
   * OHSUMED (LETOR 1.0/2.0, 25 features): every feature is a text-match statistic, there is no link,
   * popularity or quality signal. The one auxiliary that stays distinct from relevance is a title
   * match — f2 = Σ log(tf + 1) of the query terms in the title (.T) — a proxy for "recognisably on
   * topic from the title alone" (what a clinician scans in a result list). It is dropped from the input;
   * the other title statistics (f1, f3–f10) stay, so it remains predictable without being copied.
   */
  ohsumed: [
    { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 2 } },
    { name: 'titleMatch', source: { feature: 2 }, grading: quantile5 },
  ],
  /**
   * Yahoo LTR sample (LightGBM's lambdarank example): features are anonymous, so no feature can be
   * defended as a named objective. The auxiliary is derived from the judgement itself: `excellent`
   * = max(relevance − 2, 0), i.e. 0 for bad…good, 1 for excellent, 2 for perfect — an objective that
   * only rewards the top two grades (precision at the top versus graded coverage). No feature is dropped.
   */
  yahoo: [
    { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs', max: 4 } },
    { name: 'excellent', source: { expression: 'max(relevance - 2, 0)' }, grading: { kind: 'asIs', max: 2 }, dropFromInput: false },
  ],
};

/** The objectives of a named preset (main objective first), checked like a user declaration. */
export function presetObjectives(name: PresetName): ObjectiveDef[] {
  return parseObjectives(structuredClone(PRESETS[name]), `preset '${name}'`);
}

/**
 * The objective definitions a config's `objectives` value declares: a preset name, an array of
 * definitions (checked by `parseObjectives`), or null = each of `labelNames` graded as it is (the first
 * column is the main objective). Problems are one ConfigError with paths under `objectives`
 * (`objectives` for an unknown preset name, `objectives[1].grading` for a bad definition).
 */
export function objectiveDefsOf(declared: string | unknown[] | null, labelNames: string[]): ObjectiveDef[] {
  if (declared === null) return labelNames.map((name) => ({ name, source: { label: name }, grading: { kind: 'asIs' } }));
  if (typeof declared === 'string') {
    const name = PRESET_NAMES.find((p) => p === declared);
    if (!name) throw new ConfigError([{ path: 'objectives', value: declared, expected: `a preset name (${PRESET_NAMES.join(', ')}) or an array of definitions` }]);
    return presetObjectives(name);
  }
  try {
    return parseObjectives(declared);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    throw new ConfigError(err.issues.map((i) => ({ ...i, path: i.path.replace(/^\$/, 'objectives') })));
  }
}
