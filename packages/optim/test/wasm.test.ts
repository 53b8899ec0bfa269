import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@selfsup/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { adamw, lars, sgd } from '../src/index';
import { fixture, Problem, replayWithTorchGradients } from './problems';

// The workspace's default backend: the same checks as on cpu, on wasm kernels.
beforeAll(async () => {
  await useBackend('wasm');
});

describe('on the wasm backend', () => {
  it('runs on wasm', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  for (const caseName of ['mlp_sgd_nesterov_groups', 'mlp_adamw_groups', 'mlp_lars', 'mlp_lars_trust_clip']) {
    it(`${caseName}: torch gradients in, weights within 1e-6 of torch over ${fixture.steps} steps`, () => {
      const worst = replayWithTorchGradients(caseName);
      console.log(`wasm ${caseName}: max rel weight error ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-6);
    });
  }

  it('tensor count flat across 1,000 steps and back to the start after dispose', async () => {
    const { expectNoTensorLeak } = await import('@selfsup/core/testing');
    const problem = new Problem('mlp');
    const before = tf.memory().numTensors;
    for (const opt of [sgd({ lr: 0.01, momentum: 0.9 }), lars({ lr: 0.1 }), adamw({ lr: 1e-3 })]) {
      await expectNoTensorLeak(() => problem.step(opt), { warmup: 1, repeats: 1000 });
      opt.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
    problem.dispose();
  }, 180_000); // 3,000 small steps: ~14 s alone, several times that beside other suites on 2 cores
});
