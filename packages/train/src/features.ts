import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '@selfsup/backbones';
import type { ImageDataset } from '@selfsup/datasets';
import { embed } from '@selfsup/eval';

/** Eval-mode backbone features of the given rows, `embed`ded batch by batch: `[rows, featureDim]`. */
export async function extractFeatures(backbone: Backbone, data: ImageDataset, rows: ArrayLike<number>, batchSize = 500): Promise<tf.Tensor2D> {
  const picked = { size: rows.length, toBatch: (batch: ArrayLike<number>) => data.toBatch(Array.from(batch, (i) => rows[i])) };
  const features = await embed(backbone, picked, { batchSize });
  return tf.tensor2d(features.data, [features.count, features.dim]);
}

/** Raw pixels of the given rows as flat vectors `[rows, H·W·C]` in [0, 1]: the kNN baseline. */
export function pixelFeatures(data: ImageDataset, rows: ArrayLike<number>): tf.Tensor2D {
  return tf.tidy(() => {
    const { images } = data.toBatch(rows);
    return tf.reshape(images, [rows.length, -1]) as tf.Tensor2D;
  });
}

/** Rows 0..count−1 (all rows without a count): the fixed evaluation split. */
export function firstRows(size: number, count?: number): Int32Array {
  const n = Math.min(size, count ?? size);
  return Int32Array.from({ length: n }, (_, i) => i);
}

export function labelsOf(data: ImageDataset, rows: ArrayLike<number>): Int32Array {
  return Int32Array.from({ length: rows.length }, (_, i) => data.labels[rows[i]]);
}
