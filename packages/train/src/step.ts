import * as tf from '@tensorflow/tfjs-core';
import { gradCacheStep, type ImageBatch, type Optimizer, type VariableGradient } from '@selfsup/core';
import type { Backbone } from '@selfsup/backbones';
import type { ContrastiveObjective } from '@selfsup/losses';

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
 * One contrastive training step on two views of a batch. Both views go through the backbone as
 * one batch of 2N (batch-norm statistics over all views), so a chunked step with
 * `chunkSize = 2N` computes exactly what the unchunked one does.
 *
 * - unchunked: one taped forward; the parametric head's inner steps run on stop-gradient
 *   features inside it, then the loss through the fitted head;
 * - chunked (`chunkSize` < 2N): GradCache from @selfsup/core — embed without a tape, inner head
 *   steps, loss gradient w.r.t. the embeddings, re-run each chunk with a tape (for `joint`, the
 *   first chunk runs once, inside the loss's tape). Batch-norm
 *   statistics are then per chunk, and the running ones move in the re-run only.
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
  const split = (h: tf.Tensor): [tf.Tensor2D, tf.Tensor2D] => [
    tf.slice(h, [0, 0], [n, -1]) as tf.Tensor2D,
    tf.slice(h, [n, 0], [n, -1]) as tf.Tensor2D,
  ];
  let innerLosses: tf.Tensor1D | undefined;
  let loss: tf.Scalar;
  let gradients: VariableGradient[];
  const views = tf.concat([v1, v2]) as ImageBatch;
  try {
    if (chunkSize !== undefined && chunkSize < 2 * n) {
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
    } else {
      const vars = [...backboneVars, ...headVars];
      const { value, grads } = tf.variableGrads(() => {
        const [h1, h2] = split(backbone.apply(views, { training: true }));
        innerLosses = objective.headStep(h1, h2);
        if (innerLosses) tf.keep(innerLosses);
        return objective.loss(h1, h2, { training: true });
      }, vars);
      loss = value;
      gradients = vars.filter((v) => grads[v.name] !== undefined).map((v) => ({ variable: v, gradient: grads[v.name] }));
    }
  } finally {
    views.dispose();
  }
  optimizer.step(gradients);
  tf.dispose(gradients.map((g) => g.gradient));
  return { loss, innerLosses };
}
