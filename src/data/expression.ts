/**
 * Objective expressions (mathjs syntax) restricted to scalar, element-wise arithmetic, so that the work
 * per document is bounded and nothing but numbers is ever built:
 *
 * - at most `MAX_EXPRESSION_CHARS` (1,000) characters and `MAX_EXPRESSION_NODES` (200) syntax nodes,
 *   checked before and after parsing (a 20,000-deep expression is refused without being parsed);
 * - allowed nodes: numbers, symbols, parentheses, the operators + − * / ^ % and comparisons / logic,
 *   `a ? b : c`, and calls of the scalar functions in `SCALAR_FUNCTIONS` (each taking a bounded number
 *   of arguments);
 * - refused: ranges (`1:2e7`), matrices and arrays (`zeros(3000,3000)`, `[1,2]`), strings and nested
 *   `evaluate("…")` / `parse`, indexing, property access, assignments, function definitions, blocks,
 *   and every function not listed.
 *
 * Since every node is a scalar operation, evaluating a document costs at most one operation per node.
 * Messages quote an expression cut to `QUOTE_CHARS` (200) characters.
 */
import type * as MathJs from 'mathjs';
import type { MathNode } from 'mathjs';

export const MAX_EXPRESSION_CHARS = 1000;
export const MAX_EXPRESSION_NODES = 200;
export const QUOTE_CHARS = 200;

/** Scalar functions an expression may call, with their allowed argument counts [min, max]. */
export const SCALAR_FUNCTIONS: Readonly<Record<string, readonly [number, number]>> = {
  abs: [1, 1], sign: [1, 1], sqrt: [1, 1], cbrt: [1, 1], exp: [1, 1], expm1: [1, 1],
  log: [1, 2], log10: [1, 1], log2: [1, 1], log1p: [1, 1],
  sin: [1, 1], cos: [1, 1], tan: [1, 1], asin: [1, 1], acos: [1, 1], atan: [1, 1], atan2: [2, 2],
  sinh: [1, 1], cosh: [1, 1], tanh: [1, 1],
  floor: [1, 1], ceil: [1, 1], round: [1, 2], fix: [1, 1],
  min: [1, 8], max: [1, 8], hypot: [1, 8], pow: [2, 2], mod: [2, 2], square: [1, 1], cube: [1, 1],
};

const OPERATORS = new Set([
  'add', 'subtract', 'multiply', 'divide', 'pow', 'mod', 'unaryMinus', 'unaryPlus',
  'larger', 'smaller', 'largerEq', 'smallerEq', 'equal', 'unequal', 'and', 'or', 'xor', 'not',
]);

/** An expression cut to `QUOTE_CHARS` characters (with the full length when cut), e.g. for a ConfigIssue's value. */
export function shortExpression(expression: string): string {
  return expression.length <= QUOTE_CHARS ? expression : `${expression.slice(0, QUOTE_CHARS)}… (${expression.length} characters)`;
}

/** An expression quoted for a message, cut to `QUOTE_CHARS` characters (with the full length when cut). */
export function quoteExpression(expression: string): string {
  if (expression.length <= QUOTE_CHARS) return JSON.stringify(expression);
  return `${JSON.stringify(expression.slice(0, QUOTE_CHARS))}… (${expression.length} characters)`;
}

let mathModule: typeof MathJs | undefined;
/** mathjs takes seconds to load: it is required on the first expression, not at import. */
export function mathjs(): typeof MathJs {
  return (mathModule ??= require('mathjs') as typeof MathJs);
}

/** A parsed expression that passed `checkExpression`, with the symbols it reads. */
export interface CheckedExpression {
  node: MathNode;
  symbols: string[];
}

/**
 * Parses and checks an expression against the rules above. Returns the parsed node, or a string
 * saying what is not allowed (for a ConfigIssue's `expected`).
 */
export function checkExpression(expression: string): CheckedExpression | string {
  if (expression.length > MAX_EXPRESSION_CHARS) return `an expression of at most ${MAX_EXPRESSION_CHARS} characters (this one has ${expression.length})`;
  let node: MathNode;
  try {
    node = mathjs().parse(expression);
  } catch (err) {
    return `a valid mathjs expression (${err instanceof Error ? err.message : String(err)})`;
  }
  let count = 0;
  let problem: string | null = null;
  const symbols = new Set<string>();
  node.traverse((n, path) => {
    count++;
    if (problem !== null) return;
    problem = nodeProblem(n);
    if (problem === null && n.type === 'SymbolNode' && path !== 'fn') symbols.add((n as MathJs.SymbolNode).name);
  });
  if (count > MAX_EXPRESSION_NODES) return `an expression of at most ${MAX_EXPRESSION_NODES} operations and values (this one has ${count})`;
  if (problem !== null) return problem;
  return { node, symbols: [...symbols] };
}

/** Why a node is not allowed, or null. */
function nodeProblem(n: MathNode): string | null {
  switch (n.type) {
    case 'ConstantNode': {
      const v = (n as MathJs.ConstantNode).value;
      return typeof v === 'number' || typeof v === 'boolean' ? null : `numbers only (a ${typeof v} constant is not allowed: no strings, no nested evaluate)`;
    }
    case 'SymbolNode': // a function name is checked by its FunctionNode, a value by the caller
    case 'ParenthesisNode':
    case 'ConditionalNode':
      return null;
    case 'OperatorNode': {
      const fn = (n as MathJs.OperatorNode).fn as string;
      return OPERATORS.has(fn) ? null : `scalar operators only (+ - * / ^ %, comparisons, and/or/not; '${(n as MathJs.OperatorNode).op}' is not allowed)`;
    }
    case 'FunctionNode': {
      const f = n as MathJs.FunctionNode;
      const name = f.fn.type === 'SymbolNode' ? (f.fn as MathJs.SymbolNode).name : null;
      const arity = name !== null && Object.prototype.hasOwnProperty.call(SCALAR_FUNCTIONS, name) ? SCALAR_FUNCTIONS[name] : null;
      if (!arity) return `unknown function '${name ?? 'a computed function'}' (scalar functions only: ${Object.keys(SCALAR_FUNCTIONS).join(', ')})`;
      const k = f.args.length;
      if (k < arity[0] || k > arity[1]) return `${name} with ${arity[0] === arity[1] ? arity[0] : `${arity[0]}..${arity[1]}`} argument${arity[1] === 1 ? '' : 's'} (got ${k})`;
      return null;
    }
    case 'RangeNode':
      return 'scalar values only (a range such as 1:10 builds a matrix)';
    case 'MatrixNode':
    case 'ArrayNode':
      return 'scalar values only (no matrices or arrays)';
    default:
      return `scalar arithmetic only (${n.type} is not allowed)`;
  }
}
