import * as tf from '@tensorflow/tfjs-core';
import { shareData } from '../share-data';
import { stockKernel } from '../stock';

/**
 * Cast to the dtype a tensor already has shares its data (stock wasm copies it). Cast to bool is
 * x ≠ 0 (stock wasm truncates into a byte: −2.2 becomes 254, 0.5 becomes 0). Others are stock.
 */
export const castConfig: tf.KernelConfig = {
  kernelName: tf.Cast,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { dtype } = args.attrs as unknown as tf.CastAttrs;
    if (x.dtype === dtype && dtype !== 'string') return shareData(x, args.backend);
    if (dtype === 'bool' && x.dtype !== 'string') return tf.notEqual(x as tf.Tensor, tf.scalar(0, x.dtype));
    return stockKernel(tf.Cast).kernelFunc(args);
  },
  setupFunc: (backend) => stockKernel(tf.Cast).setupFunc?.(backend),
};
