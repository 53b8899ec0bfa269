import * as tf from '@tensorflow/tfjs-core';
import { activate, ensureRegistered, importOptional, isNode } from './import-optional';
import { type BackendLoader, BackendUnavailable, type UseBackendOptions } from './types';

interface WasmKernels {
  registerWasmTrainingKernels(): string[];
}
interface WasmKernelsNode extends WasmKernels {
  registerThreadedWasmBackend(options?: { threads?: number }): void;
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

/** The kernel whose absence makes `tf.grad` through `conv2d` throw on stock wasm. */
const TRAINING_KERNEL = 'Conv2DBackpropFilter';

/**
 * What the report says about training. It asks tfjs' kernel registry, not whether core could
 * import the package: in a browser that import of a bare name fails even when the app has
 * registered the kernels itself.
 */
function trainingKernels(registeredHere: string[] | undefined): string {
  if (tf.getKernel(TRAINING_KERNEL, 'wasm') === undefined) {
    const fix = isNode
      ? 'npm install @selfsup/wasm-kernels'
      : "call registerWasmTrainingKernels() from '@selfsup/wasm-kernels' first";
    return `no training kernels (${fix} to train convnets)`;
  }
  return registeredHere
    ? `training kernels from @selfsup/wasm-kernels (${registeredHere.length})`
    : 'training kernels (registered before useBackend)';
}

/** XNNPACK threads of the running wasm backend (its module's own count; 1 if it does not say). */
function runningThreads(): number {
  const backend = tf.backend() as { wasm?: { tfjs?: { getThreadsCount?(): number } } };
  return backend.wasm?.tfjs?.getThreadsCount?.() ?? 1;
}

export const wasmLoader: BackendLoader = {
  name: 'wasm',
  packages: ['@tensorflow/tfjs-backend-wasm'],
  async load({ wasmThreads }: UseBackendOptions) {
    await ensureRegistered('wasm', '@tensorflow/tfjs-backend-wasm');
    const kernels = await loadKernels();
    const registered = kernels?.registerWasmTrainingKernels();
    // Threads can only be chosen before the backend's first initialisation. (Not
    // tf.findBackend('wasm'): it would start initialising the stock single-threaded backend.)
    if (kernels && 'registerThreadedWasmBackend' in kernels && wasmThreads !== 1 && tf.engine().registry.wasm == null) {
      kernels.registerThreadedWasmBackend(wasmThreads === undefined ? {} : { threads: wasmThreads });
    }
    await activate('wasm');
    const threads = runningThreads();
    return {
      tfBackend: 'wasm',
      detail: `WebAssembly (XNNPACK), ${threads} thread${threads === 1 ? '' : 's'}, ${trainingKernels(registered)}`,
    };
  },
};
