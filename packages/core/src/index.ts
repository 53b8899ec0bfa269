// Importing @selfsup/core registers tfjs-core's gradient functions and chained ops (see
// gradients.ts, chained-ops.ts).
import './gradients';
import './chained-ops';

export { useBackend } from './backends/use-backend';
export {
  BACKEND_NAMES,
  type BackendName,
  type BackendSelection,
  type SkippedBackend,
  type UseBackendOptions,
} from './backends/types';
export { createRng, restoreRng, type Rng, type RngState } from './rng';
export { ArgumentError, BackendError, SelfsupError, type SelfsupErrorOptions } from './errors';
export { assertImageBatch, assertLabels, type ImageBatch, type Labels } from './types';
export type {
  HasVariables,
  Optimizer,
  OptimizerState,
  VariableNames,
  VariableGradient,
} from './contracts';
export { gradCacheStep, type GradCacheContext, type GradCacheOptions, type GradCacheResult } from './gradcache';
export { gradientsFreeingEarly } from './tape';
export {
  decodeSafetensors,
  encodeSafetensors,
  safetensorsToFloat32,
  SafetensorsError,
  type SafetensorsInput,
  type SafetensorsTensor,
} from './safetensors';
