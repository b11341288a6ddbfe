import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { inflateSync } from 'node:zlib';
import { frontPlotSpec, scatterMatrixSpec, trainingCurvesSpec, ndcgField, PLOT_FONT } from '../../src/eval/plots';
import { plotFontFiles, renderPng, renderSvg, svgToPng } from '../../src/eval/render';
import { readTrainingLog } from '../../src/eval/trainingLog';
import type { SweepTable } from '../../src/eval/sweep';
import { DataError } from '../../src/util/errors';

/** m = 2 auxiliaries, three weight points, rows deliberately not sorted by any NDCG. */
const table2: SweepTable = {
  objectives: ['rel', 'fresh', 'clicks'],
  k: 10,
  policy: 'gain=linear idcgZero=skip ties=stable',
  counts: [],
  rows: [
    { weights: [1, 0], ndcg: [0.41, 0.62, 0.3] },
    { weights: [0.5, 0.5], ndcg: [0.45, 0.5, 0.5] },
    { weights: [0, 1], ndcg: [0.4, 0.35, 0.66] },
  ],
};

type Row = Record<string, unknown>;
/** The inline data rows of a spec. */
const dataRows = (spec: unknown): Row[] => (spec as { data: { values: Row[] } }).data.values;

describe('frontPlotSpec (m = 2)', () => {
  const spec = frontPlotSpec(table2, { front: [0, 2], width: 300, height: 200 });
  type Layer = { mark: { type: string }; encoding?: Record<string, unknown>; data?: { values: Row[] } };
  const layers = (s: unknown): Layer[] => (s as { layer: Layer[] }).layer;

  it('layers a line in weight order under points coloured by the main NDCG, shaped by front membership', () => {
    expect(spec).toMatchObject({
      width: 300,
      height: 200,
      encoding: { x: { field: 'fresh NDCG@10', type: 'quantitative' }, y: { field: 'clicks NDCG@10', type: 'quantitative' } },
    });
    expect(layers(spec).slice(0, 2)).toMatchObject([
      { mark: { type: 'line' }, encoding: { order: { field: 'point', type: 'quantitative' } } },
      { mark: { type: 'point' }, encoding: { color: { field: 'rel NDCG@10', type: 'quantitative' }, shape: { field: 'onFront' } } },
    ]);
    expect(dataRows(spec).map((r) => r.onFront)).toEqual([true, false, true]);
  });

  it('drops the front legend when every point is on the front', () => {
    const all = frontPlotSpec(table2, { front: [0, 1, 2] });
    expect(layers(all)[1].encoding).not.toHaveProperty('shape');
    expect(layers(all)[1].encoding).toHaveProperty('color');
  });

  it('labels points by their weights: all of a small sweep, or only the front', () => {
    const text = (s: unknown): Layer | undefined => layers(s).find((l) => l.mark.type === 'text');
    expect(text(spec)?.data?.values.map((r) => r.label)).toEqual(['w=(1, 0)', 'w=(0.5, 0.5)', 'w=(0, 1)']);
    expect(text(frontPlotSpec(table2, { front: [0, 2], labels: 'front' }))?.data?.values.map((r) => r.label)).toEqual(['w=(1, 0)', 'w=(0, 1)']);
    expect(text(frontPlotSpec(table2, { labels: 'none' }))).toBeUndefined();
    const one: SweepTable = { ...table2, objectives: ['rel', 'fresh'], rows: [{ weights: [0.25], ndcg: [0.4, 0.5] }] };
    expect(text(frontPlotSpec(one))?.data?.values.map((r) => r.label)).toEqual(['w=0.25']);
  });

  it('labels only one of points closer than 6% of the plotted ranges, so labels never pile up', () => {
    const dense: SweepTable = { ...table2, rows: [...table2.rows, { weights: [0.6, 0.4], ndcg: [0.45, 0.505, 0.502] }] };
    const text = layers(frontPlotSpec(dense)).find((l) => l.mark.type === 'text');
    // the new point is 0.005/0.27 and 0.002/0.36 of the ranges away from w=(0.5, 0.5): not labelled
    expect(text?.data?.values.map((r) => r.label)).toEqual(['w=(1, 0)', 'w=(0.5, 0.5)', 'w=(0, 1)']);
  });

  it('draws the base ranker s0 at its NDCG values, labelled', () => {
    const s = frontPlotSpec(table2, { base: { ndcg: [0.43, 0.55, 0.41] } });
    const baseLayers = layers(s).filter((l) => l.data?.values[0]?.label === 's0');
    expect(baseLayers.map((l) => l.mark.type).sort()).toEqual(['point', 'text']);
    expect(baseLayers[0].data?.values[0]).toMatchObject({ 'fresh NDCG@10': 0.55, 'clicks NDCG@10': 0.41, 'rel NDCG@10': 0.43 });
    expect(() => frontPlotSpec(table2, { base: { ndcg: [0.4] } })).toThrow(/1 NDCG values for 3 objectives/);
  });

  it('has one data row per table row, in weight order, with the table values', () => {
    const rows = dataRows(spec);
    expect(rows).toHaveLength(3);
    expect(rows.map((r) => r.weights)).toEqual(['1, 0', '0.5, 0.5', '0, 1']);
    expect(rows.map((r) => r.point)).toEqual([0, 1, 2]);
    expect(rows.map((r) => r[ndcgField('fresh', 10)])).toEqual([0.62, 0.5, 0.35]);
    expect(rows.map((r) => r['clicks NDCG@10'])).toEqual([0.3, 0.5, 0.66]);
    expect(rows.map((r) => r['rel NDCG@10'])).toEqual([0.41, 0.45, 0.4]);
  });

  it('plots auxiliary against main for m = 1', () => {
    const one: SweepTable = { ...table2, objectives: ['rel', 'fresh'], rows: table2.rows.map((r) => ({ weights: [1], ndcg: r.ndcg.slice(0, 2) })) };
    expect(frontPlotSpec(one)).toMatchObject({ encoding: { x: { field: 'fresh NDCG@10' }, y: { field: 'rel NDCG@10' } } });
  });

  it('escapes dots and brackets in field references but not in the data', () => {
    const odd: SweepTable = { ...table2, objectives: ['rel', 'a.b', 'c[1]'] };
    const s = frontPlotSpec(odd);
    expect(s).toMatchObject({ encoding: { x: { field: 'a\\.b NDCG@10' }, y: { field: 'c\\[1\\] NDCG@10' } } });
    expect(dataRows(s)[0]['a.b NDCG@10']).toBe(0.62);
  });

  it('rejects rows whose length does not match the objectives', () => {
    expect(() => frontPlotSpec({ ...table2, rows: [{ weights: [1, 0], ndcg: [0.1] }] })).toThrow(/1 NDCG values for 3 objectives/);
  });
});

describe('scatterMatrixSpec (m > 2)', () => {
  const table3: SweepTable = {
    ...table2,
    objectives: ['rel', 'a', 'b', 'c'],
    rows: [
      { weights: [1, 0, 0], ndcg: [0.4, 0.7, 0.2, 0.3] },
      { weights: [0, 1, 0], ndcg: [0.42, 0.3, 0.6, 0.31] },
      { weights: [0, 0, 1], ndcg: [0.38, 0.32, 0.25, 0.65] },
    ],
  };

  it('repeats over the auxiliary fields, coloured by the main NDCG, and frontPlotSpec delegates to it', () => {
    const s = scatterMatrixSpec(table3);
    const aux = ['a NDCG@10', 'b NDCG@10', 'c NDCG@10'];
    expect(s).toMatchObject({
      repeat: { row: aux, column: aux },
      spec: {
        mark: { type: 'point' },
        encoding: { x: { field: { repeat: 'column' } }, y: { field: { repeat: 'row' } }, color: { field: 'rel NDCG@10' } },
      },
    });
    expect(dataRows(s)).toHaveLength(3);
    expect(frontPlotSpec(table3)).toEqual(s);
  });

  it('renders to SVG', async () => {
    const svg = await renderSvg(scatterMatrixSpec(table3));
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('b NDCG@10');
  });
});

describe('trainingCurvesSpec', () => {
  const log = [
    { step: 0, loss: 2.0 },
    { step: 100, loss: 1.5, validation: { hypervolume: 0.1, ndcg: 0.4 } },
    { step: 200, loss: 1.2, validation: { hypervolume: 0.12, ndcg: 0.41 } },
  ];

  it('facets loss and validation with independent y scales', () => {
    const s = trainingCurvesSpec(log);
    expect(s).toMatchObject({
      facet: { row: { field: 'panel' } },
      resolve: { scale: { y: 'independent' } },
      spec: { mark: { type: 'line' }, encoding: { x: { field: 'step' }, y: { field: 'value' }, color: { field: 'series' } } },
    });
    // 3 losses + 2 × 2 validation values.
    const rows = dataRows(s);
    expect(rows).toHaveLength(7);
    expect(rows.filter((r) => r.panel === 'loss').map((r) => r.value)).toEqual([2.0, 1.5, 1.2]);
    expect(rows.filter((r) => r.series === 'hypervolume').map((r) => [r.step, r.value])).toEqual([[100, 0.1], [200, 0.12]]);
  });

  it('renders', async () => {
    expect(await renderSvg(trainingCurvesSpec(log))).toContain('validation');
  });

  it('puts hypervolume in its own panel, apart from NDCG', () => {
    const rows = dataRows(trainingCurvesSpec(log));
    expect(new Set(rows.filter((r) => r.series === 'hypervolume').map((r) => r.panel))).toEqual(new Set(['hypervolume']));
    expect(new Set(rows.filter((r) => r.series === 'ndcg').map((r) => r.panel))).toEqual(new Set(['validation']));
    expect(trainingCurvesSpec(log)).toMatchObject({ facet: { row: { sort: ['loss', 'validation', 'hypervolume'] } } });
    expect(trainingCurvesSpec([{ step: 1, loss: 1 }])).toMatchObject({ facet: { row: { sort: ['loss'] } } });
  });

  it('draws each stage (base and COS) with its own dash, and never cuts legend labels', () => {
    const base = [{ step: 0, loss: 3 }, { step: 50, loss: 2, validation: { ndcg: 0.3 } }];
    const s = trainingCurvesSpec([{ stage: 'base s0', log: base }, { stage: 'COS', log }]);
    const rows = dataRows(s);
    expect(rows.filter((r) => r.stage === 'base s0').map((r) => r.value)).toEqual([3, 2, 0.3]);
    expect(rows.filter((r) => r.stage === 'COS')).toHaveLength(7);
    expect(s).toMatchObject({ config: { legend: { labelLimit: 0 } }, spec: { encoding: { strokeDash: { field: 'stage' } } } });
    expect((trainingCurvesSpec(log) as { spec: { encoding: object } }).spec.encoding).not.toHaveProperty('strokeDash');
  });
});

describe('readTrainingLog', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cosrank-log-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads JSON lines, skipping blank lines', async () => {
    const file = path.join(dir, 'ok.jsonl');
    fs.writeFileSync(file, '{"step":1,"loss":0.5}\n\n{"step":2,"loss":null,"validation":{"hv":0.2}}\n');
    expect(await readTrainingLog(file)).toEqual([{ step: 1, loss: 0.5 }, { step: 2, validation: { hv: 0.2 } }]);
  });

  it.each([
    ['{"step":1}\n{"step":2,', /bad\.jsonl:2: not JSON/],
    ['{"step":1}\n\n[1]', /bad\.jsonl:3: expected a JSON object/],
    ['{"loss":1}', /bad\.jsonl:1: "step" must be a finite number/],
    ['{"step":1,"validation":{"hv":"x"}}', /bad\.jsonl:1: "validation\.hv" must be a number/],
  ])('names file and line of a bad line: %j', async (text, message) => {
    const file = path.join(dir, 'bad.jsonl');
    fs.writeFileSync(file, text);
    const err = await readTrainingLog(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toMatch(message);
  });
});

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
function pngSize(png: Buffer): { width: number; height: number } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

/**
 * Decodes an 8-bit RGBA, non-interlaced PNG (what resvg writes) to its pixels: inflate the concatenated
 * IDAT chunks, then undo the per-row filters (PNG spec §9: None, Sub, Up, Average, Paeth).
 */
function decodePng(png: Buffer): Buffer {
  const { width, height } = pngSize(png);
  expect([png[24], png[25], png[28]]).toEqual([8, 6, 0]); // bit depth 8, colour type RGBA, no interlace
  const idat: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const len = png.readUInt32BE(at);
    if (png.subarray(at + 4, at + 8).toString('ascii') === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x];
      const a = x >= 4 ? out[y * stride + x - 4] : 0;
      const b = y > 0 ? out[(y - 1) * stride + x] : 0;
      const c = x >= 4 && y > 0 ? out[(y - 1) * stride + x - 4] : 0;
      out[y * stride + x] = (v + predictor(filter, a, b, c)) & 0xff;
    }
  }
  return out;
}

function predictor(filter: number, a: number, b: number, c: number): number {
  switch (filter) {
    case 0:
      return 0;
    case 1:
      return a;
    case 2:
      return b;
    case 3:
      return (a + b) >> 1;
    default: {
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
  }
}

/** Counts of pixels that are not white and of pixels that are coloured (not grey) in an RGBA buffer. */
function inkCounts(pixels: Buffer): { ink: number; colour: number; total: number } {
  let ink = 0;
  let colour = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    const [r, g, b] = [pixels[i], pixels[i + 1], pixels[i + 2]];
    if (r < 240 || g < 240 || b < 240) ink++;
    if (Math.max(r, g, b) - Math.min(r, g, b) > 60) colour++;
  }
  return { ink, colour, total: pixels.length / 4 };
}

describe('rendering', () => {
  it('renders a front to a PNG of the SVG size × scale, with axes and coloured points drawn', async () => {
    const spec = frontPlotSpec(table2, { width: 300, height: 200 });
    const svg = await renderSvg(spec);
    const [, w, h] = /^<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg) ?? [];
    expect(Number(w)).toBeGreaterThan(300); // plot area plus axes and legend
    const png = await renderPng(spec, { scale: 2 });
    expect(pngSize(png)).toEqual({ width: 2 * Number(w), height: 2 * Number(h) });
    expect(svgToPng(svg, { scale: 1.5 }).readUInt32BE(16)).toBe(Math.round(1.5 * Number(w)));

    const { ink, colour, total } = inkCounts(decodePng(png));
    expect(ink / total).toBeGreaterThan(0.01); // axes, grid, line, points, text
    expect(colour).toBeGreaterThan(50); // viridis points and legend gradient
    expect(ink / total).toBeLessThan(0.9); // not a filled-in rectangle either
  });

  it('rejects a bad scale', () => {
    expect(() => svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>', { scale: 0 })).toThrow(/scale/);
  });

  it('draws text with the packaged Lato font, whatever family is asked for and whatever the system has', () => {
    const text = (label: string, family: string): string =>
      `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><text x="5" y="28" font-family="${family}" font-size="20">${label}</text></svg>`;
    const pixels = (svg: string): Buffer => decodePng(svgToPng(svg, { scale: 1 }));
    const lato = pixels(text('NDCG@10 front', PLOT_FONT));
    expect(inkCounts(lato).ink).toBeGreaterThan(100);
    expect(inkCounts(pixels(text('', PLOT_FONT))).ink).toBe(0);
    // system fonts are not loaded: generic and unknown families fall back to the same Lato glyphs
    expect(pixels(text('NDCG@10 front', 'sans-serif')).equals(lato)).toBe(true);
    expect(pixels(text('NDCG@10 front', 'no such family')).equals(lato)).toBe(true);
    expect(plotFontFiles().every((f) => fs.existsSync(f) && f.endsWith('.ttf'))).toBe(true);
  });

  it('asks Vega for the plot font', async () => {
    const svg = await renderSvg(frontPlotSpec(table2));
    expect(svg).toContain(`font-family="${PLOT_FONT}"`);
    expect(svg).not.toMatch(/font-family="sans-serif"/);
  });
});
