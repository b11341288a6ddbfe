/** Issue 14 item 6: objective expressions are scalar, bounded, and name their objective when they fail. */
import { MAX_EXPRESSION_CHARS, checkExpression, quoteExpression } from '../../src/data/expression';
import { applyObjectives, parseObjectives } from '../../src/data/objectives';
import type { RankingDataset } from '../../src/data/dataset';
import { ConfigError, DataError } from '../../src/util/errors';

/** 20 documents, 2 features (f1 = d, f2 = d mod 3), one label. */
function twenty(): RankingDataset {
  const n = 20;
  const features = new Float32Array(n * 2);
  for (let d = 0; d < n; d++) {
    features[2 * d] = d;
    features[2 * d + 1] = d % 3;
  }
  return {
    features,
    nFeatures: 2,
    featureNames: ['f1', 'f2'],
    queryOffsets: Int32Array.from([0, 10, 20]),
    queryIds: ['a', 'b'],
    labelNames: ['relevance'],
    labels: [Float32Array.from({ length: n }, (_, d) => d % 2)],
  };
}

function declarationIssue(expression: string): string {
  try {
    parseObjectives([{ name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs' } }, { name: 'aux', source: { expression }, grading: { kind: 'asIs' } }]);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`expression ${expression} was accepted`);
}

describe('objective expressions', () => {
  test.each([
    ['a range (sum(1:2e7) + f1 hung for a minute)', 'sum(1:2e7) + f1', /unknown function 'sum'|range/],
    ['a 3000×3000 matrix', 'sum(zeros(3000,3000)) + f1', /unknown function/],
    ['a range alone', '1:2e7', /range such as 1:10 builds a matrix/],
    ['a matrix literal', '[1, 2] * f1', /no matrices or arrays/],
    ['a nested evaluate string (bypassed the function whitelist)', 'evaluate("sum(1:2e7)") + f1', /unknown function 'evaluate'/],
    ['a string constant', '"x"', /numbers only/],
    ['an assignment', 'f1 = 3', /AssignmentNode is not allowed/],
    ['a function definition', 'g(x) = x', /FunctionAssignmentNode/],
    ['indexing', 'f1[1]', /not allowed/],
    ['a factorial', 'f1!', /'!' is not allowed/],
    ['a wrong argument count', 'atan2(f1)', /atan2 with 2 arguments \(got 1\)/],
  ])('refuses %s when declared', (_name, expression, pattern) => {
    expect(declarationIssue(expression)).toMatch(pattern);
  });

  test('a 20,000-deep expression is refused without parsing, and quoted in at most ~200 characters', () => {
    const deep = `${'('.repeat(20000)}f1${')'.repeat(20000)}`;
    const message = declarationIssue(deep);
    expect(message).toMatch(new RegExp(`at most ${MAX_EXPRESSION_CHARS} characters \\(this one has 40002\\)`));
    expect(message.length).toBeLessThan(600);
    expect(quoteExpression(deep)).toMatch(/… \(40002 characters\)$/);
    // many nodes within the character limit
    expect(checkExpression(Array.from({ length: 150 }, () => 'f1').join('+'))).toMatch(/at most 200 operations/);
  });

  test('scalar expressions still work, with the same numbers as before', () => {
    const defs = parseObjectives([
      { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs' } },
      { name: 'aux', source: { expression: 'max(f1 - 2, 0) + (f2 > 1 ? 10 : 0) + sqrt(f2) ^ 2 + log(1 + f1, 10) * 0' }, grading: { kind: 'asIs' } },
    ]);
    const { dataset } = applyObjectives(twenty(), defs);
    const want = Array.from({ length: 20 }, (_, d) => Math.max(d - 2, 0) + (d % 3 > 1 ? 10 : 0) + Math.fround(Math.sqrt(d % 3) ** 2));
    Array.from(dataset.labels[1]).forEach((v, d) => expect(v).toBeCloseTo(want[d], 4));
  });

  test('a runtime failure names the objective and the document, quoting the expression briefly', () => {
    const long = `${'0 * f1 + '.repeat(30)}log(f1 - 5, f2)`;
    const defs = parseObjectives([
      { name: 'relevance', source: { label: 'relevance' }, grading: { kind: 'asIs' } },
      { name: 'weird', source: { expression: long }, grading: { kind: 'clip', max: 4 } },
    ]);
    let err: unknown = null;
    try {
      applyObjectives(twenty(), defs);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/objective 'weird'/);
    expect(msg).toMatch(/at document \d+/);
    expect(msg.length).toBeLessThan(long.length + 400);
    expect(msg).not.toContain(long);
  });
});
