import { activate, ensureRegistered, isNode } from './import-optional';
import { type BackendLoader, BackendUnavailable } from './types';

/** libtensorflow through tfjs-node(-gpu): both register the tfjs backend `tensorflow`. */
function tensorflowLoader(name: 'tensorflow-gpu' | 'tensorflow', packageName: string): BackendLoader {
  return {
    name,
    packages: [packageName],
    async load() {
      if (!isNode) throw new BackendUnavailable('runs in Node.js only');
      await ensureRegistered('tensorflow', packageName);
      await activate('tensorflow');
      return { tfBackend: 'tensorflow', detail: `libtensorflow via ${packageName}` };
    },
  };
}

export const tensorflowGpuLoader = tensorflowLoader('tensorflow-gpu', '@tensorflow/tfjs-node-gpu');
export const tensorflowCpuLoader = tensorflowLoader('tensorflow', '@tensorflow/tfjs-node');
