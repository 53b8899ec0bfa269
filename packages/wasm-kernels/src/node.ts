import * as tf from '@tensorflow/tfjs-core';
import { registerWasmTrainingKernels } from './register';
import { registerThreadedWasmBackend, wasmThreadsCount, type ThreadedWasmOptions } from './threads';

export { registerThreadedWasmBackend, wasmThreadsCount, type ThreadedWasmOptions } from './threads';
export { registerWasmTrainingKernels, WASM_TRAINING_KERNELS } from './register';

export interface WasmTrainingSetup {
  /** XNNPACK threads the wasm backend runs on. */
  threads: number;
  /** Kernels registered by this package. */
  kernels: string[];
}

/**
 * The fastest CPU training path in Node: the training kernels, the threaded SIMD binary on
 * `threads` threads (default: all cores; 1 keeps the stock single-threaded binary), and
 * `tf.setBackend('wasm')`. Call it before anything else touches the wasm backend.
 */
export async function setupWasmTraining(options: ThreadedWasmOptions = {}): Promise<WasmTrainingSetup> {
  const kernels = registerWasmTrainingKernels();
  if (options.threads !== 1) registerThreadedWasmBackend(options);
  if (!(await tf.setBackend('wasm'))) {
    throw new Error('tf.setBackend("wasm") failed: see the warning tfjs printed above');
  }
  return { threads: wasmThreadsCount(), kernels };
}
