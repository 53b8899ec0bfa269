/**
 * `@selfsup/core/vitest`: the backend matrix of selfsup's tests (needs vitest, an optional peer).
 * Runner-agnostic helpers (`expectNoTensorLeak`, `expectClose`, `relativeError`) are in
 * `@selfsup/core/testing`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe } from 'vitest';
import { useBackend } from './backends/use-backend';
import type { BackendName } from './backends/types';

/**
 * Runs the same suite once per backend (default cpu and wasm), each `describe` named
 * `<name> [<backend>]` and switched to its backend before its tests (and back after), as
 * tfjs' `describeWithFlags(ALL_ENVS)` does. `webgpu` joins only where an adapter exists.
 */
export function describeOnBackends(name: string, suite: (backend: BackendName) => void, backends: readonly BackendName[] = ['cpu', 'wasm']): void {
  for (const backend of backends) {
    describe(`${name} [${backend}]`, () => {
      let previous: string | undefined;
      beforeAll(async () => {
        previous = tf.getBackend();
        await useBackend(backend);
      });
      afterAll(async () => {
        if (previous && previous !== backend) await tf.setBackend(previous);
      });
      suite(backend);
    });
  }
}
