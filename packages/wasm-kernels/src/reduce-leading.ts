import * as tf from '@tensorflow/tfjs-core';
import { stockKernel } from './stock';

/**
 * Sum and Mean over the leading axes of a float32 tensor — batch-norm statistics and their
 * gradients reduce NHWC over [0, 1, 2] — as one XNNPACK average pooling of x viewed as
 * [1, M, 1, C] with an M×1 window: SIMD over the C channels, 5-6x faster than the stock
 * kernels (which transpose the reduced axes innermost first) and than a matmul against ones
 * (wasm runs a transposed matmul as a scalar loop). Sum is that mean times M. Other axis
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
      const grid = tf.reshape(x, [1, rows, 1, cols]) as tf.Tensor4D;
      // A 1×1 window is no reduction (and XNNPACK rejects it): a copy keeps the output fresh.
      const mean = rows === 1 ? tf.clone(grid) : tf.avgPool(grid, [rows, 1], 1, 'valid');
      return tf.reshape(kernelName === 'Mean' ? mean : tf.mul(mean, rows), outShape);
    });
  };
}
