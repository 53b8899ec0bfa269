import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { createRng } from '@selfsup/core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { expect, it } from 'vitest';
import { describeOnBackends } from '@selfsup/core/vitest';
import ntxent from '../test/fixtures/ntxent.json';
import { mlpHead } from './heads/mlp';
import { infoNCE } from './infonce';
import { joint } from './schemes/joint';
import { parametric } from './schemes/parametric';
import { contrastiveStep, type StepBackbone } from './step';
import { maxExcess, randomMatrix, tinySgd } from './test-helpers';

// stopGradient and the masks use backend-level details (reference counts, bool tensors), so the
// loss, the scheme and the step run on every backend the workspace uses.
describeOnBackends('losses', (backend) => {
  it('infoNCE matches the PyTorch fixture', () => {
    expect(tf.getBackend()).toBe(backend);
    const c = ntxent.cases[0];
    const loss = tf.tidy(() => infoNCE(tf.tensor2d(c.z1), tf.tensor2d(c.z2), { temperature: c.temperature }).dataSync()[0]);
    expect(Math.abs(loss - c.loss)).toBeLessThan(1e-5);
  });

  it('parametric: inner losses fall, the head gets no backbone-step gradient, tensor counts stay flat', async () => {
    const rng = createRng(1);
    const x1 = tf.tensor2d(randomMatrix(rng, 8, 5));
    const x2 = tf.tensor2d(randomMatrix(rng, 8, 5));
    const w = tf.variable(tf.tensor2d(randomMatrix(rng, 5, 6, 0.7)), true, `toy-backbone-${backend}`);
    const backbone = (x: tf.Tensor2D) => tf.tanh(tf.matMul(x, w)) as tf.Tensor2D;
    const objective = parametric(mlpHead({ dims: [6, 8, 4], rng: createRng(2), batchNorm: true }), {
      temperature: 0.2,
      innerSteps: 5,
      lr: 0.01,
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

  for (const scheme of ['joint', 'parametric'] as const) {
    it(`contrastiveStep, ${scheme}: chunked equals unchunked for a backbone whose rows do not interact`, () => {
      // Images [6, 2, 2, 3]; the backbone h = tanh(flatten(x) W) has no batch norm, so GradCache
      // (chunks of 4 views, reordered into pairs and back) must give the plain step's update.
      const rng = createRng(5);
      const [v1, v2] = [0, 1].map(() => tf.tensor4d(randomMatrix(rng, 6, 12).flat(), [6, 2, 2, 3])) as tf.Tensor4D[];
      const initial = randomMatrix(rng, 12, 6, 0.5);
      const run = (chunkSize?: number) => {
        const w = tf.variable(tf.tensor2d(initial), true, `step-backbone-${backend}-${chunkSize ?? 'plain'}-${scheme}`);
        const backbone: StepBackbone = {
          apply: (x) => tf.tidy(() => tf.tanh(tf.matMul(tf.reshape(x, [x.shape[0], 12]), w)) as tf.Tensor2D),
          trainableVariables: () => [w],
        };
        const head = mlpHead({ dims: [6, 8, 4], rng: createRng(6), batchNorm: true });
        const objective =
          scheme === 'joint'
            ? joint(head, { temperature: 0.5 })
            : parametric(head, { temperature: 0.5, innerSteps: 2, lr: 0.05 });
        const { loss, innerLosses } = contrastiveStep({ backbone, objective, optimizer: tinySgd(0.1) }, v1, v2, chunkSize);
        const out = {
          loss: loss.dataSync()[0],
          inner: innerLosses && Array.from(innerLosses.dataSync()),
          values: [w, ...head.trainableVariables()].map((v) => Array.from(v.dataSync())),
        };
        tf.dispose([loss, innerLosses ?? [], w]);
        objective.dispose();
        return out;
      };
      const [plain, chunked] = [run(), run(4)];
      expect(Math.abs(chunked.loss - plain.loss)).toBeLessThan(1e-5);
      expect(chunked.inner === undefined).toBe(scheme === 'joint');
      if (plain.inner) expect(maxExcess(chunked.inner, plain.inner)).toBeLessThan(1e-5);
      expect(maxExcess(chunked.values, plain.values)).toBeLessThan(1e-5);
      tf.dispose([v1, v2]);
    });
  }
});
