import * as tf from '@tensorflow/tfjs-core';
import { EvalError } from './errors';
import { assertFeatures, positiveInt, positiveNumber } from './inputs';
import { l2NormalizeRows } from './normalize';

export interface AlignmentOptions {
  /** Exponent of the distance (default 2, as Wang & Isola). */
  alpha?: number;
  /** L2-normalise rows first (default true). */
  normalize?: boolean;
}

/**
 * Alignment (Wang & Isola 2020): mean over positive pairs of ‖z1_i − z2_i‖^α, rows i of two
 * views of the same images. 0 means both views map to the same point. Inputs are not disposed.
 */
export async function alignment(z1: tf.Tensor2D, z2: tf.Tensor2D, options: AlignmentOptions = {}): Promise<number> {
  assertFeatures(z1, 'z1');
  assertFeatures(z2, 'z2');
  if (z1.shape[0] !== z2.shape[0] || z1.shape[1] !== z2.shape[1]) {
    throw new EvalError({
      code: 'EVAL_DIM_MISMATCH',
      problem: `z1 is [${z1.shape.join(', ')}] but z2 is [${z2.shape.join(', ')}]`,
      fix: 'pass the embeddings of two views of the same images, row i of each from image i',
    });
  }
  const alpha = positiveNumber(options.alpha ?? 2, 'alpha', 'pass e.g. { alpha: 2 }');
  const normalize = options.normalize ?? true;
  const value = tf.tidy(() => {
    const a = normalize ? l2NormalizeRows(z1) : z1;
    const b = normalize ? l2NormalizeRows(z2) : z2;
    const dist = tf.sqrt(tf.sum(tf.square(tf.sub(a, b)), 1));
    return tf.mean(tf.pow(dist, alpha));
  });
  const [result] = await value.data();
  value.dispose();
  return result;
}

export interface UniformityOptions {
  /** Scale t in exp(−t‖zi − zj‖²) (default 2). */
  t?: number;
  /** L2-normalise rows first (default true). */
  normalize?: boolean;
  /** Rows per block of the pairwise computation (default 1024). */
  chunk?: number;
}

/**
 * Uniformity (Wang & Isola 2020): log of the mean over distinct pairs i < j of
 * exp(−t‖z_i − z_j‖²). Lower is more uniform (−4 is the limit for t = 2 on a high-dimensional
 * sphere). Computed in row blocks, so n = 50k needs no n × n matrix. Inputs are not disposed.
 */
export async function uniformity(z: tf.Tensor2D, options: UniformityOptions = {}): Promise<number> {
  assertFeatures(z, 'z');
  const [n, d] = z.shape;
  if (n < 2) {
    throw new EvalError({ code: 'EVAL_TOO_FEW_ROWS', problem: `uniformity needs 2 or more rows, got ${n}`, fix: 'pass a batch of embeddings' });
  }
  const t = positiveNumber(options.t ?? 2, 't', 'pass e.g. { t: 2 }');
  const chunk = positiveInt(options.chunk ?? 1024, 'chunk', 'pass e.g. { chunk: 1024 }');
  const normalize = options.normalize ?? true;
  const x = normalize ? l2NormalizeRows(z) : z;
  let total = 0;
  try {
    const sq = tf.tidy(() => tf.sum(tf.square(x), 1));
    try {
      for (let r0 = 0; r0 < n - 1; r0 += chunk) {
        const rows = Math.min(chunk, n - r0);
        const s = tf.tidy(() => {
          const a = tf.slice(x, [r0, 0], [rows, d]);
          const dot = tf.matMul(a, x, false, true);
          const dist2 = tf.relu(tf.sub(tf.add(tf.reshape(tf.slice(sq, r0, rows), [rows, 1]), tf.reshape(sq, [1, n])), tf.mul(dot, 2)));
          // Only pairs with j > i count.
          const upper = tf.greater(tf.reshape(tf.range(0, n, 1, 'int32'), [1, n]), tf.reshape(tf.range(r0, r0 + rows, 1, 'int32'), [rows, 1]));
          return tf.sum(tf.where(upper, tf.exp(tf.mul(dist2, -t)), tf.zerosLike(dist2)));
        });
        total += (await s.data())[0];
        s.dispose();
      }
    } finally {
      sq.dispose();
    }
  } finally {
    if (x !== z) x.dispose();
  }
  return Math.log(total / ((n * (n - 1)) / 2));
}
