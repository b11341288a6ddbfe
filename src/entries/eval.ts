/**
 * `cosrank/eval`: ranking metrics and their policies, weight sweeps, Pareto fronts and hypervolume,
 * score and training-log files, plots (Vega-Lite specs; SVG/PNG rendering loads Vega and resvg on first
 * use) and the evaluation report (Markdown, HTML, PNG plots).
 */
export * from '../eval/metrics';
export * from '../eval/sweep';
export * from '../eval/pareto';
export * from '../eval/hypervolume';
export { frontPlotSpec, scatterMatrixSpec, trainingCurvesSpec, type PlotOptions, type PlotSpec } from '../eval/plots';
export { renderSvg, renderPng, svgToPng, type PngOptions } from '../eval/render';
export { buildReport, buildHtmlReport, writeReport, type ReportInput, type WriteReportOptions } from '../eval/report';
export { readScores, parseScores, formatScores, type ScoresFile, type ScoreRun } from '../eval/scoresFile';
export { readTrainingLog, type TrainingLogEntry } from '../eval/trainingLog';
