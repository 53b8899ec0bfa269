import type * as tf from '@tensorflow/tfjs-core';
import type { HasVariables } from '@selfsup/core';

export interface HeadApplyOptions {
  /** Batch norm uses the batch's statistics (training) or its running statistics (default false). */
  training?: boolean;
  /** Update batch-norm running statistics; defaults to `training`. */
  updateStatistics?: boolean;
  /**
   * Weight of this batch in the running-statistics update, instead of the head's momentum;
   * 1 replaces them with the batch's (for a head that is re-fitted from scratch every step).
   */
  statisticsMomentum?: number;
  /**
   * The head's current parameter values enter as constants: no gradient reaches its variables
   * (stop-gradient on φ). The `parametric` objective uses this for the backbone step.
   */
  frozen?: boolean;
}

/**
 * A projection head g_φ: h [B, d] → z [B, k]. Ours are `mlpHead`, `linearHead`, `identityHead`,
 * `directclr`, `reweightHead`; any object of this shape plugs into the objectives.
 */
export interface ProjectionHead extends HasVariables {
  /** Unique scope of this instance; its variables are named `${name}/...`. */
  readonly name: string;
  /** z for h. Pure apart from batch-norm running statistics (see options). */
  apply(h: tf.Tensor2D, options?: HeadApplyOptions): tf.Tensor2D;
  /** The output after each head layer, first to last (for the layer study); [] without layers. */
  layers(h: tf.Tensor2D, options?: HeadApplyOptions): tf.Tensor2D[];
  /** Re-draws the parameters from the head's seeded initialiser (next numbers of its stream). */
  reset(): void;
}
