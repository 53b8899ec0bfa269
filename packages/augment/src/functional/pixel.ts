import * as tf from '@tensorflow/tfjs-core';
import type { ImageBatch } from '@selfsup/core';
import { AugmentError } from '../errors';
import { batchOf, perSampleTensor, type PerSample } from '../params';

/** `solarize`: inverts (1 - x) every value ≥ the sample's threshold. */
export function solarize(images: ImageBatch, threshold: PerSample): ImageBatch {
  const n = batchOf(images);
  return tf.tidy(() => {
    const th = perSampleTensor(threshold, n, 'threshold', 'solarize');
    // x ≥ t ⇔ x − t ≥ 0 exactly (float subtraction of distinct values is never 0); a per-sample
    // subtraction and an arithmetic select avoid tf.where's broadcast (slow on wasm).
    const above = tf.cast(tf.greaterEqual(tf.sub(images, th), 0), 'float32');
    return tf.add(tf.mul(tf.sub(1, images), above), tf.mul(images, tf.sub(1, above))) as tf.Tensor4D;
  });
}

/** `normalize`: (x - mean) / std per channel. The output leaves [0, 1]: apply it last. */
export function normalize(images: ImageBatch, mean: readonly number[], std: readonly number[]): ImageBatch {
  batchOf(images);
  const c = images.shape[3];
  if (mean.length !== c || std.length !== c || std.some((s) => s === 0)) {
    throw new AugmentError({
      code: 'AUGMENT_BAD_NORMALIZE',
      problem: `normalize got mean [${mean.join(', ')}] and std [${std.join(', ')}] for ${c}-channel images`,
      fix: `pass ${c} means and ${c} non-zero standard deviations, one per channel`,
    });
  }
  return tf.tidy(() => tf.div(tf.sub(images, tf.tensor1d(mean as number[])), tf.tensor1d(std as number[])) as tf.Tensor4D);
}
