import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, type ImageBatch } from '@selfsup/core';
import { smallConvnet } from '@selfsup/backbones';
import { joint, mlpHead, parametric } from '@selfsup/losses';
import { sgd } from '@selfsup/optim';
import { contrastiveStep, type StepParts } from './step';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function build(scheme: 'joint' | 'parametric'): StepParts {
  const rng = createRng(7);
  const backbone = smallConvnet({ widths: [4, 8], rng: rng.fork('backbone') });
  const head = mlpHead({ dims: [backbone.featureDim, 16, 8], batchNorm: true, rng: rng.fork('head') });
  const objective =
    scheme === 'joint'
      ? joint(head, { temperature: 0.5 })
      : parametric(head, { temperature: 0.5, innerSteps: 2, optimizer: sgd({ lr: 0.05 }) });
  return { backbone, objective, optimizer: sgd({ lr: 0.1, momentum: 0.9 }) };
}

const values = (vars: tf.Variable[]) => vars.map((v) => Array.from(v.dataSync()));

describe('contrastiveStep', () => {
  for (const scheme of ['joint', 'parametric'] as const) {
    it(`${scheme}: GradCache with one chunk of all 2N views equals the unchunked step`, () => {
      const [v1, v2] = [tf.randomUniform([6, 8, 8, 3], 0, 1, 'float32', 1), tf.randomUniform([6, 8, 8, 3], 0, 1, 'float32', 2)] as ImageBatch[];
      const plain = build(scheme);
      const cached = build(scheme);
      const a = contrastiveStep(plain, v1, v2);
      const b = contrastiveStep(cached, v1, v2, 12);
      expect(b.loss.dataSync()[0]).toBeCloseTo(a.loss.dataSync()[0], 5);
      const after = (p: StepParts) => values([...p.backbone.trainableVariables(), ...p.backbone.nonTrainableVariables(), ...p.objective.head.trainableVariables()]);
      const [x, y] = [after(plain), after(cached)];
      x.forEach((vx, i) => vx.forEach((value, j) => expect(y[i][j]).toBeCloseTo(value, 5)));
      // Smaller chunks run too (batch-norm statistics are then per chunk, so values differ a little).
      const chunked = build(scheme);
      const c = contrastiveStep(chunked, v1, v2, 4);
      expect(Number.isFinite(c.loss.dataSync()[0])).toBe(true);
      tf.dispose([v1, v2, a.loss, b.loss, c.loss]);
      tf.dispose([a, b, c].flatMap((r) => (r.innerLosses ? [r.innerLosses] : [])));
      for (const p of [plain, cached, chunked]) {
        p.backbone.dispose();
        p.objective.dispose();
        p.optimizer.dispose();
      }
    });
  }
});
