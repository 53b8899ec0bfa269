import { activate, ensureRegistered } from './import-optional';
import type { BackendLoader } from './types';

export const cpuLoader: BackendLoader = {
  name: 'cpu',
  packages: ['@tensorflow/tfjs-backend-cpu'],
  async load() {
    await ensureRegistered('cpu', '@tensorflow/tfjs-backend-cpu');
    await activate('cpu');
    return { tfBackend: 'cpu', detail: 'plain JavaScript kernels (slowest)' };
  },
};
