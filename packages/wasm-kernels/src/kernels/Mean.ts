import * as tf from '@tensorflow/tfjs-core';
import { reduceLeadingKernel } from '../reduce-leading';
import { stockKernel } from '../stock';

/** Mean: over leading axes (batch-norm statistics: NHWC over [0, 1, 2]) as an average pooling; see reduce-leading.ts. */
export const meanConfig: tf.KernelConfig = {
  kernelName: tf.Mean,
  backendName: 'wasm',
  kernelFunc: reduceLeadingKernel('Mean'),
  setupFunc: (backend) => stockKernel(tf.Mean).setupFunc?.(backend),
};
