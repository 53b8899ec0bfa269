import * as tf from '@tensorflow/tfjs-core';
import { gradCacheStep, type ImageBatch, type Optimizer, type VariableGradient } from '@selfsup/core';
import type { Backbone } from '@selfsup/backbones';
import type { ContrastiveObjective } from '@selfsup/losses';
import { TrainingError } from './errors';

export interface StepParts {
  backbone: Backbone;
  objective: ContrastiveObjective;
  optimizer: Optimizer;
}

// A type alias (not an interface) so that it is a tfjs TensorContainer and can leave tf.tidy.
export type StepResult = {
  /** The backbone step's InfoNCE loss (the caller disposes it). */
  loss: tf.Scalar;
  /** parametric only: the head's inner losses before each inner step (the caller disposes it). */
  innerLosses?: tf.Tensor1D;
};

/**
 * Where each view goes in a chunked step: chunk c holds view 1 then view 2 of images
 * [c·m, (c+1)·m) with m = chunkSize/2, so batch norm always sees both views of an image
 * together. `order[row]` is the view's index in [v1; v2]; `first[i]` / `second[i]` are the rows
 * of image i's two views.
 */
export function pairedChunkLayout(n: number, chunkSize: number): { order: Int32Array; first: Int32Array; second: Int32Array } {
  if (!Number.isInteger(chunkSize) || chunkSize < 2 || chunkSize % 2 !== 0) {
    throw new TrainingError({
      code: 'TRAIN_BAD_CHUNK',
      problem: `chunkSize is ${chunkSize}`,
      fix: 'use an even chunk size (a chunk holds both views of chunkSize/2 images), e.g. 128',
    });
  }
  const m = chunkSize / 2;
  const order = new Int32Array(2 * n);
  const first = new Int32Array(n);
  const second = new Int32Array(n);
  let row = 0;
  for (let start = 0; start < n; start += m) {
    const end = Math.min(n, start + m);
    for (let i = start; i < end; i++, row++) [order[row], first[i]] = [i, row];
    for (let i = start; i < end; i++, row++) [order[row], second[i]] = [n + i, row];
  }
  return { order, first, second };
}

/**
 * One contrastive training step on two views of a batch. Both views go through the backbone as
 * one batch of 2N (batch-norm statistics over all views), so a chunked step with
 * `chunkSize = 2N` computes exactly what the unchunked one does.
 *
 * - unchunked: one taped forward; the parametric head's inner steps run on stop-gradient
 *   features inside it, then the loss through the fitted head;
 * - chunked (`chunkSize` < 2N, even): GradCache from @selfsup/core — embed without a tape,
 *   inner head steps, loss gradient w.r.t. the embeddings, re-run each chunk with a tape (for
 *   `joint`, the first chunk runs once, inside the loss's tape). Each chunk holds both views of
 *   chunkSize/2 images (`pairedChunkLayout`); batch-norm statistics are per chunk, and the
 *   running ones move in the re-run only.
 */
export function contrastiveStep(
  { backbone, objective, optimizer }: StepParts,
  v1: ImageBatch,
  v2: ImageBatch,
  chunkSize?: number,
): StepResult {
  const n = v1.shape[0];
  const backboneVars = backbone.trainableVariables();
  const headVars = objective.variables();
  let innerLosses: tf.Tensor1D | undefined;
  let loss: tf.Scalar;
  let gradients: VariableGradient[];
  if (chunkSize !== undefined && chunkSize < 2 * n) {
    const { order, first, second } = pairedChunkLayout(n, chunkSize);
    const split = (h: tf.Tensor): [tf.Tensor2D, tf.Tensor2D] => [tf.gather(h, first) as tf.Tensor2D, tf.gather(h, second) as tf.Tensor2D];
    const views = tf.tidy(() => tf.gather(tf.concat([v1, v2]), order)) as ImageBatch;
    try {
      const result = gradCacheStep(views, {
        chunkSize,
        variables: backboneVars,
        lossVariables: headVars,
        embed: (chunk, { pass }) =>
          backbone.apply(chunk as ImageBatch, { training: true, updateStats: pass === 'backward' }),
        // Only a scheme with inner head steps needs every embedding before the loss; without
        // them GradCache embeds the first chunk inside the loss's tape (one forward fewer).
        beforeLoss:
          objective.scheme === 'joint'
            ? undefined
            : (h) => {
                innerLosses = tf.tidy(() => {
                  const [h1, h2] = split(h);
                  return objective.headStep(h1, h2);
                });
                if (innerLosses) tf.keep(innerLosses);
              },
        loss: (h) => {
          const [h1, h2] = split(h);
          return objective.loss(h1, h2, { training: true });
        },
      });
      loss = result.loss;
      gradients = result.gradients;
    } finally {
      views.dispose();
    }
  } else {
    const split = (h: tf.Tensor): [tf.Tensor2D, tf.Tensor2D] => [
      tf.slice(h, [0, 0], [n, -1]) as tf.Tensor2D,
      tf.slice(h, [n, 0], [n, -1]) as tf.Tensor2D,
    ];
    const views = tf.concat([v1, v2]) as ImageBatch;
    try {
      const vars = [...backboneVars, ...headVars];
      const { value, grads } = tf.variableGrads(() => {
        const [h1, h2] = split(backbone.apply(views, { training: true }));
        innerLosses = objective.headStep(h1, h2);
        if (innerLosses) tf.keep(innerLosses);
        return objective.loss(h1, h2, { training: true });
      }, vars);
      loss = value;
      gradients = vars.filter((v) => grads[v.name] !== undefined).map((v) => ({ variable: v, gradient: grads[v.name] }));
    } finally {
      views.dispose();
    }
  }
  optimizer.step(gradients);
  tf.dispose(gradients.map((g) => g.gradient));
  return { loss, innerLosses };
}
