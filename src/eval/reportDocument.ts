/** The report as data (built by `reportDocument` in report.ts, written as Markdown there and as HTML by reportHtml.ts). */

/** One block of a report section. */
export type ReportBlock =
  | { kind: 'table'; header: string[]; rows: string[][] }
  | { kind: 'list'; items: string[] }
  | { kind: 'plots'; plots: { title: string; file: string }[] };

/** The report as data: a title and its sections in order, each with its blocks. */
export interface ReportDocument {
  title: string;
  sections: { heading: string; blocks: ReportBlock[] }[];
}
