import * as tf from '@tensorflow/tfjs-core';

/**
 * The webgpu backend's own kernel configs, captured before ours replace them: a replacement hands
 * the shapes it does not cover back to them, and {@link useStockWebGPUKernels} puts them back.
 */
const stock = new Map<string, tf.KernelConfig>();

export function rememberStockKernel(kernelName: string): void {
  if (stock.has(kernelName)) return;
  const config = tf.getKernel(kernelName, 'webgpu');
  if (config !== undefined) stock.set(kernelName, config);
}

export function stockKernel(kernelName: string): tf.KernelConfig {
  const config = stock.get(kernelName) ?? tf.getKernel(kernelName, 'webgpu');
  if (config === undefined) {
    throw new Error(`the webgpu backend has no stock ${kernelName} kernel: import '@tensorflow/tfjs-backend-webgpu' first`);
  }
  return config;
}

/** Runs another webgpu kernel (stock or ours) from inside a kernel function. */
export function runKernel(kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap, backend: object): tf.TensorInfo {
  const config = tf.getKernel(kernelName, 'webgpu');
  if (config === undefined) throw new Error(`the webgpu backend has no ${kernelName} kernel`);
  return config.kernelFunc({ inputs, attrs, backend: backend as tf.KernelBackend }) as tf.TensorInfo;
}
