/** The comparison outputs: monotonicity violations on a hand-made front, the Markdown table, the plot spec. */
import { compareFrontSpec } from '../../src/eval/compareFront';
import { compareMarkdown, monotonicityViolations, type MethodComparison } from '../../src/pipeline/compareReport';

const objectives = ['relevance', 'pagerank', 'url'];
// w = (w_pagerank, w_url); pagerank's NDCG drops from w1 = 0.5 to w1 = 1 (one violation), url's is monotone
const rows = [
  { weights: [0, 1], ndcg: [0.7, 0.2, 0.9] },
  { weights: [0.5, 0.5], ndcg: [0.72, 0.6, 0.5] },
  { weights: [1, 0], ndcg: [0.71, 0.55, 0.1] },
];

describe('comparison outputs', () => {
  it('lists each adjacent pair where a larger weight loses NDCG, per auxiliary', () => {
    expect(monotonicityViolations(rows, objectives)).toEqual(['pagerank: NDCG 0.6000 at w=(0.5, 0.5) > 0.5500 at w=(1, 0)']);
    expect(monotonicityViolations(rows.slice(0, 2), objectives)).toEqual([]);
  });

  it('writes the test figures with the validation figures beside them, and lists violations', () => {
    const fig = { hypervolume: 0.5, mainMean: 0.7, mainStd: 0.01, points: [] };
    const m: MethodComparison = {
      method: 'soup', ...fig, trainSeconds: 12.5, validationSeconds: 3, jobs: 2, parameters: 12345, chosenStep: 400,
      validation: { ...fig, hypervolume: 0.52 }, monotonicityViolations: ['pagerank: x'], notes: ['one common step for all jobs: 400'],
    };
    const md = compareMarkdown([m], { title: 'T', split: 'S', k: 10, machine: 'M' });
    expect(md).toContain('| soup | 0.5000 | 0.5200 | 0.7000 ± 0.0100 | 0.7000 ± 0.0100 | 12.5 | 3.0 | 2 | 12,345 |');
    expect(md).toContain('- soup: 1 violation(s)\n  - pagerank: x');
  });

  it('overlays the methods on the two auxiliaries, one row per point, labelled by w', () => {
    const table = { objectives, k: 10, policy: '', counts: [], rows };
    const spec = compareFrontSpec([{ method: 'wcos', table }, { method: 'soup', table }]) as unknown as { data: { values: Record<string, unknown>[] } };
    expect(spec.data.values).toHaveLength(6);
    expect(spec.data.values[1]).toEqual({ method: 'wcos', point: 1, label: 'w=(0.5, 0.5)', 'pagerank NDCG@10': 0.6, 'url NDCG@10': 0.5 });
  });
});
