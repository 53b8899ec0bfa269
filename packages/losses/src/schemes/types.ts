import type * as tf from '@tensorflow/tfjs-core';
import type { InfoNCEResult } from '../infonce';
import type { ProjectionHead } from '../heads/types';

export interface ObjectiveLossOptions {
  /** Batch norm in the head uses batch statistics and updates its running ones. Default true. */
  training?: boolean;
}

/**
 * InfoNCE on top of a projection head, with a scheme that decides how the head is optimised.
 * One training step: `headStep(h1, h2)` (the scheme's own head optimisation; only schemes with
 * inner steps have one), then the caller differentiates `loss(h1, h2)` with respect to the
 * backbone's variables plus `variables()` and steps its optimizer — or `contrastiveStep` does
 * all of it.
 *
 * Every method that takes the two views has a stacked twin that takes them as one tensor,
 * h = [h1; h2] ([2N, d], view 1's N rows first): what a backbone run once on [v1; v2] returns.
 * The stacked form goes through the head and into InfoNCE as it is; the pair form stacks first.
 */
export interface ContrastiveObjective {
  readonly scheme: 'joint' | 'parametric';
  readonly head: ProjectionHead;
  readonly temperature: number;
  /**
   * Head variables the caller's optimizer must train next to the backbone: all of the head's
   * trainable variables for `joint`; none for `parametric`, which fits them itself.
   */
  variables(): tf.Variable[];
  /** InfoNCE of head(h1), head(h2): the scalar the backbone step differentiates. */
  loss(h1: tf.Tensor2D, h2: tf.Tensor2D, options?: ObjectiveLossOptions): tf.Scalar;
  /** `loss` plus diagnostics from the same similarity matrix. */
  lossWithStats(h1: tf.Tensor2D, h2: tf.Tensor2D, options?: ObjectiveLossOptions): InfoNCEResult;
  /** `loss` of the stacked views h = [h1; h2], [2N, d]. */
  stackedLoss(h: tf.Tensor2D, options?: ObjectiveLossOptions): tf.Scalar;
  /**
   * The scheme's head optimisation on stop-gradient(h1, h2). Returns the inner losses before
   * each inner step as a [K] tensor (caller disposes), or undefined when there was nothing to
   * fit (a parameter-free head). Never touches variables other than the head's. Absent from
   * schemes without inner steps (`joint`).
   */
  headStep?(h1: tf.Tensor2D, h2: tf.Tensor2D): tf.Tensor1D | undefined;
  /** `headStep` on the stacked views h = [h1; h2], [2N, d]; present exactly when `headStep` is. */
  stackedHeadStep?(h: tf.Tensor2D): tf.Tensor1D | undefined;
  /** Frees the head's variables (and an optimizer the objective created itself). */
  dispose(): void;
}

/** What `parametric` returns: an objective that always has its inner steps. */
export interface ParametricObjective extends ContrastiveObjective {
  readonly scheme: 'parametric';
  headStep(h1: tf.Tensor2D, h2: tf.Tensor2D): tf.Tensor1D | undefined;
  stackedHeadStep(h: tf.Tensor2D): tf.Tensor1D | undefined;
}
