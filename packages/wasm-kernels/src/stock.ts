import * as tf from '@tensorflow/tfjs-core';

/**
 * The wasm backend's own kernel configs, captured before ours replace them, so that a
 * replacement can hand the cases it does not speed up back to the stock implementation.
 */
const stock = new Map<string, tf.KernelConfig>();

export function rememberStockKernel(kernelName: string): void {
  if (stock.has(kernelName)) return;
  const config = tf.getKernel(kernelName, 'wasm');
  if (config !== undefined) stock.set(kernelName, config);
}

export function stockKernel(kernelName: string): tf.KernelConfig {
  const config = stock.get(kernelName) ?? tf.getKernel(kernelName, 'wasm');
  if (config === undefined) {
    throw new Error(`the wasm backend has no stock ${kernelName} kernel: import '@tensorflow/tfjs-backend-wasm' first`);
  }
  return config;
}
