import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { createRng } from '@selfsup/core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import ntxent from '../test/fixtures/ntxent.json';
import { mlpHead } from './heads/mlp';
import { infoNCE } from './infonce';
import { parametric } from './schemes/parametric';
import { randomMatrix } from './test-helpers';

// The workspace's default backend: stopGradient and the masks use backend-level details
// (reference counts, bool tensors), so run the scheme there too.
beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

describe('on the wasm backend', () => {
  it('infoNCE matches the PyTorch fixture', () => {
    expect(tf.getBackend()).toBe('wasm');
    const c = ntxent.cases[0];
    const loss = tf.tidy(() => infoNCE(tf.tensor2d(c.z1), tf.tensor2d(c.z2), { temperature: c.temperature }).dataSync()[0]);
    expect(Math.abs(loss - c.loss)).toBeLessThan(1e-5);
  });

  it('parametric: inner losses fall, the head gets no backbone-step gradient, tensor counts stay flat', async () => {
    const rng = createRng(1);
    const x1 = tf.tensor2d(randomMatrix(rng, 8, 5));
    const x2 = tf.tensor2d(randomMatrix(rng, 8, 5));
    const w = tf.variable(tf.tensor2d(randomMatrix(rng, 5, 6, 0.7)), true, 'wasm-toy-backbone');
    const backbone = (x: tf.Tensor2D) => tf.tanh(tf.matMul(x, w)) as tf.Tensor2D;
    const objective = parametric(mlpHead({ dims: [6, 8, 4], rng: createRng(2), batchNorm: true }), {
      temperature: 0.2,
      innerSteps: 5,
      learningRate: 0.01,
    });
    const step = () => {
      const { value, grads } = tf.variableGrads(() => {
        const [h1, h2] = [backbone(x1), backbone(x2)];
        const inner = objective.headStep(h1, h2)!;
        const losses = Array.from(inner.dataSync());
        for (let k = 1; k < losses.length; k++) expect(losses[k]).toBeLessThan(losses[k - 1]);
        return objective.loss(h1, h2);
      });
      expect(Object.keys(grads)).toEqual([w.name]);
      tf.dispose(grads);
      return value;
    };
    await expectNoTensorLeak(step, { warmup: 1, repeats: 2 });
    tf.dispose([x1, x2, w]);
    objective.dispose();
  });
});
