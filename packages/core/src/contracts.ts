import type * as tf from '@tensorflow/tfjs-core';

/**
 * Contracts shared across packages, so that any object with the right shape plugs in: a
 * user's own optimizer, backbone or head works wherever ours does.
 */

/** One variable and the gradient of the loss with respect to it. */
export interface VariableGradient {
  variable: tf.Variable;
  gradient: tf.Tensor;
}

/**
 * Updates variables in place from their gradients. One `step` call is one optimisation step;
 * `iterations` counts them and drives learning-rate schedules. `step` does not dispose the
 * gradients it is given: the caller owns them.
 */
export interface Optimizer {
  readonly iterations: number;
  step(gradients: readonly VariableGradient[]): void;
  /** The learning rate the next step will use (after schedule and base LR). */
  currentLearningRate(): number;
  /**
   * Everything needed to continue bit-identically: JSON metadata plus named tensors. Per-variable
   * state is named after `names.get(variable)` where given (e.g. stable checkpoint names), else
   * after the variable's own (engine) name.
   */
  state(names?: VariableNames): OptimizerState;
  /** Restores a `state(names)`; pass the same names (for the variables of this process). */
  loadState(state: OptimizerState, names?: VariableNames): void;
  /** Frees the optimizer's slot tensors (momentum, moments). */
  dispose(): void;
}

/** Names a caller gives variables in saved state, e.g. `backbone/conv1.weight`. */
export type VariableNames = ReadonlyMap<tf.Variable, string>;

export interface OptimizerState {
  meta: Record<string, unknown>;
  tensors: Record<string, tf.Tensor>;
}

/** Something that owns tfjs variables: a backbone, a head. */
export interface HasVariables {
  /** Variables an optimizer updates. */
  trainableVariables(): tf.Variable[];
  /** State that changes in training without being optimised (batch-norm running statistics). */
  nonTrainableVariables(): tf.Variable[];
  dispose(): void;
}
