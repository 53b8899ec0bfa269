export { LossError } from './errors';
export {
  infoNCE,
  infoNCEMultiPositive,
  infoNCEWithStats,
  type ContrastiveStats,
  type InfoNCEOptions,
  type InfoNCEResult,
  type MultiPositiveOptions,
} from './infonce';
export { cosineSimilarityMatrix, l2Normalize } from './similarity';
export { stopGradient } from './detach';
export type { HeadApplyOptions, ProjectionHead } from './heads/types';
export { linearHead, mlpHead, type LinearHeadOptions, type MlpHead, type MlpHeadOptions, type MlpLayerParams } from './heads/mlp';
export {
  directclr,
  identityHead,
  reweightHead,
  type DirectClrOptions,
  type ReweightOptions,
} from './heads/parameter-free';
export type { ContrastiveObjective, ObjectiveLossOptions, ParametricObjective } from './schemes/types';
export { joint, type JointOptions } from './schemes/joint';
export { parametric, type ParametricOptions } from './schemes/parametric';
export {
  contrastiveStep,
  pairedChunkLayout,
  type ContrastiveStepParts,
  type ContrastiveStepResult,
  type StepBackbone,
} from './step';
