import * as tf from '@tensorflow/tfjs-core';
import { conv2DBackpropFilterConfig } from './kernels/Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './kernels/Conv2DBackpropInput';
import { castConfig } from './kernels/Cast';
import { identityConfig } from './kernels/Identity';
import { meanConfig } from './kernels/Mean';
import { sumConfig } from './kernels/Sum';
import { rememberStockKernel } from './stock';

/** Every kernel this package adds to or replaces in the wasm backend, one file each. */
export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  meanConfig,
  sumConfig,
  identityConfig,
  castConfig,
];

/**
 * Registers the training kernels with the `wasm` backend, replacing the stock ones where they
 * exist. Idempotent. Call it before the first training step; it works before or after
 * `tf.setBackend('wasm')`. Returns the names of the kernels it registered.
 */
export function registerWasmTrainingKernels(): string[] {
  for (const config of WASM_TRAINING_KERNELS) {
    rememberStockKernel(config.kernelName);
    if (tf.getKernel(config.kernelName, config.backendName) !== undefined) {
      tf.unregisterKernel(config.kernelName, config.backendName);
    }
    tf.registerKernel(config);
  }
  return WASM_TRAINING_KERNELS.map((k) => k.kernelName);
}
