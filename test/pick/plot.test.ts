/** The pick's front plot: the constraint drawn at its bound, the operating point and s0 marked. */
import { parseConstraints } from '../../src/eval/constraints';
import { renderSvg } from '../../src/eval/render';
import { constraintBound, pickPlotSpec, type PickPlotInput } from '../../src/pipeline/pickPlot';

const NAMES = ['relevance', 'pagerank', 'shallowUrl'];

describe('constraintBound', () => {
  it('solves an affine constraint on one objective for its bound', () => {
    const [c] = parseConstraints(['relevance >= 0.97 * base.relevance'], NAMES);
    expect(constraintBound(c, 0, 'relevance', [0.6, 0.7, 0.8], [0.72, 0.6, 0.6])).toBeCloseTo(0.97 * 0.72, 12);
    const [d] = parseConstraints(['2 * (pagerank - 0.1) <= 1'], NAMES);
    expect(constraintBound(d, 1, 'pagerank', [0.6, 0.7, 0.8], [0.72, 0.6, 0.6])).toBeCloseTo(0.6, 12);
  });

  it('draws nothing for constraints over several objectives or not affine', () => {
    const [two, bent] = parseConstraints(['relevance >= pagerank', 'abs(relevance - 0.5) <= 0.1'], NAMES);
    expect(constraintBound(two, 0, 'relevance', [0.6, 0.7, 0.8], [0.7, 0.6, 0.6])).toBeNull();
    expect(constraintBound(bent, 0, 'relevance', [0.6, 0.7, 0.8], [0.7, 0.6, 0.6])).toBeNull();
  });
});

describe('pickPlotSpec', () => {
  const input: PickPlotInput = {
    name: 'fresh',
    objectives: NAMES,
    maximize: ['pagerank'],
    constraints: parseConstraints(['relevance >= 0.97 * base.relevance'], NAMES),
    k: 10,
    chosen: { weights: [0.9, 0.1], c: 4.3 },
    chosenNdcg: [0.706, 0.722, 0.69],
    base: [0.727, 0.635, 0.639],
    divisions: 2,
  };
  const lattice = [
    { weights: [0, 1], ndcg: [0.71, 0.66, 0.72] },
    { weights: [0.5, 0.5], ndcg: [0.708, 0.7, 0.7] },
    { weights: [1, 0], ndcg: [0.7, 0.73, 0.66] },
  ];

  it('plots pagerank against relevance with the bound, the point and s0', () => {
    type Layer = { mark: { type?: string; shape?: string }; data: { values: Record<string, number | string>[] }; encoding: Record<string, { field?: string }> };
    const spec = pickPlotSpec(input, lattice) as unknown as { encoding: { x: { title: string }; y: { title: string } }; data: { values: Record<string, unknown>[] }; layer: Layer[] };
    expect(spec.encoding.x.title).toBe('pagerank NDCG@10');
    expect(spec.encoding.y.title).toBe('relevance NDCG@10');
    expect(spec.data.values.map((r) => r['pagerank NDCG@10'])).toEqual([0.66, 0.7, 0.73]);
    const rule = spec.layer.find((l) => l.mark.type === 'rule')!;
    expect(rule.encoding.y.field).toBe('threshold');
    expect(rule.data.values[0].threshold as number).toBeCloseTo(0.97 * 0.727, 12);
    const diamond = spec.layer.find((l) => l.mark.shape === 'diamond')!;
    expect(diamond.data.values[0]).toMatchObject({ label: 'fresh', 'relevance NDCG@10': 0.706, 'pagerank NDCG@10': 0.722 });
    expect(spec.layer.some((l) => l.mark.shape === 'cross')).toBe(true);
  });

  it('renders to SVG with the labels', async () => {
    const svg = await renderSvg(pickPlotSpec(input, lattice));
    expect(svg).toContain('<svg');
    expect(svg).toContain('relevance &gt;= 0.97 * base.relevance');
    expect(svg).toContain('fresh');
  }, 60_000);
});
