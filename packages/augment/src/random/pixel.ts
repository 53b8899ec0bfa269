import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@selfsup/core';
import { AugmentError } from '../errors';
import { gaussianBlur } from '../functional/blur';
import { rgbToGrayscale } from '../functional/color';
import { solarize } from '../functional/pixel';
import { assertChannels, batchOf } from '../params';
import { selectPerSample } from '../select';
import { assertProbability, drawMask, randomApply, type Transform } from '../transform';

/**
 * `RandomGrayscale(p)`: with probability p per image, replaces it by its grey version repeated
 * in every channel (the output keeps the input's channel count).
 */
export function randomGrayscale(p = 0.1): Transform {
  assertProbability(p, 'randomGrayscale');
  return (images, rng) => {
    const c = assertChannels(images, [1, 3], 'randomGrayscale');
    const mask = drawMask(rng, batchOf(images), p);
    if (!mask.some(Boolean)) return tf.clone(images);
    // Grey is one small matMul: convert all and pick per image (cheaper than gathering).
    return tf.tidy(() => selectPerSample(mask, rgbToGrayscale(images, c as 1 | 3), images));
  };
}

export interface RandomGaussianBlurOptions {
  /** Odd kernel size (or [x, y]) shared by the batch. */
  kernelSize: number | readonly [number, number];
  /** σ ~ U(min, max) per image, the same for x and y. Default [0.1, 2]. */
  sigma?: readonly [number, number];
  /** Probability of blurring each image. Default 1 (torchvision's GaussianBlur always blurs). */
  p?: number;
}

/** Draws σ ~ U(min, max) per image, as `GaussianBlur.get_params`. */
export function sampleSigmas(rng: Rng, n: number, [min, max]: readonly [number, number]): number[] {
  return Array.from({ length: n }, () => rng.uniform(min, max));
}

/** `GaussianBlur(kernel_size, sigma)` (optionally inside RandomApply with probability p). */
export function randomGaussianBlur(options: RandomGaussianBlurOptions): Transform {
  const { kernelSize, sigma = [0.1, 2], p = 1 } = options;
  if (!(sigma[0] > 0 && sigma[0] <= sigma[1])) {
    throw new AugmentError({
      code: 'AUGMENT_BAD_RANGE',
      problem: `randomGaussianBlur got sigma [${sigma.join(', ')}]`,
      fix: 'pass sigma as [min, max] with 0 < min ≤ max, e.g. [0.1, 2]',
    });
  }
  return randomApply(p, (images, rng) =>
    gaussianBlur(images, { kernelSize, sigma: sampleSigmas(rng, batchOf(images), sigma) }),
  );
}

/** `RandomSolarize(threshold, p)`: inverts values ≥ threshold with probability p per image. */
export function randomSolarize(threshold: number, p = 0.5): Transform {
  return randomApply(p, (images) => solarize(images, threshold));
}
