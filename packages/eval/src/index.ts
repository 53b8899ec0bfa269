export { EvalError } from './errors';
export type { Features, LabelsLike } from './inputs';
export { knnAccuracy, knnPredict, type KnnOptions, type KnnResult } from './knn';
export {
  linearProbe,
  probeLearningRate,
  softmaxRegressionGradients,
  type LinearProbeOptions,
  type LinearProbeResult,
} from './linear-probe';
export {
  effectiveRank,
  rankFromSingularValues,
  singularValues,
  singularValuesOf,
  type EffectiveRankOptions,
  type SpectrumOptions,
} from './spectrum';
export { alignment, uniformity, type AlignmentOptions, type UniformityOptions } from './geometry';
export {
  extractLayerFeatures,
  formatLayerTable,
  layerStudy,
  type ExtractOptions,
  type LabelledImages,
  type LayerFeatures,
  type LayeredHead,
  type LayerStudyOptions,
  type LayerStudyResult,
  type LayerStudyRow,
  type TappedBackbone,
} from './layer-study';
export { embed2d, type EmbedOptions, type Embedding2D } from './embedding';
export { parseMetricsJsonl, readMetricsJsonl, type MetricsRecord } from './report/metrics';
export { embeddingSpec, layerStudySpec, trainingCurvesSpec, type VegaLiteSpec } from './report/charts';
export { renderSvg, svgToPng } from './report/render';
export { writeReport, type ReportFiles, type ReportInput } from './report/write-report';
