import * as tf from '@tensorflow/tfjs-core';
import { checkPair } from '../validate';

/**
 * The two views stacked along the rows, [h1; h2] ([2N, d]): the form in which the objectives
 * put both views through the head in one call, so that batch norm in the head sees all 2N rows
 * (as SimCLR's TF implementation does) and the head runs once. The pair methods (`loss(h1, h2)`,
 * …) stack here; a step that ran the backbone once on [v1; v2] already has this tensor and
 * passes it to the stacked methods as it is.
 */
export function stackPair(h1: tf.Tensor2D, h2: tf.Tensor2D, where: string): tf.Tensor2D {
  checkPair(h1, h2, where);
  return tf.concat([h1, h2], 0);
}
