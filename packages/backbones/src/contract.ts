import type * as tf from '@tensorflow/tfjs-core';
import type { HasVariables, ImageBatch } from '@selfsup/core';

export interface ForwardOptions {
  /**
   * `true`: batch norm normalises with the batch's statistics and updates its running ones
   * (unless `updateStatistics` is false). `false` (default): running statistics, nothing changes.
   */
  training?: boolean;
  /**
   * In training mode, whether to write the running statistics (default true). Pass `false`
   * for a second forward over the same batch (e.g. a GradCache re-run) so that the statistics
   * move once per batch, as in PyTorch.
   */
  updateStatistics?: boolean;
  /** @deprecated The old name of `updateStatistics` (docs/naming.md); read when it is absent. */
  updateStats?: boolean;
}

/**
 * What every backbone offers, ours or a user's: pooled features, per-stage taps for the layer
 * study, and its variables by PyTorch-style name. Check your own with `backboneConformance`.
 */
export interface Backbone extends HasVariables {
  /** e.g. `resnet18`, `smallConvnet`. */
  readonly name: string;
  /** Width of the pooled features `apply` returns. */
  readonly featureDim: number;
  /** Names of the taps, in forward order (`layer1`..`layer4` for ResNets). */
  readonly tapNames: readonly string[];
  /** NHWC float32 images → pooled features `[batch, featureDim]`. */
  apply(x: ImageBatch, options?: ForwardOptions): tf.Tensor2D;
  /** Globally average-pooled output of every stage, `[batch, channels]`, keyed by `tapNames`. */
  taps(x: ImageBatch, options?: ForwardOptions): Record<string, tf.Tensor2D>;
  /** Number of trainable parameters (batch-norm running statistics excluded). */
  countParams(): number;
  /** Every variable (trainable and not) by its PyTorch parameter name, e.g. `layer1.0.conv1.weight`. */
  namedVariables(): Map<string, tf.Variable>;
}
