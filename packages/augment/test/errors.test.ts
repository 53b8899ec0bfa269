import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { describe, expect, it } from 'vitest';
import {
  AugmentError,
  adjustBrightness,
  adjustHue,
  colorJitter,
  gaussianBlur,
  normalize,
  randomApply,
  randomHorizontalFlip,
  randomResizedCrop,
  resizedCrop,
} from '../src/index';

function expectAugmentError(fn: () => unknown, code: string) {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AugmentError);
    expect((e as AugmentError).code).toBe(code);
    expect((e as AugmentError).fix.length).toBeGreaterThan(10);
    return;
  }
  throw new Error(`expected AugmentError ${code}`);
}

describe('errors name the fix', () => {
  const x = tf.zeros([2, 8, 8, 3]) as tf.Tensor4D;

  it('rejects bad parameters with codes', () => {
    expectAugmentError(() => adjustBrightness(x, [1, 2, 3]), 'AUGMENT_BAD_PARAM_LENGTH');
    expectAugmentError(() => adjustBrightness(x, -1), 'AUGMENT_PARAM_OUT_OF_RANGE');
    expectAugmentError(() => adjustHue(x, [0.1, 0.7]), 'AUGMENT_PARAM_OUT_OF_RANGE');
    expectAugmentError(() => adjustHue(tf.zeros([1, 2, 2, 4]) as tf.Tensor4D, 0), 'AUGMENT_BAD_CHANNELS');
    expectAugmentError(
      () => resizedCrop(x, [{ top: 0, left: 0, height: 8, width: 8 }, { top: 4, left: 0, height: 5, width: 2 }], 4),
      'AUGMENT_BAD_BOX',
    );
    expectAugmentError(() => gaussianBlur(x, { kernelSize: 4, sigma: 1 }), 'AUGMENT_BAD_KERNEL');
    expectAugmentError(() => gaussianBlur(x, { kernelSize: 17, sigma: 1 }), 'AUGMENT_KERNEL_TOO_LARGE');
    expectAugmentError(() => gaussianBlur(x, { kernelSize: 3, sigma: 0 }), 'AUGMENT_PARAM_OUT_OF_RANGE');
    expectAugmentError(() => normalize(x, [0.5], [0.5]), 'AUGMENT_BAD_NORMALIZE');
    expectAugmentError(() => randomHorizontalFlip(1.5), 'AUGMENT_BAD_PROBABILITY');
    expectAugmentError(() => colorJitter({ hue: 0.7 }), 'AUGMENT_BAD_JITTER');
    expectAugmentError(() => randomResizedCrop({ size: 0 }), 'AUGMENT_BAD_SIZE');
    expectAugmentError(() => randomResizedCrop({ size: 4, ratio: [2, 1] }), 'AUGMENT_BAD_RANGE');
    expectAugmentError(
      () => randomApply(0.5, (imgs) => tf.slice(imgs, [0, 0, 0, 0], [-1, 4, 4, 3]) as tf.Tensor4D)(
        tf.zeros([40, 8, 8, 3]) as tf.Tensor4D, createRng(0)),
      'AUGMENT_SHAPE_CHANGED',
    );
  });
});
