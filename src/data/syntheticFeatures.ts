/**
 * The synthetic generator's feature layout (MSLR-WEB10K's 136 features: 25 text statistics × 5
 * streams, then the web/click block), each feature's latent loadings and value transform, in a
 * typed-array form for the hot loop, plus the tabulated noise. See `generate.ts` for the model.
 */
import { normalQuantile } from './gradeCorrelation';

/** Knots of the tabulated noise distribution (see `noiseKnots`). */
export const NOISE_KNOTS = 2048;
let noiseTable: Float64Array | null = null;

/**
 * Feature noise draws one 32-bit integer u and interpolates Φ⁻¹ linearly between the knots
 * z_k = Φ⁻¹((k + 1)/(K + 1)), k = 0..K−1 (K = 2048): about 4× cheaper than Box–Muller, and close to
 * N(0, 1) except that the tails are cut at ±3.3σ (variance ≈ 0.99). Latents use the exact `Rng.normal`.
 * The table is built once per process (Φ⁻¹ by bisection).
 */
export function noiseKnots(): Float64Array {
  noiseTable ??= Float64Array.from({ length: NOISE_KNOTS }, (_, k) => normalQuantile((k + 1) / (NOISE_KNOTS + 1)));
  return noiseTable;
}


/** How a feature maps its standardised signal s (with a, b, c below) to its value. */
export enum Kind {
  /** floor(c·exp(a + b·s)) — heavy-tailed counts (tf, stream length, inlinks). */
  Count,
  /** σ(a + b·s) — ratios in (0, 1). */
  Ratio,
  /** round(m·σ(a + b·s)) — covered query terms, m = query length. */
  Terms,
  /** round(m·σ(a + b·s)) / m — covered query-term ratio. */
  TermRatio,
  /** c·softplus(a + b·s) — BM25, tf·idf. */
  Positive,
  /** −c·softplus(−(a + b·s)) — LMIR log-likelihoods (negative; more signal, closer to 0). */
  Negative,
  /** 1 if a + b·s > 0 else 0 — boolean model. */
  Binary,
  /** c·exp(a + b·N(0,1)) drawn once per query — IDF (no document signal). */
  QueryConst,
  /** clamp(round(a + b·s), 0, 255) — quality scores. */
  Byte,
  /** floor(expm1(a + b·s)) if positive else 0 — click counts (zero-inflated). */
  Clicks,
  /** c·expm1(a + b·s) if positive else 0 — dwell time (zero when never clicked). */
  Dwell,
  /** max(1, round(a + b·s)) — URL slash count. */
  SmallInt,
}

export interface FeatureRole {
  kind: Kind;
  a: number;
  b: number;
  c: number;
  /** Latent channel → weight (0 = relevance, k = auxiliary objective k). */
  loadings: [number, number][];
  noise: number;
  description: string;
}

const STREAMS = ['body', 'anchor', 'title', 'url', 'whole document'];
/** Stream multiplier of the relevance loading. */
const STREAM_RELEVANCE = [1, 0.7, 0.8, 0.4, 1];
/** Secondary channel and weight per stream: URL → freshness, anchor → clicks, title → quality. */
const STREAM_CHANNEL: ([number, number] | null)[] = [null, [2, 0.6], [3, 0.4], [1, 0.7], null];
/** Stream lengths scale (body is long, URL short). */
const STREAM_LENGTH = [300, 10, 8, 6, 320];

/** The 25 MSLR text statistics: name, kind, a, b, c, relevance weight. */
const TEXT_TYPES: [string, Kind, number, number, number, number][] = [
  ['covered query term number', Kind.Terms, -0.3, 1.5, 1, 0.7],
  ['covered query term ratio', Kind.TermRatio, -0.3, 1.5, 1, 0.7],
  ['stream length', Kind.Count, 0, 0.8, 1, 0],
  ['IDF', Kind.QueryConst, 1.5, 0.6, 1, 0],
  ['sum of term frequency', Kind.Count, 0, 1, 2, 0.5],
  ['min of term frequency', Kind.Count, 0, 0.8, 0.8, 0.3],
  ['max of term frequency', Kind.Count, 0, 1, 2, 0.5],
  ['mean of term frequency', Kind.Positive, 0, 1.2, 1.5, 0.4],
  ['variance of term frequency', Kind.Positive, -1, 1.2, 2, 0.1],
  ['sum of stream length normalized term frequency', Kind.Ratio, -2.5, 1.2, 1, 0.5],
  ['min of stream length normalized term frequency', Kind.Ratio, -3.5, 1.2, 1, 0.3],
  ['max of stream length normalized term frequency', Kind.Ratio, -2.5, 1.2, 1, 0.5],
  ['mean of stream length normalized term frequency', Kind.Ratio, -3, 1.2, 1, 0.4],
  ['variance of stream length normalized term frequency', Kind.Ratio, -5, 1.2, 1, 0.1],
  ['sum of tf*idf', Kind.Positive, 0, 1.2, 10, 0.6],
  ['min of tf*idf', Kind.Positive, -1, 1.2, 3, 0.3],
  ['max of tf*idf', Kind.Positive, 0, 1.2, 8, 0.6],
  ['mean of tf*idf', Kind.Positive, 0, 1.2, 5, 0.5],
  ['variance of tf*idf', Kind.Positive, -1, 1.2, 20, 0.1],
  ['boolean model', Kind.Binary, -0.2, 1, 1, 0.6],
  ['vector space model', Kind.Ratio, -1, 1.5, 1, 0.7],
  ['BM25', Kind.Positive, 0, 1.3, 8, 0.9],
  ['LMIR.ABS', Kind.Negative, 0.5, 1, 200, 0.8],
  ['LMIR.DIR', Kind.Negative, 0.5, 1, 250, 0.8],
  ['LMIR.JM', Kind.Negative, 0.5, 1, 300, 0.8],
];
/** Types that are otherwise (nearly) noise and carry the 4th and later auxiliary objectives. */
const EXTRA_CHANNEL_TYPES = [8, 13, 18];

/** The web/click block, the last 11 features (126–136 for 136 features). Channels: 1 fresh, 2 clicks, 3 quality. */
export const WEB_BLOCK: FeatureRole[] = [
  { description: 'number of slashes in URL', kind: Kind.SmallInt, a: 3, b: 1.5, c: 1, loadings: [[1, 0.5], [3, -0.3]], noise: 0.8 },
  { description: 'length of URL', kind: Kind.Count, a: 3.7, b: 0.35, c: 1, loadings: [[1, 0.4], [3, -0.2]], noise: 0.9 },
  { description: 'inlink number', kind: Kind.Count, a: 1.5, b: 1.6, c: 1, loadings: [[3, 0.5], [2, 0.3]], noise: 0.8 },
  { description: 'outlink number', kind: Kind.Count, a: 2.5, b: 0.8, c: 1, loadings: [], noise: 1 },
  { description: 'PageRank', kind: Kind.Count, a: 0, b: 1.2, c: 1000, loadings: [[3, 0.6], [2, 0.2]], noise: 0.7 },
  { description: 'SiteRank', kind: Kind.Count, a: 0, b: 1, c: 500, loadings: [[3, 0.5]], noise: 0.8 },
  { description: 'QualityScore', kind: Kind.Byte, a: 110, b: 45, c: 1, loadings: [[3, 0.85]], noise: 0.5 },
  { description: 'QualityScore2', kind: Kind.Byte, a: 90, b: 40, c: 1, loadings: [[3, 0.7]], noise: 0.7 },
  { description: 'query-url click count', kind: Kind.Clicks, a: 0.3, b: 1.4, c: 1, loadings: [[2, 0.9], [0, 0.2]], noise: 0.45 },
  { description: 'url click count', kind: Kind.Clicks, a: 1.2, b: 1.8, c: 1, loadings: [[2, 0.7], [3, 0.3]], noise: 0.6 },
  { description: 'url dwell time', kind: Kind.Dwell, a: 0.2, b: 1.2, c: 60, loadings: [[2, 0.6], [0, 0.3]], noise: 0.7 },
];

function textRole(i: number, nAux: number): FeatureRole {
  if (i >= 125) return { description: 'noise', kind: Kind.Ratio, a: 0, b: 1, c: 1, loadings: [], noise: 1 };
  const type = Math.floor(i / 5);
  const stream = i % 5;
  const [name, kind, a, b, c0, rel] = TEXT_TYPES[type];
  const loadings: [number, number][] = rel > 0 ? [[0, rel * STREAM_RELEVANCE[stream]]] : [];
  const secondary = STREAM_CHANNEL[stream];
  if (secondary && rel >= 0.3 && secondary[0] <= nAux) loadings.push(secondary);
  for (let k = 4; k <= nAux; k++) {
    if (EXTRA_CHANNEL_TYPES.includes(type) && stream === (k - 4) % 5) loadings.push([k, 0.8]);
  }
  const c = type === 2 ? STREAM_LENGTH[stream] : c0;
  return { description: `${name} (${STREAMS[stream]})`, kind, a, b, c, loadings, noise: 1 };
}

/** Feature roles for a layout; loadings on channels the options do not declare are dropped. */
export function featureRoles(nFeatures: number, nAux: number): FeatureRole[] {
  const nText = nFeatures - WEB_BLOCK.length;
  const roles = Array.from({ length: nText }, (_, i) => textRole(i, nAux));
  for (const r of WEB_BLOCK) roles.push({ ...r, loadings: r.loadings.filter(([ch]) => ch <= nAux) });
  return roles;
}

/** Typed-array form of the roles, for the hot loop. */
export interface CompiledRoles {
  kind: Uint8Array;
  a: Float64Array;
  b: Float64Array;
  c: Float64Array;
  noise: Float64Array;
  invNorm: Float64Array;
  loadStart: Int32Array;
  loadChannel: Int32Array;
  loadWeight: Float64Array;
  queryConst: number[];
}

export function compileRoles(roles: FeatureRole[], noiseScale: number): CompiledRoles {
  const nF = roles.length;
  const loadStart = new Int32Array(nF + 1);
  const channels: number[] = [];
  const weights: number[] = [];
  const out = {
    kind: new Uint8Array(nF),
    a: new Float64Array(nF),
    b: new Float64Array(nF),
    c: new Float64Array(nF),
    noise: new Float64Array(nF),
    invNorm: new Float64Array(nF),
    queryConst: [] as number[],
  };
  roles.forEach((r, f) => {
    out.kind[f] = r.kind;
    out.a[f] = r.a;
    out.b[f] = r.b;
    out.c[f] = r.c;
    out.noise[f] = r.noise * noiseScale;
    let ss = out.noise[f] * out.noise[f];
    for (const [ch, w] of r.loadings) {
      channels.push(ch);
      weights.push(w);
      ss += w * w;
    }
    out.invNorm[f] = 1 / Math.sqrt(ss);
    loadStart[f + 1] = channels.length;
    if (r.kind === Kind.QueryConst) out.queryConst.push(f);
  });
  return { ...out, loadStart, loadChannel: Int32Array.from(channels), loadWeight: Float64Array.from(weights) };
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const softplus = (x: number) => (x > 30 ? x : Math.log1p(Math.exp(x)));

/** T_f of the layout (see `Kind`); x = a + b·s already applied. */
export function transform(kind: Kind, x: number, c: number, terms: number): number {
  switch (kind) {
    case Kind.Count:
      return Math.floor(c * Math.exp(x));
    case Kind.Ratio:
      return sigmoid(x);
    case Kind.Terms:
      return Math.round(terms * sigmoid(x));
    case Kind.TermRatio:
      return Math.round(terms * sigmoid(x)) / terms;
    case Kind.Positive:
      return c * softplus(x);
    case Kind.Negative:
      return -c * softplus(-x);
    case Kind.Binary:
      return x > 0 ? 1 : 0;
    case Kind.Byte:
      return Math.min(255, Math.max(0, Math.round(x)));
    case Kind.Clicks:
      return x > 0 ? Math.floor(Math.expm1(x)) : 0;
    case Kind.Dwell:
      return x > 0 ? c * Math.expm1(x) : 0;
    case Kind.QueryConst:
      return c * Math.exp(x);
    case Kind.SmallInt:
      return Math.max(1, Math.round(x));
  }
}
