/** The constraint language of `cosrank pick`: what it accepts, what it refuses, and the margins it computes. */
import { constraintMargin, MAX_CONSTRAINT_LENGTH, parseConstraints, satisfies } from '../../src/eval/constraints';
import { ConfigError } from '../../src/util/errors';

const NAMES = ['relevance', 'pagerank', 'shallowUrl', 'a'];
const values = { point: [0.5, 0.7, 0.3], base: [0.52, 0.6, 0.4] };

function issuesOf(texts: string[]): string[] {
  try {
    parseConstraints(texts, NAMES);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues.map((i) => `${i.path}: ${i.expected}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConstraints', () => {
  it('computes sides and margins by hand for each comparison', () => {
    const [ge, lt, mixed, fn] = parseConstraints(
      ['relevance >= 0.97 * base.relevance', 'shallowUrl < 0.25', '(pagerank - base.pagerank) / 2 > -relevance + 0.55', 'max(pagerank, shallowUrl) <= abs(-0.8)'],
      NAMES,
    );
    expect(ge.lhs(values)).toBe(0.5);
    expect(ge.rhs(values)).toBeCloseTo(0.97 * 0.52, 12);
    expect(constraintMargin(ge, values)).toBeCloseTo(0.5 - 0.5044, 12);
    expect(satisfies(ge, constraintMargin(ge, values))).toBe(false);
    expect(constraintMargin(lt, values)).toBeCloseTo(0.25 - 0.3, 12);
    expect(constraintMargin(mixed, values)).toBeCloseTo((0.7 - 0.6) / 2 - (-0.5 + 0.55), 12);
    expect(constraintMargin(fn, values)).toBeCloseTo(0.8 - 0.7, 12);
    expect(satisfies(fn, constraintMargin(fn, values))).toBe(true);
    expect(ge.objectives).toEqual(['relevance']);
    expect(mixed.objectives).toEqual(['pagerank', 'relevance']);
  });

  it('a strict comparison does not hold at margin 0, a non-strict one does', () => {
    const [strict, loose] = parseConstraints(['pagerank > 0.7', 'pagerank >= 0.7'], NAMES);
    expect(constraintMargin(strict, values)).toBe(0);
    expect(satisfies(strict, 0)).toBe(false);
    expect(satisfies(loose, 0)).toBe(true);
  });

  it.each([
    ['an unknown objective', 'clicks >= 0.6', "'clicks' is unknown"],
    ['an unknown base objective', 'relevance >= base.clicks', "'base.clicks' is unknown"],
    ['base alone', 'relevance >= base', "'base' followed by an objective name"],
    ['a non-comparison', 'relevance + 1', 'one comparison'],
    ['an assignment', 'relevance = 0.5', 'one comparison'],
    ['equality', 'relevance == 0.5', 'one comparison'],
    ['a chained comparison', '0.4 <= relevance <= 0.6', 'a chained comparison'],
    ['a logical combination', 'relevance > 0.4 and pagerank > 0.5', 'one comparison'],
    ['a nested comparison', '(relevance > 0.4) >= 1', 'exactly one comparison'],
    ['another function', 'sqrt(relevance) >= 0.5', 'functions min, max, abs only'],
    ['a string', 'relevance >= "a"', 'finite numbers only'],
    ['a power', 'relevance ^ 2 >= 0.5', "got '^'"],
    ['a matrix', 'relevance >= [1, 2]', 'got a array'],
    ['constants only', '1 >= 0.5', 'at least one objective'],
    ['a syntax error', 'relevance >=', 'a mathjs comparison'],
    ['an empty expression', '  ', 'a comparison such as'],
    ['an index into base', 'relevance >= base["relevance"]', 'base.<objective>'],
  ])('refuses %s', (_what, text, expected) => {
    const issues = issuesOf([text]);
    expect(issues.join('\n')).toContain(expected);
    expect(issues[0]).toMatch(/^constraint\[0\]: /);
  });

  it('bounds the size of an expression (length and terms)', () => {
    expect(issuesOf(['relevance >= ' + '0'.repeat(MAX_CONSTRAINT_LENGTH)])[0]).toContain(`at most ${MAX_CONSTRAINT_LENGTH} characters`);
    expect(issuesOf(['relevance >= ' + Array.from({ length: 40 }, () => 'a').join('+')])[0]).toContain('terms');
  });

  it('reports every problem of every constraint at once, each at its index', () => {
    const issues = issuesOf(['relevance >= 0.5', 'clicks > 1', 'relevance = 2']);
    expect(issues).toHaveLength(2);
    expect(issues[0]).toMatch(/^constraint\[1\]: .*clicks/);
    expect(issues[1]).toMatch(/^constraint\[2\]: /);
  });

  it('does not resolve names through the prototype chain', () => {
    expect(issuesOf(['constructor(relevance) >= 0'])[0]).toContain("got 'constructor'");
    expect(issuesOf(['toString >= 0'])[0]).toContain("'toString' is unknown");
  });
});
