import * as tf from '@tensorflow/tfjs-core';

/** Rows scaled to unit L2 norm, as torch.nn.functional.normalize (eps 1e-12 guards zero rows). */
export function l2NormalizeRows(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const norm = tf.sqrt(tf.sum(tf.square(x), 1, true));
    return tf.div(x, tf.maximum(norm, 1e-12)) as tf.Tensor2D;
  });
}
