import * as tf from '@tensorflow/tfjs-core';
import { assertImageBatch, type ImageBatch } from '@selfsup/core';
import { AugmentError } from './errors';

/**
 * A per-sample parameter: one number for the whole batch, one number per image (array or typed
 * array), or a float32 tensor of shape [batch].
 */
export type PerSample = number | ArrayLike<number> | tf.Tensor;

/** The batch size, after checking `images` is an NHWC float32 batch. */
export function batchOf(images: tf.Tensor, what = 'images'): number {
  assertImageBatch(images, what);
  return images.shape[0];
}

/** Throws unless the images have one of the allowed channel counts. */
export function assertChannels(images: ImageBatch, allowed: number[], op: string): number {
  const c = images.shape[3];
  if (!allowed.includes(c)) {
    throw new AugmentError({
      code: 'AUGMENT_BAD_CHANNELS',
      problem: `${op} got images with ${c} channels, expected ${allowed.join(' or ')}`,
      fix: allowed.includes(3)
        ? 'pass RGB images as NHWC with 3 channels last (tf.tile a grey [N,H,W,1] batch to 3 channels)'
        : `pass images with ${allowed.join(' or ')} channels`,
    });
  }
  return c;
}

/** Reads a per-sample parameter into JS numbers (one per image), validating its length. */
export function perSampleValues(value: PerSample, n: number, name: string, op: string): Float64Array {
  if (typeof value === 'number') return new Float64Array(n).fill(value);
  const values = value instanceof tf.Tensor ? value.dataSync() : value;
  if (values.length !== n || (value instanceof tf.Tensor && value.rank > 1)) {
    throw new AugmentError({
      code: 'AUGMENT_BAD_PARAM_LENGTH',
      problem: `${op} got ${values.length} values of ${name} for a batch of ${n} images`,
      fix: `pass one ${name} per image (an array or a [${n}] tensor) or a single number for all`,
    });
  }
  return Float64Array.from(values);
}

/**
 * A per-sample parameter as a float32 tensor of shape [batch, 1, 1, 1] that broadcasts over an
 * NHWC batch. Tensors stay on the device (no read-back); call inside tf.tidy.
 */
export function perSampleTensor(value: PerSample, n: number, name: string, op: string): tf.Tensor4D {
  if (value instanceof tf.Tensor) {
    if (value.size !== n || value.rank > 1) {
      throw new AugmentError({
        code: 'AUGMENT_BAD_PARAM_LENGTH',
        problem: `${op} got a ${name} tensor of shape [${value.shape.join(', ')}] for a batch of ${n} images`,
        fix: `pass a [${n}] tensor, an array of ${n} numbers or a single number`,
      });
    }
    return tf.reshape(tf.cast(value, 'float32'), [n, 1, 1, 1]);
  }
  if (typeof value === 'number') return tf.fill([n, 1, 1, 1], value, 'float32') as tf.Tensor4D;
  return tf.tensor4d(Float32Array.from(perSampleValues(value, n, name, op)), [n, 1, 1, 1]);
}

/** Throws unless every value lies in [low, high]. */
export function assertRange(values: ArrayLike<number>, low: number, high: number, name: string, op: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!(v >= low && v <= high)) {
      throw new AugmentError({
        code: 'AUGMENT_PARAM_OUT_OF_RANGE',
        problem: `${op} got ${name} ${v} for image ${i}, outside [${low}, ${high}]`,
        fix: `pass ${name} values in [${low}, ${high}] (torchvision's range)`,
      });
    }
  }
}
