import * as tf from '@tensorflow/tfjs-core';

/**
 * Mixes the channels of an NHWC batch with a [C_in, C_out] matrix: out[..., j] = Σ_i x[..., i] m[i][j]
 * (+ bias[j]).
 * One matMul over [N·H·W, C]: per-channel slicing and last-axis sums are strided gathers on the
 * cpu and wasm backends, 10–100x slower than this.
 */
export function mixChannels(
  x: tf.Tensor,
  matrix: readonly (readonly number[])[],
  bias?: readonly number[],
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const out = matrix[0].length;
    const a = tf.reshape(x, [n * h * w, c]) as tf.Tensor2D;
    const b = tf.tensor2d(matrix.flat(), [c, out]);
    // A bias rides on the fused matMul: a separate broadcast add of a [C] vector is slow on wasm.
    const y = bias ? tf.fused.matMul({ a, b, bias: tf.tensor1d(bias as number[]) }) : tf.matMul(a, b);
    return tf.reshape(y, [n, h, w, out]) as tf.Tensor4D;
  });
}

/** ITU-R 601-2 luma weights, as torchvision's rgb_to_grayscale. */
export const LUMA = [0.2989, 0.587, 0.114] as const;
