import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildHtmlReport, buildReport, describeIdcgZero, formatHypervolume, reportDocument, sweepCsv, writeReport, type ReportInput } from '../../src/eval/report';
import type { SweepTable } from '../../src/eval/sweep';

/** Points 0–2 are mutually non-dominated on (fresh, clicks); point 3 (0.4, 0.4) is dominated by point 1. */
const sweep: SweepTable = {
  objectives: ['rel', 'fresh', 'clicks'],
  k: 10,
  policy: 'gain=linear idcgZero=skip ties=stable',
  counts: [],
  rows: [
    { weights: [1, 0], ndcg: [0.5, 0.6, 0.2] },
    { weights: [0.5, 0.5], ndcg: [0.4, 0.5, 0.5] },
    { weights: [0, 1], ndcg: [0.3, 0.2, 0.6] },
    { weights: [0.25, 0.75], ndcg: [0.45, 0.4, 0.4] },
  ],
};
// Hypervolume w.r.t. the origin, slicing by x descending: 0.6·0.2 + 0.5·(0.5 − 0.2) + 0.2·(0.6 − 0.5) = 0.29.
const HV = 0.6 * 0.2 + 0.5 * 0.3 + 0.2 * 0.1;
// Main NDCG: mean (0.5 + 0.4 + 0.3 + 0.45) / 4 = 0.4125; population std sqrt(0.021875 / 4) ≈ 0.07395.
const MAIN_MEAN = 0.4125;
const MAIN_STD = Math.sqrt((0.0875 ** 2 + 0.0125 ** 2 + 0.1125 ** 2 + 0.0375 ** 2) / 4);

const full: ReportInput = {
  title: 'MQ2008 fold 1',
  dataset: { file: 'test.arrow', queries: 156, documents: 2874 },
  objectives: [
    { name: 'rel', definition: 'relevance label 0–2' },
    { name: 'fresh', definition: 'feature 41 | quantile buckets' },
    { name: 'clicks', definition: 'feature 42' },
  ],
  policy: { gain: 'linear', k: 10, idcgZero: 'skip', ties: 'stable', idcgZeroQueries: { rel: 52, fresh: 0, clicks: 1 } },
  metricTables: [
    {
      title: 'Base ranker',
      rows: [{ objective: 'rel', metric: 'ndcg', k: 10, mean: 0.51234, queries: 104, skippedQueries: 52, policy: sweep.policy }],
    },
  ],
  sweep,
  training: { seconds: 4043.25, parameters: 50432 },
  method: 'W-COS-DPO',
  baselines: [{ method: 'DPO-LS', hypervolume: 1.648e-3, mainNdcg: { mean: 0.355, std: 0.01 }, trainingSeconds: 14649, parameters: 551232 }],
  notes: ['early stopped at step 800'],
};

/** The body of a `## heading` section (up to the next heading). */
function section(md: string, heading: string): string {
  const start = md.indexOf(`## ${heading}`);
  expect(start).toBeGreaterThanOrEqual(0);
  const next = md.indexOf('\n## ', start + 3);
  return md.slice(start, next < 0 ? undefined : next);
}

describe('buildReport', () => {
  const md = buildReport(full);

  it('has every section in order', () => {
    const headings = md.split('\n').filter((l) => /^#{1,2} /.test(l));
    expect(headings).toEqual([
      '# MQ2008 fold 1',
      '## Dataset',
      '## Objectives',
      '## Metric policy',
      '## Base ranker',
      '## Summary',
      '## Sweep (NDCG@10, gain=linear idcgZero=skip ties=stable)',
      '## Notes',
    ]);
  });

  it('reports the dataset, objectives and policy', () => {
    expect(section(md, 'Dataset')).toContain('| queries | 156 |');
    expect(section(md, 'Objectives')).toContain('| rel (main) | relevance label 0–2 |');
    expect(section(md, 'Objectives')).toContain('| fresh | feature 41 \\| quantile buckets |'); // pipe escaped
    const policy = section(md, 'Metric policy');
    expect(policy).toContain('- gain: linear');
    expect(policy).toContain('- k: 10');
    expect(policy).toContain('- IDCG=0 policy: skip (52 queries skipped for rel, 1 query skipped for clicks)');
  });

  it('reports metric tables', () => {
    expect(section(md, 'Base ranker')).toContain('| rel | ndcg@10 | 0.5123 | 104 | 52 |');
  });

  it('summarises the sweep like Table 1: hypervolume, main NDCG mean ± std, time, parameters', () => {
    const s = section(md, 'Summary');
    expect(s).toContain('auxiliary hypervolume (reference 0, 0)');
    expect(s).toContain(`| W-COS-DPO | ${HV.toExponential(3)} | ${MAIN_MEAN.toFixed(4)} ± ${MAIN_STD.toFixed(4)} | 4043.3 | 50,432 |`);
    expect(s).toContain('| DPO-LS | 1.648e-3 | 0.3550 ± 0.0100 | 14649.0 | 551,232 |');
    expect(HV.toExponential(3)).toBe('2.900e-1');
  });

  it('lists every sweep point with its weights, NDCGs and front membership', () => {
    const s = section(md, 'Sweep');
    expect(s).toContain('| point | weights (fresh, clicks) | rel (main) | fresh | clicks | front |');
    expect(s).toContain('| 0 | 1, 0 | 0.5000 | 0.6000 | 0.2000 | yes |');
    expect(s).toContain('| 2 | 0, 1 | 0.3000 | 0.2000 | 0.6000 | yes |');
    expect(s).toContain('| 3 | 0.25, 0.75 | 0.4500 | 0.4000 | 0.4000 |  |');
  });

  it('uses the given reference point and summary', () => {
    const s = section(buildReport({ sweep, reference: [0.1, 0.1] }), 'Summary');
    // (0.5·0.1 + 0.4·0.3 + 0.1·0.1) w.r.t. (0.1, 0.1).
    expect(s).toContain(`reference 0.1, 0.1`);
    expect(s).toContain(`| model | ${(0.5 * 0.1 + 0.4 * 0.3 + 0.1 * 0.1).toExponential(3)} |`);
    const given = buildReport({ sweep, summary: { front: [1], hypervolume: 7, mainMean: 0.1, mainStd: 0.2 } });
    expect(section(given, 'Summary')).toContain('| model | 7.000e+0 | 0.1000 ± 0.2000 | – | – |');
    expect(section(given, 'Sweep')).toContain('| 0 | 1, 0 | 0.5000 | 0.6000 | 0.2000 |  |');
  });

  it('leaves out sections without input', () => {
    expect(buildReport({})).toBe('# cosrank evaluation report\n');
  });
});

describe('helpers', () => {
  it('describeIdcgZero states the policy and the queries it touched', () => {
    expect(describeIdcgZero({ idcgZero: 'one', idcgZeroQueries: { rel: 3 } })).toBe('one (3 queries scored 1 for rel)');
    expect(describeIdcgZero({ idcgZero: 'zero', idcgZeroQueries: { rel: 0 } })).toBe('zero (no query has IDCG = 0)');
  });

  it('formatHypervolume keeps 4 significant digits', () => {
    expect(formatHypervolume(2.0391e-3)).toBe('2.039e-3');
    expect(formatHypervolume(NaN)).toBe('n/a');
  });

  it('sweepCsv writes weights, NDCGs and the front flag', () => {
    const lines = sweepCsv(sweep, [0, 1, 2]).trim().split('\n');
    expect(lines[0]).toBe('point,w_fresh,w_clicks,rel_ndcg@10,fresh_ndcg@10,clicks_ndcg@10,front');
    expect(lines[4]).toBe('3,0.25,0.75,0.45,0.4,0.4,0');
  });
});

describe('writeReport', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-report-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes report.md with the plots, sweep.csv and summary.json beside it', async () => {
    const out = path.join(dir, 'run');
    const log = [
      { step: 0, loss: 1 },
      { step: 10, loss: 0.5, validation: { hv: 0.2 } },
    ];
    const { report, files } = await writeReport(out, full, { trainingLog: log, png: { scale: 1 } });
    expect(report).toBe(path.join(out, 'report.md'));
    expect(files.map((f) => path.basename(f)).sort()).toEqual(
      ['front.png', 'front.svg', 'report.html', 'report.md', 'summary.json', 'sweep.csv', 'training.png', 'training.svg'].sort(),
    );
    for (const f of files) expect(fs.statSync(f).size).toBeGreaterThan(0);
    const md = fs.readFileSync(report, 'utf8');
    expect(section(md, 'Plots')).toContain('![Trade-off front](front.png)');
    expect(section(md, 'Plots')).toContain('![Training curves](training.png)');
    expect(fs.readFileSync(path.join(out, 'front.png')).subarray(1, 4).toString('ascii')).toBe('PNG');
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.front).toEqual([0, 1, 2]);
    expect(summary.hypervolume.reference).toEqual([0, 0]);
    expect(summary.hypervolume.value).toBeCloseTo(HV, 12);
    expect(summary.mainNdcg.mean).toBeCloseTo(MAIN_MEAN, 12);
    expect(summary.mainNdcg.std).toBeCloseTo(MAIN_STD, 12);
    expect(summary.training).toEqual({ seconds: 4043.25, parameters: 50432 });
  });

  it('writes report.html: the same sections, the plots inline as SVG, the font embedded, nothing linked', async () => {
    const out = path.join(dir, 'html');
    const base = { name: 's0', ndcg: [0.52, 0.45, 0.3] };
    const logs = [
      { stage: 'base s0', log: [{ step: 0, loss: 2 }, { step: 5, loss: 1 }] },
      { stage: 'COS', log: [{ step: 0, loss: 1 }, { step: 10, loss: 0.5, validation: { hypervolume: 0.2 } }] },
    ];
    const { html } = await writeReport(out, { ...full, base }, { trainingLogs: logs, png: { scale: 1 } });
    expect(html).toBe(path.join(out, 'report.html'));
    const page = fs.readFileSync(html, 'utf8');
    const headings = [...page.matchAll(/<h2>([^<]*)<\/h2>/g)].map((m) => m[1]);
    expect(headings).toEqual(reportDocument({ ...full, plots: [{ title: '', file: '' }] }).sections.map((s) => s.heading.replace(/&/g, '&amp;')));
    // both plots inline: the front (with the base ranker's label) and the training curves (both stages)
    expect(page.match(/<svg[\s>]/g)).toHaveLength(2);
    expect(page).toContain('>s0</text>');
    expect(page).toContain('base s0');
    expect(page).toMatch(/@font-face\{font-family:Lato;font-weight:400;[^}]*base64,/);
    // self-contained: no reference to another file or the network
    expect(page).not.toMatch(/(src|href)="(?!data:)/);
    expect(page).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
  });
});

describe('buildHtmlReport', () => {
  it('escapes text and renders tables and lists', () => {
    const page = buildHtmlReport({ title: 'a <b> & "c"', dataset: { file: 'x<y>.arrow' }, notes: ['1 < 2'] });
    expect(page).toContain('<h1>a &lt;b&gt; &amp; &quot;c&quot;</h1>');
    expect(page).toContain('<td>x&lt;y&gt;.arrow</td>');
    expect(page).toContain('<li>1 &lt; 2</li>');
    expect(page).not.toContain('<b>');
  });

  it('links a plot without SVG to its file', () => {
    const page = buildHtmlReport({ plots: [{ title: 'Front', file: 'my front.png' }] });
    expect(page).toContain('<img src="my%20front.png" alt="Front">');
  });
});
