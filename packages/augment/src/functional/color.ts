import * as tf from '@tensorflow/tfjs-core';
import type { ImageBatch } from '@selfsup/core';
import { AugmentError } from '../errors';
import { LUMA, mixChannels } from './channels';
import { assertChannels, assertRange, batchOf, perSampleTensor, type PerSample } from '../params';

/** Checks a non-tensor factor's range on the JS side (tensor factors are not read back). */
function checkFactor(factor: PerSample, low: number, high: number, name: string, op: string): void {
  if (factor instanceof tf.Tensor) return;
  assertRange(typeof factor === 'number' ? [factor] : factor, low, high, name, op);
}

/**
 * torchvision's `_blend`: clamp(ratio * a + (1 - ratio) * b, 0, 1), with a per-sample ratio
 * [N,1,1,1]. `b` is broadcast (zeros, a per-image mean, or a grey channel).
 */
export function blend(a: tf.Tensor, b: tf.Tensor | null, ratio: tf.Tensor): tf.Tensor4D {
  return tf.tidy(() => {
    const scaled = tf.mul(ratio, a);
    const mixed = b === null ? scaled : tf.add(scaled, tf.mul(tf.sub(1, ratio), b));
    return tf.clipByValue(mixed, 0, 1) as tf.Tensor4D;
  });
}

/** Luma 0.2989 R + 0.587 G + 0.114 B as [N,H,W,1], or repeated in `copies` channels. */
export function luma(images: ImageBatch, copies = 1): tf.Tensor4D {
  return mixChannels(images, LUMA.map((w) => new Array<number>(copies).fill(w)));
}

/**
 * `rgb_to_grayscale`: luma of RGB images, [N,H,W,1], or repeated to 3 channels with
 * `numOutputChannels: 3`. Single-channel input is returned as a copy (torchvision clones it).
 */
export function rgbToGrayscale(images: ImageBatch, numOutputChannels: 1 | 3 = 1): ImageBatch {
  batchOf(images);
  const c = assertChannels(images, [1, 3], 'rgbToGrayscale');
  if (numOutputChannels !== 1 && numOutputChannels !== 3) {
    throw new AugmentError({
      code: 'AUGMENT_BAD_PARAM',
      problem: `rgbToGrayscale got numOutputChannels ${String(numOutputChannels)}`,
      fix: 'pass 1 (a [N,H,W,1] batch) or 3 (grey repeated in three channels)',
    });
  }
  return tf.tidy(() => {
    if (c === 3) return luma(images, numOutputChannels);
    return numOutputChannels === 3 ? mixChannels(images, [[1, 1, 1]]) : tf.clone(images);
  });
}

/** `adjust_brightness`: clamp(factor * x, 0, 1); factor ≥ 0 per sample. */
export function adjustBrightness(images: ImageBatch, factor: PerSample): ImageBatch {
  const n = batchOf(images);
  assertChannels(images, [1, 3], 'adjustBrightness');
  checkFactor(factor, 0, Infinity, 'brightness factor', 'adjustBrightness');
  return tf.tidy(() => blend(images, null, perSampleTensor(factor, n, 'factor', 'adjustBrightness')));
}

/** Per-image mean of the luma (or of the single channel), [N,1,1,1]: the contrast pivot. */
export function meanLuma(images: ImageBatch): tf.Tensor4D {
  return tf.tidy(() => tf.mean(images.shape[3] === 3 ? luma(images) : images, [1, 2, 3], true) as tf.Tensor4D);
}

/** `adjust_contrast`: blend with the image's mean grey level; factor ≥ 0 per sample. */
export function adjustContrast(images: ImageBatch, factor: PerSample): ImageBatch {
  const n = batchOf(images);
  assertChannels(images, [1, 3], 'adjustContrast');
  checkFactor(factor, 0, Infinity, 'contrast factor', 'adjustContrast');
  return tf.tidy(() => blend(images, meanLuma(images), perSampleTensor(factor, n, 'factor', 'adjustContrast')));
}

/** `adjust_saturation`: blend with the image's own grey version; single-channel input is copied. */
export function adjustSaturation(images: ImageBatch, factor: PerSample): ImageBatch {
  const n = batchOf(images);
  const c = assertChannels(images, [1, 3], 'adjustSaturation');
  checkFactor(factor, 0, Infinity, 'saturation factor', 'adjustSaturation');
  if (c === 1) return tf.clone(images);
  return tf.tidy(() => blend(images, luma(images, 3), perSampleTensor(factor, n, 'factor', 'adjustSaturation')));
}

export { checkFactor };
