/**
 * `@selfsup/eval`: kNN monitor, linear probe, spectrum (RankMe), geometry, layer study and metrics
 * parsing. Depends on @selfsup/core and ml-matrix only (test/install-weight.test.ts checks).
 */
export { EvalError } from './errors';
export type { Features, LabelsLike } from './inputs';
export { embed, type EmbedImages, type EmbeddingBackbone, type EmbedOptions, type Embeddings } from './embed';
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
export { parseMetricsJsonl, readMetricsJsonl, type MetricsRecord } from './report/metrics';
// The HTML report, its charts and embed2d (UMAP) live in `@selfsup/eval/report` (src/report/index.ts),
// so that this entry never loads vega, vega-lite, sharp or umap-js.
