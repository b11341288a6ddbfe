/**
 * The evaluation report as one self-contained HTML page: the same sections as `report.md`
 * (`reportDocument`), plots inline as SVG (a plot without SVG falls back to its PNG by relative link),
 * and the plot font (Lato, from `@expo-google-fonts/lato`) embedded, so the page can be mailed or
 * archived alone and shows the same text as the PNGs.
 */
import { readFileSync } from 'node:fs';
import type { ReportBlock, ReportDocument } from './reportDocument';
import { plotFontFiles } from './render';

/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** `@font-face` rules embedding the plot font's regular and bold faces as data URLs. */
function fontFaces(): string {
  const files = plotFontFiles();
  const face = (file: string, weight: number, style: string): string =>
    `@font-face{font-family:Lato;font-weight:${weight};font-style:${style};src:url(data:font/ttf;base64,${readFileSync(file).toString('base64')}) format("truetype")}`;
  const find = (part: string): string => files.find((f) => f.includes(part)) ?? files[0];
  return [face(find('400Regular.'), 400, 'normal'), face(find('700Bold.'), 700, 'normal')].join('\n');
}

const STYLE = `body{font-family:Lato,sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#212121}
table{border-collapse:collapse;margin:.5em 0 1em}th,td{border:1px solid #bdbdbd;padding:.25em .6em;text-align:left}
th{background:#f5f5f5}td{font-variant-numeric:tabular-nums}figure{margin:1em 0}figcaption{font-weight:bold;margin-bottom:.3em}
svg{max-width:100%;height:auto}`;

function htmlBlock(block: ReportBlock, svgs: Record<string, string>): string {
  switch (block.kind) {
    case 'table': {
      const head = block.header.every((h) => h === '') ? '' : `<thead><tr>${block.header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead>`;
      const body = block.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
      return `<table>${head}<tbody>\n${body}\n</tbody></table>`;
    }
    case 'list':
      return `<ul>\n${block.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('\n')}\n</ul>`;
    case 'plots':
      return block.plots
        .map((p) => {
          const svg = svgs[p.file];
          const body = svg ? stripXmlProlog(svg) : `<img src="${escapeHtml(encodeURI(p.file))}" alt="${escapeHtml(p.title)}">`;
          return `<figure><figcaption>${escapeHtml(p.title)}</figcaption>\n${body}\n</figure>`;
        })
        .join('\n');
  }
}

/** An SVG document's root element (without an XML declaration), to be placed inside HTML. */
function stripXmlProlog(svg: string): string {
  return svg.replace(/^<\?xml[^>]*>\s*/, '');
}

/**
 * The report as an HTML page. `svgs` maps a plot's file name (as listed in the report's plots) to its SVG
 * text, which is placed inline; plots without one are linked.
 */
export function htmlReport(doc: ReportDocument, svgs: Record<string, string> = {}): string {
  const parts = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(doc.title)}</title>`,
    `<style>\n${fontFaces()}\n${STYLE}\n</style>`,
    '</head><body>',
    `<h1>${escapeHtml(doc.title)}</h1>`,
  ];
  for (const s of doc.sections) {
    parts.push(`<h2>${escapeHtml(s.heading)}</h2>`, ...s.blocks.map((b) => htmlBlock(b, svgs)));
  }
  parts.push('</body></html>');
  return parts.join('\n') + '\n';
}
