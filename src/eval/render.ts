/**
 * Headless rendering of Vega-Lite specs: Vega-Lite `compile` → Vega `View` (renderer `none`, no canvas or
 * browser) → SVG string; SVG → PNG with resvg.
 *
 * Fonts: Vega asks for `sans-serif`; resvg resolves it among the system fonts (any installed TrueType font
 * works, e.g. Debian/Ubuntu `fonts-dejavu-core`). On a machine without fonts the text of a PNG is silently
 * missing (the SVG is unaffected): pass `fontFiles` to supply fonts explicitly.
 */
import type { TopLevelSpec } from 'vega-lite';

// Vega, Vega-Lite and resvg load on first use: importing the report code (e.g. from `cosrank eval`
// without --out) should not pay their start-up time.

/** Renders a Vega-Lite spec to a standalone SVG document (its size is in the root `width`/`height`). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { compile } = await import('vega-lite');
  const { parse, View } = await import('vega');
  const vg = compile(spec).spec;
  const view = new View(parse(vg), { renderer: 'none', logLevel: 0 });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface PngOptions {
  /** Pixel density: the PNG is `scale ×` the SVG's size. Default 2. */
  scale?: number;
  /** Background colour. Default white (the SVG's own background is kept where it has one). */
  background?: string;
  /** Extra font files (TTF/OTF) to load besides the system fonts. */
  fontFiles?: string[];
}

/** Rasterises an SVG document to PNG bytes at `scale ×` its stated size. */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const { Resvg } = require('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  const scale = options.scale ?? 2;
  if (!(scale > 0 && Number.isFinite(scale))) throw new RangeError(`PNG scale must be a finite number > 0, got ${scale}`);
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: options.background ?? 'white',
    // resvg maps `sans-serif` to Arial, absent on most Linux machines (then it falls back to a serif face).
    font: { loadSystemFonts: true, fontFiles: options.fontFiles ?? [], sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/** Renders a Vega-Lite spec to PNG bytes (`renderSvg` then `svgToPng`). */
export async function renderPng(spec: TopLevelSpec, options: PngOptions = {}): Promise<Buffer> {
  return svgToPng(await renderSvg(spec), options);
}
