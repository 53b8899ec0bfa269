import * as tf from '@tensorflow/tfjs-core';

/** Rows scaled to unit L2 norm, as torch's F.normalize: z / max(‖z‖, eps). */
export function l2Normalize(z: tf.Tensor2D, eps = 1e-12): tf.Tensor2D {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(z), 1, true));
    return tf.div(z, tf.maximum(norm, eps));
  });
}

/** Cosine similarity of every row with every row: [m, k] → [m, m]. */
export function cosineSimilarityMatrix(z: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const zn = l2Normalize(z);
    return tf.matMul(zn, zn, false, true);
  });
}

/**
 * Stands in for −∞ on masked logits. A finite value keeps 0 · mask products and the gradient of
 * tf.where finite, and exp(−1e9 − max) is exactly 0 in float32 anyway.
 */
export const MASKED_LOGIT = -1e9;

/**
 * Boolean [m, m] masks of the two-view layout (row i < N pairs with i + N and back), built on
 * the device from O(m) indices rather than uploaded as m² bytes per call.
 */
export function twoViewMasks(n: number): {
  self: tf.Tensor2D;
  positive: tf.Tensor2D;
  partner: tf.Tensor1D;
  sameView: () => tf.Tensor2D;
} {
  const m = 2 * n;
  const rows = tf.range(0, m, 1, 'int32');
  const self = tf.cast(tf.oneHot(rows, m), 'bool') as tf.Tensor2D;
  const partner = tf.tensor1d(Array.from({ length: m }, (_, i) => (i + n) % m), 'int32');
  const positive = tf.cast(tf.oneHot(partner, m), 'bool') as tf.Tensor2D;
  const sameView = () => {
    const view = tf.less(rows, n);
    return tf.logicalAnd(tf.equal(tf.expandDims(view, 1), tf.expandDims(view, 0)), tf.logicalNot(self)) as tf.Tensor2D;
  };
  return { self, positive, partner, sameView };
}
