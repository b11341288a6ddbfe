/**
 * Headless rendering of Vega-Lite specs: Vega-Lite `compile` → Vega `View` (renderer `none`, no canvas or
 * browser) → SVG string; SVG → PNG with resvg.
 *
 * Fonts: the plots ask for Lato (`PLOT_FONT`); resvg is given Lato's TrueType files from the
 * `@expo-google-fonts/lato` package and does not read the system fonts, so a PNG looks the same on every
 * machine, with or without installed fonts.
 */
import { PLOT_FONT, type PlotSpec } from './plots';

// Vega, Vega-Lite and resvg load on first use: importing the report code (e.g. from `cosrank eval`
// without --out) should not pay their start-up time.

/** Renders a Vega-Lite spec to a standalone SVG document (its size is in the root `width`/`height`). */
export async function renderSvg(spec: PlotSpec): Promise<string> {
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
  /** Extra font files (TTF/OTF) to load besides the packaged Lato faces. */
  fontFiles?: string[];
}

/** Lato's regular, italic, bold and bold italic faces, as shipped by `@expo-google-fonts/lato`. */
export function plotFontFiles(): string[] {
  return ['400Regular/Lato_400Regular', '400Regular_Italic/Lato_400Regular_Italic', '700Bold/Lato_700Bold', '700Bold_Italic/Lato_700Bold_Italic'].map(
    (face) => require.resolve(`@expo-google-fonts/lato/${face}.ttf`),
  );
}

/** Rasterises an SVG document to PNG bytes at `scale ×` its stated size. */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const { Resvg } = require('@resvg/resvg-js') as typeof import('@resvg/resvg-js');
  const scale = options.scale ?? 2;
  if (!(scale > 0 && Number.isFinite(scale))) throw new RangeError(`PNG scale must be a finite number > 0, got ${scale}`);
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: options.background ?? 'white',
    // only the packaged faces: any other family (and `sans-serif`) falls back to Lato, never to a system font
    font: {
      loadSystemFonts: false,
      fontFiles: [...plotFontFiles(), ...(options.fontFiles ?? [])],
      defaultFontFamily: PLOT_FONT,
      sansSerifFamily: PLOT_FONT,
      serifFamily: PLOT_FONT,
    },
  });
  return resvg.render().asPng();
}

/** Renders a Vega-Lite spec to PNG bytes (`renderSvg` then `svgToPng`). */
export async function renderPng(spec: PlotSpec, options: PngOptions = {}): Promise<Buffer> {
  return svgToPng(await renderSvg(spec), options);
}
