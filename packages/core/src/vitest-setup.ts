/**
 * The one test setup of the workspace: `vitest.shared.ts` runs it before every package's test
 * files. It registers tfjs' gradients and the cpu backend and makes cpu the default, so a test
 * file sets a backend only when it wants another (or runs on several: `describeOnBackends`).
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll } from 'vitest';

beforeAll(async () => {
  await tf.setBackend('cpu');
});
