import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it, vi } from 'vitest';
import { BackendUnavailable } from './types';
import { useBackend } from './use-backend';

// As in a browser app: core's own import of @selfsup/wasm-kernels (a bare name imported at run
// time) fails, though the app may have registered the kernels itself.
vi.mock('./import-optional', async (importOriginal) => {
  const original = await importOriginal<typeof import('./import-optional')>();
  return {
    ...original,
    importOptional: async (name: string) => {
      if (name.startsWith('@selfsup/wasm-kernels')) {
        throw new BackendUnavailable(`Failed to resolve module specifier '${name}'`, '@selfsup/wasm-kernels');
      }
      return original.importOptional(name);
    },
  };
});

describe('the wasm report on training kernels', () => {
  it('says there are none, and how to add them, when none are registered', async () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    const selection = await useBackend('wasm');
    expect(selection.reason).toBe(
      'requested: WebAssembly (XNNPACK), 1 thread, no training kernels (npm install @selfsup/wasm-kernels to train convnets)',
    );
  });

  it('says they are there when the app registered them, though core could not import the package', async () => {
    const kernelName = 'Conv2DBackpropFilter';
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: () => ({ dataId: {}, shape: [], dtype: 'float32' }) });
    try {
      const selection = await useBackend('wasm');
      expect(selection.reason).toBe(
        'requested: WebAssembly (XNNPACK), 1 thread, training kernels (registered before useBackend)',
      );
    } finally {
      tf.unregisterKernel(kernelName, 'wasm');
    }
  });
});
