import { activate, ensureRegistered } from './import-optional';
import type { BackendLoader } from './types';

export const wasmLoader: BackendLoader = {
  name: 'wasm',
  packages: ['@tensorflow/tfjs-backend-wasm'],
  async load() {
    await ensureRegistered('wasm', '@tensorflow/tfjs-backend-wasm');
    await activate('wasm');
    return { tfBackend: 'wasm', detail: 'WebAssembly (XNNPACK)' };
  },
};
