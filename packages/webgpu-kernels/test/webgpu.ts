import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { useBackend } from '@selfsup/core';

/**
 * Starts tfjs' webgpu backend on whatever adapter exists, software ones included (in CI: Mesa's
 * lavapipe through Dawn), then goes back to cpu. Returns why not when there is no adapter, for
 * the tests to skip saying so.
 */
export async function startWebGPU(): Promise<{ ok: true; adapter: string } | { ok: false; why: string }> {
  try {
    const selection = await useBackend('webgpu', { allowSoftwareAdapter: true });
    await tf.setBackend('cpu');
    return { ok: true, adapter: selection.reason };
  } catch (error) {
    return { ok: false, why: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
}
