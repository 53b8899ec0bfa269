import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer, OptimizerState, VariableGradient } from '@selfsup/core';

/** φ ← φ − lr·g: the inner optimizer `parametric` uses when it is given a learning rate only. */
export function gradientDescent(learningRate: number): Optimizer {
  let iterations = 0;
  return {
    get iterations() {
      return iterations;
    },
    step(gradients: readonly VariableGradient[]) {
      tf.tidy(() => {
        for (const { variable, gradient } of gradients) variable.assign(tf.sub(variable, tf.mul(gradient, learningRate)));
      });
      iterations++;
    },
    currentLearningRate: () => learningRate,
    state: (): OptimizerState => ({ meta: { kind: 'gradientDescent', learningRate, iterations }, tensors: {} }),
    loadState(state: OptimizerState) {
      iterations = Number(state.meta.iterations ?? 0);
    },
    dispose() {},
  };
}
