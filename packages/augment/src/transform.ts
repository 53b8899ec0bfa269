import * as tf from '@tensorflow/tfjs-core';
import type { ImageBatch, Rng } from '@selfsup/core';
import { AugmentError } from './errors';
import { batchOf } from './params';
import { takeRows } from './select';

/**
 * A random augmentation: draws its per-sample parameters from `rng` (so the same seed gives the
 * same output) and returns a new batch. It never disposes its input.
 */
export type Transform = (images: ImageBatch, rng: Rng) => ImageBatch;

/** Throws unless p is a probability. */
export function assertProbability(p: number, op: string): void {
  if (!(p >= 0 && p <= 1)) {
    throw new AugmentError({
      code: 'AUGMENT_BAD_PROBABILITY',
      problem: `${op} got probability ${p}`,
      fix: 'pass a probability in [0, 1]',
    });
  }
}

/** One Bernoulli(p) draw per image, in batch order (p = 1 or 0 draws nothing). */
export function drawMask(rng: Rng, n: number, p: number): boolean[] {
  if (p >= 1) return new Array<boolean>(n).fill(true);
  if (p <= 0) return new Array<boolean>(n).fill(false);
  return Array.from({ length: n }, () => rng.bernoulli(p));
}

/**
 * Applies `fn` to the images whose `mask` entry is true and leaves the others as they are: the
 * chosen images are gathered into one smaller batch, so `fn` costs only what it transforms.
 * `fn` must keep the image shape.
 */
export function applyToSubset(images: ImageBatch, mask: readonly boolean[], fn: (subset: ImageBatch) => ImageBatch): ImageBatch {
  const chosen: number[] = [];
  const others: number[] = [];
  mask.forEach((on, i) => (on ? chosen : others).push(i));
  if (chosen.length === 0) return tf.clone(images);
  if (others.length === 0) return fn(images);
  return tf.tidy(() => {
    const done = fn(takeRows(images, chosen));
    if (done.shape.slice(1).join() !== images.shape.slice(1).join()) {
      throw new AugmentError({
        code: 'AUGMENT_SHAPE_CHANGED',
        problem: `a transform applied to part of a batch turned [${images.shape.slice(1).join(', ')}] images into [${done.shape.slice(1).join(', ')}]`,
        fix: 'wrap only shape-preserving transforms in randomApply; put resizing crops outside it',
      });
    }
    const merged = tf.concat([done, takeRows(images, others)], 0);
    // Image i sits at position `where[i]` of [chosen..., others...].
    const where = new Int32Array(mask.length);
    chosen.forEach((i, k) => (where[i] = k));
    others.forEach((i, k) => (where[i] = chosen.length + k));
    return takeRows(merged, where) as tf.Tensor4D;
  });
}

/** `RandomApply([t], p)`: applies `t` to each image with probability p (drawn per image). */
export function randomApply(p: number, transform: Transform): Transform {
  assertProbability(p, 'randomApply');
  return (images, rng) => {
    const mask = drawMask(rng, batchOf(images), p);
    return applyToSubset(images, mask, (subset) => transform(subset, rng));
  };
}

/** `Compose([...])`: applies the transforms in order, disposing the intermediate batches. */
export function compose(transforms: readonly Transform[]): Transform {
  return (images, rng) => {
    let current = images;
    for (const transform of transforms) {
      const next = transform(current, rng);
      // A transform may hand back its input unchanged: keep that one alive.
      if (current !== images && current !== next) current.dispose();
      current = next;
    }
    return current === images ? tf.clone(images) : current;
  };
}
