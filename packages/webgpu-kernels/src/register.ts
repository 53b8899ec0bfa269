import * as tf from '@tensorflow/tfjs-core';
import { conv2DConfig } from './kernels/Conv2D';
import { conv2DBackpropFilterConfig } from './kernels/Conv2DBackpropFilter';
import { conv2DBackpropInputConfig } from './kernels/Conv2DBackpropInput';
import { rememberStockKernel, stockKernel } from './stock';

/** Every kernel this package replaces in the webgpu backend, one file each. */
export const WEBGPU_TRAINING_KERNELS: readonly tf.KernelConfig[] = [conv2DConfig, conv2DBackpropFilterConfig, conv2DBackpropInputConfig];

/**
 * Set while this package's kernels are registered, for `useBackend` to report them even where it
 * cannot import the package itself (a bundle, an app that registered them first).
 */
const REGISTERED = Symbol.for('@selfsup/webgpu-kernels registered');

function replace(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, 'webgpu') !== undefined) tf.unregisterKernel(config.kernelName, 'webgpu');
  tf.registerKernel(config);
}

/**
 * Registers the GEMM kernels with the `webgpu` backend in place of tfjs' own. Idempotent; works
 * before or after `tf.setBackend('webgpu')`. Import '@tensorflow/tfjs-backend-webgpu' first (its
 * stock kernels take the shapes ours do not cover). Returns the names of the kernels it registered.
 */
export function registerWebGPUTrainingKernels(): string[] {
  for (const config of WEBGPU_TRAINING_KERNELS) {
    rememberStockKernel(config.kernelName);
    stockKernel(config.kernelName); // fails now, naming the import, if tfjs-backend-webgpu is missing
    replace(config);
  }
  (globalThis as Record<symbol, unknown>)[REGISTERED] = true;
  return WEBGPU_TRAINING_KERNELS.map((k) => k.kernelName);
}

/** Puts tfjs' own kernels back (benchmarks compare both in one process). */
export function useStockWebGPUKernels(): void {
  for (const config of WEBGPU_TRAINING_KERNELS) replace(stockKernel(config.kernelName));
  delete (globalThis as Record<symbol, unknown>)[REGISTERED];
}
