import * as tf from '@tensorflow/tfjs-core';
import { shareData } from '../share-data';
import { stockKernel } from '../stock';

/**
 * Identity shares its input's data instead of copying it. Gradients pass through Identity
 * hundreds of times per ResNet step; the stock wasm kernel copies every activation each time.
 */
export const identityConfig: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    return x.dtype === 'string' ? stockKernel(tf.Identity).kernelFunc(args) : shareData(x, args.backend);
  },
};
