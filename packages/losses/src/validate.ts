import type * as tf from '@tensorflow/tfjs-core';
import { LossError } from './errors';

export function checkTemperature(temperature: number, where: string): void {
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature <= 0) {
    throw new LossError({
      code: 'LOSS_BAD_TEMPERATURE',
      problem: `${where} got temperature ${String(temperature)}`,
      fix: 'pass a finite temperature > 0, e.g. { temperature: 0.1 } (SimCLR uses 0.1 to 0.5)',
    });
  }
}

export function checkEmbeddings(z: tf.Tensor, name: string, where: string): void {
  if (z.rank !== 2 || (z.shape[0] ?? 0) < 1 || (z.shape[1] ?? 0) < 1) {
    throw new LossError({
      code: 'LOSS_BAD_SHAPE',
      problem: `${where} got ${name} of shape [${z.shape.join(', ')}]`,
      fix: `pass ${name} as a 2-D float tensor [rows, features] with at least one row and one feature`,
    });
  }
  if (z.dtype !== 'float32') {
    throw new LossError({
      code: 'LOSS_BAD_DTYPE',
      problem: `${where} got ${name} of dtype ${z.dtype}`,
      fix: `cast ${name} to float32 first: tf.cast(${name}, 'float32')`,
    });
  }
}

export function checkPair(z1: tf.Tensor, z2: tf.Tensor, where: string): void {
  checkEmbeddings(z1, 'z1', where);
  checkEmbeddings(z2, 'z2', where);
  if (z1.shape[0] !== z2.shape[0] || z1.shape[1] !== z2.shape[1]) {
    throw new LossError({
      code: 'LOSS_SHAPE_MISMATCH',
      problem: `${where} got z1 [${z1.shape.join(', ')}] and z2 [${z2.shape.join(', ')}]`,
      fix: 'pass the two views of the same N images in the same order: z1 and z2 must have equal shapes [N, k]',
    });
  }
}

/**
 * Both views stacked along the rows, [h1; h2] = [2N, d]: a float32 matrix with an even number
 * (≥ 2) of rows, view 1's N rows first.
 */
export function checkStacked(h: tf.Tensor, where: string): void {
  checkEmbeddings(h, 'h', where);
  if (h.shape[0] % 2 !== 0) {
    throw new LossError({
      code: 'LOSS_BAD_SHAPE',
      problem: `${where} got stacked views h of shape [${h.shape.join(', ')}], an odd number of rows`,
      fix: 'stack the two views of the same N images along the rows, view 1 first: h = tf.concat([h1, h2]) of shape [2N, d]',
    });
  }
}
