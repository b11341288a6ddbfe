/** What `cosrank pick` returns (src/pipeline/pick.ts), in its own file so the summary writer needs no import of the search. */
import type { TradeOffPoint } from '../eval/operatingSearch';

/** A constraint's sides and margin at a point. */
export interface ConstraintFigure {
  constraint: string;
  lhs: number;
  rhs: number;
  margin: number;
  satisfied: boolean;
}

/** NDCG@k per objective at the chosen point and for s0, and the constraints, on one dataset. */
export interface PickFigures {
  file: string;
  sha256: string;
  queries: number;
  documents: number;
  ndcg: Record<string, number>;
  base: Record<string, number>;
  constraints: ConstraintFigure[];
}

export interface PickResult {
  name: string;
  /** Objective names, main first. */
  objectives: string[];
  maximize: string[];
  point: { weights: Record<string, number>; c: number; beta?: Record<string, number> };
  /** Figures on the data of the choice. */
  data: PickFigures;
  /** Figures on `--test` data. */
  test?: PickFigures;
  /** Points evaluated (lattice + refinement) and the lattice size. */
  evaluated: number;
  latticeSize: number;
  /** Best feasible point of the plain sweep lattice (c = 1), for comparison. */
  sweepBest: { point: TradeOffPoint; score: number } | null;
  /** Mean NDCG@k of the maximised objectives at the chosen point. */
  score: number;
  /** e.g. `k=10 gain=linear idcgZero=skip ties=stable`. */
  metric: string;
  replaced: boolean;
  /** The model directory, the Markdown summary and the front plot (SVG) beside it. */
  files: { model: string; summary: string; plot: string };
}
