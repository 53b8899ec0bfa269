import * as tf from '@tensorflow/tfjs-core';
import { activate, ensureRegistered, importOptional, isNode } from './import-optional';
import { type BackendLoader, BackendUnavailable, type UseBackendOptions } from './types';

interface WasmKernels {
  registerWasmTrainingKernels(): string[];
}
interface WasmKernelsNode extends WasmKernels {
  registerThreadedWasmBackend(options?: { threads?: number }): void;
  wasmThreadsCount(): number;
}

/**
 * The stock wasm backend cannot train convnets (no Conv2DBackpropFilter, tfjs#8474) and runs one
 * thread in Node. `@selfsup/wasm-kernels`, when installed, registers the missing training kernels
 * and, in Node, the threaded SIMD binary on every core.
 */
async function loadKernels(): Promise<WasmKernels | WasmKernelsNode | undefined> {
  try {
    return (await importOptional(isNode ? '@selfsup/wasm-kernels/node' : '@selfsup/wasm-kernels')) as WasmKernels;
  } catch (error) {
    if (error instanceof BackendUnavailable && error.install) return undefined;
    throw error;
  }
}

export const wasmLoader: BackendLoader = {
  name: 'wasm',
  packages: ['@tensorflow/tfjs-backend-wasm'],
  async load({ wasmThreads }: UseBackendOptions) {
    await ensureRegistered('wasm', '@tensorflow/tfjs-backend-wasm');
    const kernels = await loadKernels();
    if (!kernels) {
      await activate('wasm');
      return { tfBackend: 'wasm', detail: 'WebAssembly (XNNPACK), 1 thread, no training kernels (npm install @selfsup/wasm-kernels to train convnets)' };
    }
    const names = kernels.registerWasmTrainingKernels();
    // Threads can only be chosen before the backend's first initialisation.
    if ('registerThreadedWasmBackend' in kernels && wasmThreads !== 1 && tf.findBackend('wasm') == null) {
      kernels.registerThreadedWasmBackend(wasmThreads === undefined ? {} : { threads: wasmThreads });
    }
    await activate('wasm');
    const threads = 'wasmThreadsCount' in kernels ? kernels.wasmThreadsCount() : 1;
    return {
      tfBackend: 'wasm',
      detail: `WebAssembly (XNNPACK), ${threads} thread${threads === 1 ? '' : 's'}, training kernels from @selfsup/wasm-kernels (${names.length})`,
    };
  },
};
