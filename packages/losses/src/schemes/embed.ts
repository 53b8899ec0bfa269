import * as tf from '@tensorflow/tfjs-core';
import type { HeadApplyOptions, ProjectionHead } from '../heads/types';
import { checkPair } from '../validate';

/**
 * Both views through the head in one call, so that batch norm in the head sees all 2N rows
 * (as SimCLR's TF implementation does) and the head runs once.
 */
export function embedPair(
  head: ProjectionHead,
  h1: tf.Tensor2D,
  h2: tf.Tensor2D,
  options: HeadApplyOptions,
): [tf.Tensor2D, tf.Tensor2D] {
  checkPair(h1, h2, `${head.name}: objective`);
  return tf.tidy(() => {
    const z = head.apply(tf.concat([h1, h2], 0), options);
    const [z1, z2] = tf.split(z, 2, 0);
    return [z1 as tf.Tensor2D, z2 as tf.Tensor2D];
  });
}
