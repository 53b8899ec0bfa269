/**
 * `@selfsup/eval`: how good is a representation? Scores of frozen features (kNN, linear probe,
 * effective rank, alignment and uniformity), the embeddings to score, and the same per layer of a
 * backbone and head. Depends on @selfsup/core and ml-matrix only (test/install-weight.test.ts checks).
 *
 * The HTML report, its charts, `embed2d` (UMAP), the layer table and the metrics-file reader live
 * in `@selfsup/eval/report` (src/report/index.ts), so that this entry never loads vega,
 * vega-lite, sharp or umap-js.
 */

// Inputs and errors: features are `[n, d]` tensors, never disposed; labels are class indices.
export { EvalError } from './errors';
export type { LabelsLike } from './inputs';

// Embeddings of any number of images, one batch on the backend at a time
export { embed, type EmbedImages, type EmbeddingBackbone, type EmbedOptions, type Embeddings } from './embed';

// Scores of frozen features
export { knnAccuracy, knnPredict, type KnnOptions, type KnnResult } from './knn';
export { linearProbe, type LinearProbeOptions, type LinearProbeResult } from './linear-probe';
export { effectiveRank, type EffectiveRankOptions } from './spectrum';
export { alignment, uniformity, type AlignmentOptions, type UniformityOptions } from './geometry';

// Every backbone stage and head layer at once
export {
  layerStudy,
  extractLayerFeatures,
  type LayerStudyOptions,
  type LayerStudyResult,
  type LayerStudyRow,
  type ExtractOptions,
  type LayerFeatures,
  type LabelledImages,
  type TappedBackbone,
  type LayeredHead,
} from './layer-study';
