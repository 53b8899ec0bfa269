export { sgd, Sgd, type SgdOptions } from './sgd';
export { lars, Lars, type LarsOptions } from './lars';
export { adamw, AdamW, type AdamWOptions } from './adamw';
export { BaseOptimizer, STATE_FORMAT, type CommonOptions, type LearningRate, type UpdateContext } from './base-optimizer';
export { BN_AND_BIAS, type NameMatcher, type ParamGroup } from './groups';
export {
  constant,
  cosine,
  linearWarmup,
  schedules,
  step,
  warmupCosine,
  type CosineOptions,
  type LinearWarmupOptions,
  type Schedule,
  type StepOptions,
  type WarmupCosineOptions,
} from './schedules';
export { scaleLr } from './scale-lr';
export { OptimError } from './errors';
export { stateToJson, stateFromJson, type SerializedOptimizerState } from './serialize';
