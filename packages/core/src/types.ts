import type * as tf from '@tensorflow/tfjs-core';
import { ArgumentError } from './errors';

/**
 * A batch of images: NHWC, float32, values in [0, 1]. Everything inside a selfsup pipeline
 * (augmentations, backbones) takes and returns this layout; storage uses uint8.
 */
export type ImageBatch = tf.Tensor4D;

/** Integer class labels, one per image: int32 of shape [batch]. */
export type Labels = tf.Tensor1D;

/** Throws a clear error unless `x` is a float32 NHWC batch (values are not scanned). */
export function assertImageBatch(x: tf.Tensor, what = 'images'): asserts x is ImageBatch {
  if (x.rank !== 4) {
    throw new ArgumentError({
      code: 'IMAGES_BAD_RANK',
      problem: `${what} has shape [${x.shape.join(', ')}], expected [batch, height, width, channels]`,
      fix: 'pass an NHWC batch; add a batch axis with tf.expandDims(image, 0) for a single image',
    });
  }
  if (x.dtype !== 'float32') {
    throw new ArgumentError({
      code: 'IMAGES_BAD_DTYPE',
      problem: `${what} has dtype ${x.dtype}, expected float32 in [0, 1]`,
      fix: 'convert uint8 pixels with tf.div(tf.cast(x, "float32"), 255)',
    });
  }
}

/** Throws a clear error unless `y` is int32 labels matching `batch` images. */
export function assertLabels(y: tf.Tensor, batch?: number, what = 'labels'): asserts y is Labels {
  if (y.rank !== 1 || y.dtype !== 'int32' || (batch !== undefined && y.shape[0] !== batch)) {
    throw new ArgumentError({
      code: 'LABELS_BAD_SHAPE',
      problem: `${what} is ${y.dtype}[${y.shape.join(', ')}], expected int32[${batch ?? 'batch'}]`,
      fix: 'pass one int32 class index per image, e.g. tf.tensor1d(labels, "int32")',
    });
  }
}
