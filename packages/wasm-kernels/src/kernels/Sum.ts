import * as tf from '@tensorflow/tfjs-core';
import { reduceLeadingKernel } from '../reduce-leading';
import { stockKernel } from '../stock';

/** Sum: over leading axes (batch-norm gradients: NHWC over [0, 1, 2]) as an average pooling; see reduce-leading.ts. */
export const sumConfig: tf.KernelConfig = {
  kernelName: tf.Sum,
  backendName: 'wasm',
  kernelFunc: reduceLeadingKernel('Sum'),
  setupFunc: (backend) => stockKernel(tf.Sum).setupFunc?.(backend),
};
