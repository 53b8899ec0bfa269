// @selfsup/train: the Trainer, runs from a config, and a trained run's model. Configs in detail
// (schemas, presets, merging) are in `@selfsup/train/config`; checkpoint and metrics files in
// `@selfsup/train/run-dir`; head studies in `@selfsup/train/study`.
export { Trainer, type EpochHook, type TrainerOptions, type TrainerParts, type TrainSummary } from './trainer';
export { runTraining, type RunOptions, type RunResult } from './run';
export { buildModel, buildRun, type BuiltModel, type BuiltRun } from './build';
export { loadTrainedModel, type TrainedModel } from './trained';
export { resolveConfig } from './config/load';
export type { TrainConfig, TrainConfigInput } from './config/schema';
export { ConfigError, TrainingError } from './errors';
