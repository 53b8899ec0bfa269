import type * as tf from '@tensorflow/tfjs-core';
import type { InfoNCEResult } from '../infonce';
import type { ProjectionHead } from '../heads/types';

export interface ObjectiveLossOptions {
  /** Batch norm in the head uses batch statistics and updates its running ones. Default true. */
  training?: boolean;
}

/**
 * InfoNCE on top of a projection head, with a scheme that decides how the head is optimised.
 * One training step: `headStep(h1, h2)` (the scheme's own head optimisation, if any), then the
 * caller differentiates `loss(h1, h2)` with respect to the backbone's variables plus
 * `variables()` and steps its optimizer.
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
  /**
   * The scheme's head optimisation on stop-gradient(h1, h2). Returns the inner losses before
   * each inner step as a [K] tensor (caller disposes), or undefined when the scheme has none.
   * Never touches variables other than the head's.
   */
  headStep(h1: tf.Tensor2D, h2: tf.Tensor2D): tf.Tensor1D | undefined;
  /** Frees the head's variables (and an optimizer the objective created itself). */
  dispose(): void;
}
