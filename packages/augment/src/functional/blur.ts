import * as tf from '@tensorflow/tfjs-core';
import type { ImageBatch } from '@selfsup/core';
import { AugmentError } from '../errors';
import { assertRange, batchOf, perSampleValues, type PerSample } from '../params';

/** torchvision's `_get_gaussian_kernel1d`: exp(-x²/2σ²) on linspace(-(k-1)/2, (k-1)/2), normalised. */
export function gaussianKernel1d(kernelSize: number, sigma: number): Float64Array {
  const half = (kernelSize - 1) / 2;
  const pdf = Float64Array.from({ length: kernelSize }, (_, i) => Math.exp(-0.5 * ((i - half) / sigma) ** 2));
  const total = pdf.reduce((a, b) => a + b, 0);
  return pdf.map((v) => v / total);
}

export interface GaussianBlurOptions {
  /** Odd kernel size, or [x, y] in torchvision's order (x = width). Shared by the batch. */
  kernelSize: number | readonly [number, number];
  /** Standard deviation per sample (σx, and σy too unless `sigmaY` is given); > 0. */
  sigma: PerSample;
  /** Vertical standard deviation per sample, when it differs from `sigma`. */
  sigmaY?: PerSample;
}

/**
 * Per-sample depthwise filter [k,1,N*C,1] (vertical) or [1,k,N*C,1] (horizontal): the batch is
 * folded into the channel axis so that one depthwise convolution blurs each image with its own σ.
 */
function filterFor(sigmas: Float64Array, k: number, channels: number, vertical: boolean): tf.Tensor4D {
  const n = sigmas.length;
  const data = new Float32Array(k * n * channels);
  sigmas.forEach((sigma, i) => {
    const kernel = gaussianKernel1d(k, sigma);
    for (let t = 0; t < k; t++) data.fill(kernel[t], t * n * channels + i * channels, t * n * channels + (i + 1) * channels);
  });
  return tf.tensor4d(data, vertical ? [k, 1, n * channels, 1] : [1, k, n * channels, 1]);
}

/**
 * `gaussian_blur`: separable Gaussian blur with reflect padding (torch's "reflect": the edge
 * pixel is not repeated), each image with its own σ, the kernel size shared by the batch.
 */
export function gaussianBlur(images: ImageBatch, options: GaussianBlurOptions): ImageBatch {
  const n = batchOf(images);
  const [, height, width, channels] = images.shape;
  const [kx, ky] = typeof options.kernelSize === 'number' ? [options.kernelSize, options.kernelSize] : options.kernelSize;
  for (const k of [kx, ky]) {
    if (!Number.isInteger(k) || k < 1 || k % 2 === 0) {
      throw new AugmentError({
        code: 'AUGMENT_BAD_KERNEL',
        problem: `gaussianBlur got kernel size ${JSON.stringify(options.kernelSize)}`,
        fix: 'pass odd positive integers, e.g. 23 for 224-pixel images (about 10% of the side, made odd)',
      });
    }
  }
  if (Math.floor(kx / 2) >= width || Math.floor(ky / 2) >= height) {
    throw new AugmentError({
      code: 'AUGMENT_KERNEL_TOO_LARGE',
      problem: `gaussianBlur kernel [${kx}, ${ky}] needs reflect padding larger than the ${height}x${width} image`,
      fix: 'use a kernel size below twice the image side (reflect padding must be smaller than the side)',
    });
  }
  const sx = perSampleValues(options.sigma, n, 'sigma', 'gaussianBlur');
  const sy = options.sigmaY === undefined ? sx : perSampleValues(options.sigmaY, n, 'sigmaY', 'gaussianBlur');
  assertRange(sx, Number.MIN_VALUE, Infinity, 'sigma', 'gaussianBlur');
  assertRange(sy, Number.MIN_VALUE, Infinity, 'sigmaY', 'gaussianBlur');
  return tf.tidy(() => {
    const py = Math.floor(ky / 2);
    const px = Math.floor(kx / 2);
    const padded = tf.mirrorPad(images, [[0, 0], [py, py], [px, px], [0, 0]], 'reflect');
    // [N,H',W',C] -> [1,H',W',N*C]
    const folded = tf.reshape(tf.transpose(padded, [1, 2, 0, 3]), [1, height + 2 * py, width + 2 * px, n * channels]);
    const vertical = tf.depthwiseConv2d(folded as tf.Tensor4D, filterFor(sy, ky, channels, true), 1, 'valid');
    const both = tf.depthwiseConv2d(vertical, filterFor(sx, kx, channels, false), 1, 'valid');
    return tf.transpose(tf.reshape(both, [height, width, n, channels]), [2, 0, 1, 3]) as tf.Tensor4D;
  });
}
