import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@selfsup/core';
import { AugmentError } from '../errors';
import { horizontalFlip, resizedCropFlip, sizeOf, type CropBox, type Size } from '../functional/geometry';
import { selectPerSample } from '../select';
import { batchOf } from '../params';
import { assertProbability, drawMask, type Transform } from '../transform';

/** Python's round(): halves go to the even neighbour (round(2.5) = 2), as torchvision relies on. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface ResizedCropOptions {
  /** Output size: a number (square) or [height, width]. */
  size: Size;
  /** Range of the crop's area as a fraction of the image's. Default [0.08, 1]. */
  scale?: readonly [number, number];
  /** Range of the crop's aspect ratio width/height, sampled log-uniformly. Default [3/4, 4/3]. */
  ratio?: readonly [number, number];
  /**
   * Also mirror each crop with this probability, folded into the crop's sampling grid for free.
   * Same draws and same output as compose([randomResizedCrop(...), randomHorizontalFlip(p)]).
   * Default 0 (no flip).
   */
  horizontalFlip?: number;
  /** Antialiased shrinking (torch antialias=True, as PIL). Default false. */
  antialias?: boolean;
}

/**
 * `RandomResizedCrop.get_params`: up to 10 tries of (area fraction ~ U(scale), log aspect ~
 * U(log ratio)), rounding with Python's round; the first box that fits is placed uniformly.
 * After 10 misses, the central crop with the aspect ratio clamped into `ratio`.
 */
export function sampleResizedCropBox(
  rng: Rng,
  height: number,
  width: number,
  scale: readonly [number, number] = [0.08, 1],
  ratio: readonly [number, number] = [3 / 4, 4 / 3],
): CropBox {
  const area = height * width;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { top: rng.int(0, height - h + 1), left: rng.int(0, width - w + 1), height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < Math.min(ratio[0], ratio[1])) h = roundHalfEven(w / Math.min(ratio[0], ratio[1]));
  else if (inRatio > Math.max(ratio[0], ratio[1])) w = roundHalfEven(h * Math.max(ratio[0], ratio[1]));
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

function checkRange(range: readonly [number, number], name: string, positive: boolean): void {
  if (!(range[0] <= range[1]) || (positive ? !(range[0] > 0) : !(range[0] >= 0))) {
    throw new AugmentError({
      code: 'AUGMENT_BAD_RANGE',
      problem: `randomResizedCrop got ${name} [${range.join(', ')}]`,
      fix: `pass ${name} as [min, max] with ${positive ? '0 < min' : '0 ≤ min'} ≤ max`,
    });
  }
}

/** `RandomResizedCrop(size, scale, ratio)` (+ optional flip) with bilinear resizing (antialias=False), one box per image. */
export function randomResizedCrop(options: ResizedCropOptions): Transform {
  const { size, scale = [0.08, 1], ratio = [3 / 4, 4 / 3], horizontalFlip: flipP = 0, antialias = false } = options;
  sizeOf(size, 'randomResizedCrop');
  assertProbability(flipP, 'randomResizedCrop horizontalFlip');
  checkRange(scale, 'scale', false);
  checkRange(ratio, 'ratio', true);
  return (images, rng) => {
    const n = batchOf(images);
    const [, height, width] = images.shape;
    const boxes = Array.from({ length: n }, () => sampleResizedCropBox(rng, height, width, scale, ratio));
    const flip = flipP > 0 ? drawMask(rng, n, flipP) : null;
    return resizedCropFlip(images, boxes, size, flip, { antialias });
  };
}

/** `RandomHorizontalFlip(p)`: mirrors each image with probability p (default 0.5). */
export function randomHorizontalFlip(p = 0.5): Transform {
  assertProbability(p, 'randomHorizontalFlip');
  return (images, rng) => {
    const mask = drawMask(rng, batchOf(images), p);
    // Mirror all and pick per image: cheaper than gathering the chosen ones.
    return tf.tidy(() => selectPerSample(mask, horizontalFlip(images), images));
  };
}
