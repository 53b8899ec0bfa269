/**
 * `@selfsup/eval/report`: the self-contained HTML report, its Vega-Lite chart specs and their
 * rendering, `embed2d` (UMAP), the layer study as a text table, and the reader of a training
 * run's metrics.jsonl. Needs the optional peers vega, vega-lite, sharp and umap-js, each loaded on
 * first use; a missing one is an `EvalError` (`EVAL_REPORT_DEPENDENCY_MISSING`) that names the
 * install command.
 */
export { embed2d, type Embed2dOptions, type Embedding2D } from '../embedding';
export { embeddingSpec, layerStudySpec, trainingCurvesSpec, type VegaLiteSpec } from './charts';
export { parseMetricsJsonl, readMetricsJsonl, type MetricsRecord } from './metrics';
export { formatLayerTable } from './layer-table';
export { escapeHtml, htmlPage } from './html';
export { renderSvg, svgToPng } from './render';
export { writeReport, type ReportFiles, type ReportInput } from './write-report';
