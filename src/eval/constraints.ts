/**
 * Constraints on an operating point, written as mathjs comparisons over objective names (the point's
 * NDCG@k of that objective) and `base.<name>` (the base ranker's NDCG@k on the same data):
 *
 *     relevance >= 0.97 * base.relevance
 *     clicks >= 0.6
 *     max(pagerank, shallowUrl) > base.pagerank + 0.01
 *
 * A constraint is exactly one comparison (`>=`, `>`, `<=`, `<`) between two arithmetic sides built from
 * numbers, the symbols above, `+ - * /`, unary minus, parentheses and `min`, `max`, `abs`. Anything else
 * (assignments, `==`, chained or logical comparisons, other functions, strings, matrices) is refused, as
 * is an expression longer than `MAX_CONSTRAINT_LENGTH` characters or with more than `MAX_CONSTRAINT_NODES`
 * nodes, so the work per constraint is bounded. The expression is compiled to a closure of our own, never
 * evaluated by mathjs.
 *
 * The margin of a constraint is `lhs − rhs` for `>=`/`>` and `rhs − lhs` for `<=`/`<`, in NDCG units:
 * non-negative (positive for a strict comparison) exactly when it holds.
 */
import type * as MathJs from 'mathjs';
import type { MathNode } from 'mathjs';
import { ConfigError, type ConfigIssue } from '../util/errors';

/** mathjs takes seconds to load: required on the first constraint, not at import (CLI start-up). */
let mathModule: typeof MathJs | undefined;
function mathjs(): typeof MathJs {
  return (mathModule ??= require('mathjs') as typeof MathJs);
}

export const MAX_CONSTRAINT_LENGTH = 400;
export const MAX_CONSTRAINT_NODES = 64;

export type ComparisonOp = '>=' | '>' | '<=' | '<';

/** NDCG@k per objective (model order, main first) of a point and of the base ranker. */
export interface ConstraintValues {
  point: ArrayLike<number>;
  base: ArrayLike<number>;
}

/** A parsed constraint. */
export interface Constraint {
  /** The expression as written. */
  text: string;
  op: ComparisonOp;
  /** Objective names it reads (for the point or the base ranker), in first-use order. */
  objectives: string[];
  lhs(values: ConstraintValues): number;
  rhs(values: ConstraintValues): number;
}

type Compiled = (values: ConstraintValues) => number;

const OPS: Record<string, ComparisonOp> = { largerEq: '>=', larger: '>', smallerEq: '<=', smaller: '<' };
const FUNCTIONS: Record<string, (...xs: number[]) => number> = { min: Math.min, max: Math.max, abs: Math.abs };
const ARITHMETIC: Record<string, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  subtract: (a, b) => a - b,
  multiply: (a, b) => a * b,
  divide: (a, b) => a / b,
};

/** The margin of `c` at `values`: ≥ 0 (> 0 for `>`/`<`) exactly when the constraint holds. */
export function constraintMargin(c: Constraint, values: ConstraintValues): number {
  const d = c.lhs(values) - c.rhs(values);
  return c.op === '>=' || c.op === '>' ? d : -d;
}

/** Whether a margin satisfies the comparison (strict comparisons need a positive margin). */
export function satisfies(c: Constraint, margin: number): boolean {
  return c.op === '>=' || c.op === '<=' ? margin >= 0 : margin > 0;
}

/**
 * Parses constraints against the model's objective names (main first). Every problem of every constraint
 * is reported at once in one ConfigError, each issue at `<path>[i]` with the expression as its value.
 */
export function parseConstraints(texts: readonly string[], objectives: readonly string[], path = 'constraint'): Constraint[] {
  const issues: ConfigIssue[] = [];
  const out: Constraint[] = [];
  texts.forEach((text, i) => {
    const problems: string[] = [];
    const c = parseOne(text, objectives, problems);
    for (const p of problems) issues.push({ path: `${path}[${i}]`, value: text, expected: p });
    if (c && problems.length === 0) out.push(c);
  });
  if (issues.length > 0) throw new ConfigError(issues, 'constraints');
  return out;
}

function parseOne(text: string, objectives: readonly string[], problems: string[]): Constraint | null {
  if (typeof text !== 'string' || text.trim() === '') {
    problems.push('a comparison such as `relevance >= 0.98 * base.relevance`');
    return null;
  }
  if (text.length > MAX_CONSTRAINT_LENGTH) {
    problems.push(`an expression of at most ${MAX_CONSTRAINT_LENGTH} characters (got ${text.length})`);
    return null;
  }
  let node: MathNode;
  try {
    node = mathjs().parse(text);
  } catch (err) {
    problems.push(`a mathjs comparison (${err instanceof Error ? err.message : String(err)})`);
    return null;
  }
  let count = 0;
  node.traverse(() => void count++);
  if (count > MAX_CONSTRAINT_NODES) {
    problems.push(`an expression of at most ${MAX_CONSTRAINT_NODES} terms (got ${count})`);
    return null;
  }
  const top = unwrap(node);
  const op = top.type === 'OperatorNode' ? OPS[(top as unknown as { fn: string }).fn] : undefined;
  if (!op) {
    problems.push(`one comparison with >=, >, <= or < between two sides (got ${describeNode(top)})`);
    return null;
  }
  const [left, right] = (top as unknown as { args: MathNode[] }).args;
  const used: string[] = [];
  const lhs = compile(left, objectives, used, problems);
  const rhs = compile(right, objectives, used, problems);
  if (!lhs || !rhs) return null;
  if (used.length === 0) problems.push('a comparison that reads at least one objective (it compares constants only)');
  return { text, op, objectives: used, lhs, rhs };
}

function unwrap(node: MathNode): MathNode {
  let n = node;
  while (n.type === 'ParenthesisNode') n = (n as unknown as { content: MathNode }).content;
  return n;
}

function describeNode(node: MathNode): string {
  if (node.type === 'OperatorNode') return `the operator '${(node as unknown as { op: string }).op}'`;
  if (node.type === 'RelationalNode') return 'a chained comparison';
  if (node.type === 'AssignmentNode') return 'an assignment';
  return `a ${node.type.replace(/Node$/, '').toLowerCase()}`;
}

/** Compiles one side; records unknown names and forbidden constructs in `problems`. */
function compile(node: MathNode, objectives: readonly string[], used: string[], problems: string[]): Compiled | null {
  const n = unwrap(node);
  const fail = (p: string): null => {
    problems.push(p);
    return null;
  };
  const objective = (name: string, from: 'point' | 'base'): Compiled | null => {
    const j = objectives.indexOf(name);
    if (j < 0) return fail(`objective names of this model (${objectives.join(', ')}) or base.<name>; '${from === 'base' ? 'base.' : ''}${name}' is unknown`);
    if (!used.includes(name)) used.push(name);
    return from === 'point' ? (v) => v.point[j] : (v) => v.base[j];
  };
  switch (n.type) {
    case 'ConstantNode': {
      const value = (n as unknown as { value: unknown }).value;
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`finite numbers only (got ${JSON.stringify(value)})`);
      return () => value;
    }
    case 'SymbolNode': {
      const name = (n as unknown as { name: string }).name;
      if (name === 'base') return fail("'base' followed by an objective name, e.g. base.relevance");
      return objective(name, 'point');
    }
    case 'AccessorNode': {
      const a = n as unknown as { object: MathNode; index: { dotNotation: boolean; dimensions: MathNode[] } };
      const object = unwrap(a.object);
      const dim = a.index.dimensions[0] as unknown as { type: string; value: unknown };
      if (object.type !== 'SymbolNode' || (object as unknown as { name: string }).name !== 'base' || !a.index.dotNotation || a.index.dimensions.length !== 1 || typeof dim.value !== 'string') {
        return fail('property access only as base.<objective>');
      }
      return objective(dim.value, 'base');
    }
    case 'OperatorNode': {
      const o = n as unknown as { fn: string; op: string; args: MathNode[] };
      if (o.args.length === 1 && (o.fn === 'unaryMinus' || o.fn === 'unaryPlus')) {
        const x = compile(o.args[0], objectives, used, problems);
        return x && (o.fn === 'unaryMinus' ? (v) => -x(v) : x);
      }
      const f = ARITHMETIC[o.fn];
      if (!f || o.args.length !== 2) {
        return fail(OPS[o.fn] ? 'exactly one comparison per constraint (use several --constraint options)' : `arithmetic with + - * / only (got '${o.op}')`);
      }
      const a = compile(o.args[0], objectives, used, problems);
      const b = compile(o.args[1], objectives, used, problems);
      return a && b && ((v) => f(a(v), b(v)));
    }
    case 'FunctionNode': {
      const fnNode = (n as unknown as { fn: MathNode; args: MathNode[] }).fn;
      const name = fnNode.type === 'SymbolNode' ? (fnNode as unknown as { name: string }).name : '';
      const fn = Object.prototype.hasOwnProperty.call(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
      if (!fn) return fail(`functions ${Object.keys(FUNCTIONS).join(', ')} only (got '${name || fnNode.toString()}')`);
      const args = (n as unknown as { args: MathNode[] }).args.map((x) => compile(x, objectives, used, problems));
      if (args.length === 0 || (name === 'abs' && args.length !== 1)) return fail(`${name} with ${name === 'abs' ? 'one argument' : 'at least one argument'}`);
      if (args.some((x) => x === null)) return null;
      const fs = args as Compiled[];
      return (v) => fn(...fs.map((x) => x(v)));
    }
    default:
      return fail(`numbers, objective names, base.<name>, + - * /, min, max, abs (got ${describeNode(n)})`);
  }
}
