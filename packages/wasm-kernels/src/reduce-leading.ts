import * as tf from '@tensorflow/tfjs-core';
import { stockKernel } from './stock';

/**
 * Sum and Mean over the leading axes of a float32 tensor — batch-norm statistics and their
 * gradients reduce NHWC over [0, 1, 2] — as one XNNPACK matrix product, x[M, C]ᵀ·ones[M, 1]:
 * the stock wasm kernels transpose the reduced axes innermost first, 20x slower. Other axis
 * patterns and dtypes go to the stock kernel.
 */
export function reduceLeadingKernel(kernelName: 'Sum' | 'Mean'): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as unknown as { x: tf.Tensor };
    const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    const leading = axes.length > 0 && axes.length < x.rank && axes.every((a, i) => a === i);
    if (!leading || x.dtype !== 'float32' || x.size === 0) {
      return stockKernel(kernelName).kernelFunc(args);
    }
    const rows = x.shape.slice(0, axes.length).reduce((a, b) => a * b, 1);
    const rest = x.shape.slice(axes.length);
    const cols = rest.reduce((a, b) => a * b, 1);
    const outShape = keepDims ? [...axes.map(() => 1), ...rest] : rest;
    return tf.tidy(() => {
      // x is the transposed left operand: as the right one, XNNPACK would repack it every call.
      const weights = tf.fill([rows, 1], kernelName === 'Mean' ? 1 / rows : 1);
      return tf.reshape(tf.matMul(tf.reshape(x, [rows, cols]), weights, true, false), outShape);
    });
  };
}
