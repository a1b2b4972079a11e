export type { VegaLiteSpec } from './types.ts';
export { FONT, PALETTE, THEME, withTheme } from './theme.ts';
export { fontFiles } from './fonts.ts';
export {
  compileVegaLite,
  renderSvg,
  svgToPng,
  writeChart,
  type ChartFiles,
  type ChartOptions,
  type PngOptions,
} from './render.ts';
export { pngImageData, readPngSize } from './png.ts';
export {
  hscoreHistogramChart,
  subsetComparisonChart,
  type ChartTitle,
  type HscoreHistogramOptions,
  type SubsetComparisonRow,
} from './charts.ts';
export {
  dataMapChart,
  metricVsSizeChart,
  trainingCurvesChart,
  type CurvePoint,
  type MapPoint,
  type SizePoint,
} from './report-charts.ts';
export {
  ckaLayerChart,
  learningCurveChart,
  neverLearnedChart,
  type AlCurvePoint,
  type CkaLayerPoint,
  type NeverLearnedPoint,
} from './al-charts.ts';
export { differenceChart, type DiffPoint } from './difference-chart.ts';
export { escapeHtml, htmlReport, type HtmlBlock } from './html.ts';
export { mitigationMeansChart, stdVsCostChart, type MitigationPoint } from './mitigation-charts.ts';
export {
  graftSparsityChart,
  overlapHeatmapChart,
  sparsityLabel,
  type GraftPoint,
  type GraftRef,
  type OverlapCell,
} from './graft-charts.ts';
