import * as tf from '@tensorflow/tfjs-core';
import { gradCacheStep, type ImageBatch, type Optimizer, type VariableGradient } from '@selfsup/core';
import { LossError } from './errors';
import type { ContrastiveObjective } from './schemes/types';

/**
 * What the step needs of a backbone: a `Backbone` of @selfsup/backbones is one, and so is any
 * object with these two methods (e.g. a wrapper that samples memory after each forward).
 */
export interface StepBackbone {
  /**
   * Images [B, H, W, C] → features [B, d]. `updateStatistics: false` (a GradCache re-run) means:
   * batch statistics as in training, but leave the running ones alone.
   */
  apply(x: ImageBatch, options: { training: boolean; updateStatistics?: boolean }): tf.Tensor2D;
  /** The variables the step's optimizer trains, besides `objective.variables()`. */
  trainableVariables(): tf.Variable[];
}

/** The parts of a contrastive step. */
export interface ContrastiveStepParts {
  backbone: StepBackbone;
  objective: ContrastiveObjective;
  /** Trains the backbone and `objective.variables()` (the head, for `joint`). */
  optimizer: Optimizer;
}

// A type alias (not an interface) so that it is a tfjs TensorContainer and can leave tf.tidy.
export type ContrastiveStepResult = {
  /** The backbone step's InfoNCE loss (the caller disposes it). */
  loss: tf.Scalar;
  /** Objectives with inner steps: the head's inner losses before each inner step (the caller disposes it). */
  innerLosses?: tf.Tensor1D;
};

/**
 * Where each view goes in a chunked step: chunk c holds view 1 then view 2 of images
 * [c·m, (c+1)·m) with m = chunkSize/2, so batch norm always sees both views of an image
 * together. `order[row]` is the view's index in [v1; v2]; `first[i]` / `second[i]` are the rows
 * of image i's two views (so rows [first; second] put the chunked rows back in [v1; v2] order).
 */
export function pairedChunkLayout(n: number, chunkSize: number): { order: Int32Array; first: Int32Array; second: Int32Array } {
  if (!Number.isInteger(chunkSize) || chunkSize < 2 || chunkSize % 2 !== 0) {
    throw new LossError({
      code: 'STEP_BAD_CHUNK',
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
 * Rows of a [rows, d] tensor in `index` order (a permutation), differentiable: the gradient is
 * dy's rows in `inverse` order. tf.gather's own gradient is an UnsortedSegmentSum, which the wasm
 * backend lacks.
 */
function permuteRows(index: Int32Array, inverse: Int32Array): (h: tf.Tensor) => tf.Tensor2D {
  const permute = tf.customGrad((h) => ({
    value: tf.gather(h as tf.Tensor, index),
    gradFunc: (dy: tf.Tensor) => tf.gather(dy, inverse),
  }));
  return (h) => permute(h) as tf.Tensor2D;
}

/**
 * One contrastive training step on two views of a batch: the step `Trainer` of @selfsup/train
 * runs, the one @selfsup/bench times. Both views go through the backbone as one batch of 2N
 * (batch-norm statistics over all views), and the stacked features h = [h1; h2] go to the
 * objective's stacked methods as they are, so a chunked step with `chunkSize = 2N` computes
 * exactly what the unchunked one does.
 *
 * - unchunked (`chunkSize` omitted or ≥ 2N): one taped forward; an objective with inner steps
 *   (`stackedHeadStep`) runs them on stop-gradient features inside it, then the loss through
 *   the fitted head;
 * - chunked (`chunkSize` < 2N, even): GradCache from @selfsup/core — embed without a tape,
 *   inner head steps, loss gradient w.r.t. the embeddings, re-run each chunk with a tape (for an
 *   objective without inner steps, the first chunk runs once, inside the loss's tape). Each
 *   chunk holds both views of chunkSize/2 images (`pairedChunkLayout`); one gather puts the
 *   chunked rows back in [v1; v2] order. Batch-norm statistics are per chunk, and the running
 *   ones move in the re-run only.
 *
 * Then `optimizer.step` on the gradients of the backbone's and `objective.variables()`.
 */
export function contrastiveStep(
  { backbone, objective, optimizer }: ContrastiveStepParts,
  v1: ImageBatch,
  v2: ImageBatch,
  chunkSize?: number,
): ContrastiveStepResult {
  const n = v1.shape[0];
  const backboneVars = backbone.trainableVariables();
  const headVars = objective.variables();
  const headStep = objective.stackedHeadStep?.bind(objective);
  let innerLosses: tf.Tensor1D | undefined;
  let loss: tf.Scalar;
  let gradients: VariableGradient[];
  if (chunkSize !== undefined && chunkSize < 2 * n) {
    const { order, first, second } = pairedChunkLayout(n, chunkSize);
    const viewOrder = new Int32Array(2 * n);
    viewOrder.set(first);
    viewOrder.set(second, n);
    // The chunked rows back in [v1; v2] order; `order` is the inverse permutation.
    const stacked = permuteRows(viewOrder, order);
    const views = tf.tidy(() => tf.gather(tf.concat([v1, v2]), order)) as ImageBatch;
    try {
      const result = gradCacheStep(views, {
        chunkSize,
        variables: backboneVars,
        lossVariables: headVars,
        embed: (chunk, { pass }) =>
          backbone.apply(chunk as ImageBatch, { training: true, updateStatistics: pass === 'backward' }),
        // Only an objective with inner head steps needs every embedding before the loss; without
        // them GradCache embeds the first chunk inside the loss's tape (one forward fewer).
        beforeLoss:
          headStep === undefined
            ? undefined
            : (h) => {
                innerLosses = tf.tidy(() => headStep(stacked(h)));
                if (innerLosses) tf.keep(innerLosses);
              },
        loss: (h) => objective.stackedLoss(stacked(h), { training: true }),
      });
      loss = result.loss;
      gradients = result.gradients;
    } finally {
      views.dispose();
    }
  } else {
    const views = tf.concat([v1, v2]) as ImageBatch;
    try {
      const vars = [...backboneVars, ...headVars];
      const { value, grads } = tf.variableGrads(() => {
        const h = backbone.apply(views, { training: true });
        innerLosses = headStep?.(h);
        if (innerLosses) tf.keep(innerLosses);
        return objective.stackedLoss(h, { training: true });
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
