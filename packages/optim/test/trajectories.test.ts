import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoTensorLeak, relativeError } from '@selfsup/core/testing';
import { describeOnBackends } from '@selfsup/core/vitest';
import { adamw, lars, sgd } from '../src/index';
import {
  fixture,
  optimizerFromConfig,
  Problem,
  replayWithTorchGradients,
  worstWeightError,
  type ProblemName,
} from './problems';

describeOnBackends('optimizer arithmetic equals PyTorch: torch gradients in, weights out, 50 steps within 1e-6', (backend) => {
  // Fed the very gradients torch saw, so only the update rule (and float32 rounding) can differ.
  for (const caseName of Object.keys(fixture.cases)) {
    it(caseName, () => {
      const worst = replayWithTorchGradients(caseName);
      console.log(`${backend} ${caseName} (torch gradients): max rel weight error ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-6);
    });
  }
});

describeOnBackends(
  'optimizer state',
  () => {
    it('tensor count flat across 1,000 steps and back to the start after dispose', async () => {
      const problem = new Problem('mlp');
      const before = tf.memory().numTensors;
      for (const opt of [sgd({ lr: 0.01, momentum: 0.9 }), lars({ lr: 0.1 }), adamw({ lr: 1e-3 })]) {
        await expectNoTensorLeak(() => problem.step(opt), { warmup: 1, repeats: 1000 });
        opt.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }
      problem.dispose();
    }, 180_000); // 3,000 small steps: ~14 s alone, several times that beside other suites on 2 cores
  },
  ['wasm'],
);

describe('training trajectories equal PyTorch: own tfjs gradients, 50 steps', () => {
  // Gradients now come from tfjs, so rounding differences feed back through the model. The
  // fixture measured how far torch's own float32 run strays from float64 (f32Noise); where a
  // trajectory amplifies rounding beyond 1e-6 (LARS near a minimum: the trust ratio rescales a
  // noisy small gradient to a full-size step), no float32 implementation can agree closer than
  // that, so the bound is max(1e-6, 3 · f32Noise).
  for (const [caseName, c] of Object.entries(fixture.cases)) {
    it(caseName, () => {
      const problem = new Problem(c.problem as ProblemName);
      const opt = optimizerFromConfig(c.config);
      const bound = Math.max(1e-6, 3 * c.result.f32Noise);
      const lossScale = Math.max(...c.result.losses);
      try {
        let worst = 0;
        let worstLoss = 0;
        for (let t = 0; t < fixture.steps; t++) {
          const loss = problem.step(opt);
          worstLoss = Math.max(worstLoss, Math.abs(loss - c.result.losses[t]) / lossScale);
          worst = Math.max(worst, worstWeightError(problem, c.result.weights[t] as Record<string, number[]>));
        }
        expect(opt.iterations).toBe(fixture.steps);
        console.log(
          `${caseName} (tfjs gradients): max rel weight error ${worst.toExponential(2)}, loss ${worstLoss.toExponential(2)}, ` +
            `bound ${bound.toExponential(2)} (torch f32 vs f64 ${c.result.f32Noise.toExponential(2)})`,
        );
        expect(worst).toBeLessThanOrEqual(bound);
        expect(worstLoss).toBeLessThanOrEqual(bound);
      } finally {
        opt.dispose();
        problem.dispose();
      }
    });
  }

  it('plain SGD on the quadratic follows the closed form w_t = c + (1 − lr·a)^t (w_0 − c)', () => {
    const problem = new Problem('quadratic');
    const opt = sgd({ lr: 0.1 });
    const { a, c, w0 } = fixture.problems.quadratic;
    try {
      for (let t = 1; t <= 50; t++) {
        problem.step(opt);
        const exact = a.map((ai, i) => c[i] + (1 - 0.1 * ai) ** t * (w0['quad/w'][i] - c[i]));
        expect(relativeError(problem.weights()['quad/w'], exact)).toBeLessThanOrEqual(1e-6);
      }
    } finally {
      opt.dispose();
      problem.dispose();
    }
  });
});
