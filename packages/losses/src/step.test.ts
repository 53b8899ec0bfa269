import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { createRng, type ImageBatch, type Optimizer } from '@selfsup/core';
import { smallConvnet, type Backbone } from '@selfsup/backbones';
import { sgd } from '@selfsup/optim';
import { mlpHead } from './heads/mlp';
import { joint } from './schemes/joint';
import { parametric } from './schemes/parametric';
import type { ContrastiveObjective } from './schemes/types';
import { contrastiveStep, pairedChunkLayout, type StepBackbone } from './step';

/** The step's parts with a real backbone (the step itself needs only `StepBackbone`). */
type StepParts = { backbone: Backbone; objective: ContrastiveObjective; optimizer: Optimizer };

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

  it('chunks hold both views of their images (pairedChunkLayout)', () => {
    const { order, first, second } = pairedChunkLayout(5, 4);
    expect(Array.from(order)).toEqual([0, 1, 5, 6, 2, 3, 7, 8, 4, 9]);
    expect(Array.from(first)).toEqual([0, 1, 4, 5, 8]);
    expect(Array.from(second)).toEqual([2, 3, 6, 7, 9]);
    expect(() => pairedChunkLayout(5, 3)).toThrow(/even chunk size/);
  });

  it('a chunked step feeds the backbone whole pairs: each chunk has both views of the same images', () => {
    // Image i is constant i/20 in view 1 and i/20 + 0.5 in view 2, so rows name their image.
    const n = 6;
    const image = (value: number) => tf.fill([1, 8, 8, 3], value);
    const v1 = tf.tidy(() => tf.concat(Array.from({ length: n }, (_, i) => image(i / 20)))) as ImageBatch;
    const v2 = tf.tidy(() => tf.concat(Array.from({ length: n }, (_, i) => image(i / 20 + 0.5)))) as ImageBatch;
    for (const scheme of ['joint', 'parametric'] as const) {
      const parts = build(scheme);
      const apply = parts.backbone.apply.bind(parts.backbone);
      const chunks: number[][] = [];
      parts.backbone.apply = (x, options) => {
        const values = x.dataSync();
        const size = 8 * 8 * 3;
        chunks.push(Array.from({ length: x.shape[0] }, (_, r) => values[r * size]));
        return apply(x, options);
      };
      const result = contrastiveStep(parts, v1, v2, 4);
      expect(chunks.length).toBeGreaterThanOrEqual(3);
      for (const chunk of chunks) {
        const firstViews = chunk.filter((v) => v < 0.5 - 1e-6).map((v) => Math.round(v * 20));
        const secondViews = chunk.filter((v) => v >= 0.5 - 1e-6).map((v) => Math.round((v - 0.5) * 20));
        expect(secondViews).toEqual(firstViews);
      }
      tf.dispose([result.loss, ...(result.innerLosses ? [result.innerLosses] : [])]);
      parts.backbone.dispose();
      parts.objective.dispose();
      parts.optimizer.dispose();
    }
    tf.dispose([v1, v2]);
  });

  it('needs only apply and trainableVariables of the backbone; without a headStep the first chunk is embedded once', () => {
    const [v1, v2] = [tf.randomUniform([6, 8, 8, 3], 0, 1, 'float32', 3), tf.randomUniform([6, 8, 8, 3], 0, 1, 'float32', 4)] as ImageBatch[];
    for (const scheme of ['joint', 'parametric'] as const) {
      const parts = build(scheme);
      let forwards = 0;
      const backbone: StepBackbone = {
        apply: (x, options) => {
          forwards++;
          return parts.backbone.apply(x, options);
        },
        trainableVariables: () => parts.backbone.trainableVariables(),
      };
      const result = contrastiveStep({ ...parts, backbone }, v1, v2, 4);
      // 12 views in 3 chunks: parametric's inner steps need every embedding first (3 + 3 forwards);
      // joint has no headStep, so GradCache runs chunk 0 inside the loss's tape (2 + 3).
      expect(forwards, scheme).toBe(scheme === 'joint' ? 5 : 6);
      expect(result.innerLosses === undefined, scheme).toBe(scheme === 'joint');
      expect(Number.isFinite(result.loss.dataSync()[0])).toBe(true);
      tf.dispose([result.loss, ...(result.innerLosses ? [result.innerLosses] : [])]);
      parts.backbone.dispose();
      parts.objective.dispose();
      parts.optimizer.dispose();
    }
    tf.dispose([v1, v2]);
  });
});
