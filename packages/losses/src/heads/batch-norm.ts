import * as tf from '@tensorflow/tfjs-core';

export interface BatchNormState {
  runningMean: tf.Variable;
  runningVar: tf.Variable;
}

/**
 * torch.nn.BatchNorm1d semantics: training normalises with the biased batch variance and moves
 * the running variance towards the unbiased one; `momentum` weighs the new batch (0.1).
 */
export function batchNorm(
  x: tf.Tensor2D,
  state: BatchNormState,
  affine: { gamma: tf.Tensor; beta: tf.Tensor } | null,
  { training, update, momentum, epsilon }: { training: boolean; update: boolean; momentum: number; epsilon: number },
): tf.Tensor2D {
  let mean: tf.Tensor;
  let variance: tf.Tensor;
  if (training) {
    ({ mean, variance } = tf.moments(x, 0));
    const n = x.shape[0];
    if (update && n > 1) {
      // Assigned values must not be tape-connected; tidy leaves the variables' new data alone.
      const m = tf.tidy(() => tf.add(tf.mul(state.runningMean, 1 - momentum), tf.mul(mean, momentum)));
      const v = tf.tidy(() =>
        tf.add(tf.mul(state.runningVar, 1 - momentum), tf.mul(tf.mul(variance, n / (n - 1)), momentum)),
      );
      state.runningMean.assign(m);
      state.runningVar.assign(v);
      m.dispose();
      v.dispose();
    }
  } else {
    mean = state.runningMean;
    variance = state.runningVar;
  }
  const normalized = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon)));
  return (affine ? tf.add(tf.mul(normalized, affine.gamma), affine.beta) : normalized) as tf.Tensor2D;
}
