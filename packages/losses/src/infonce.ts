import * as tf from '@tensorflow/tfjs-core';
import { LossError } from './errors';
import { cosineSimilarityMatrix, MASKED_LOGIT, twoViewMasks } from './similarity';
import { checkEmbeddings, checkPair, checkTemperature } from './validate';

export interface InfoNCEOptions {
  /** τ in exp(s/τ). SimCLR: 0.5 (v1, large batches 0.1); 0.1 to 0.2 for CIFAR. */
  temperature: number;
}

/**
 * Diagnostics read off the same 2N×2N similarity matrix as the loss (no extra pass). Scalars,
 * so reading them is the caller's choice (`await s.data()`): no hidden GPU sync.
 */
export type ContrastiveStats = {
  /** Mean cosine similarity of each row with its positive. */
  positiveSimilarity: tf.Scalar;
  /** Mean cosine similarity of each row with its 2N − 2 negatives. */
  negativeSimilarity: tf.Scalar;
  /** Fraction of rows whose most similar other row is their positive (top-1 retrieval). */
  top1Accuracy: tf.Scalar;
  /** Wang & Isola alignment, α = 2: mean ‖ẑ1_i − ẑ2_i‖² over pairs (0 is perfect). */
  alignment: tf.Scalar;
  /**
   * Wang & Isola uniformity, t = 2: log mean_{i≠j} exp(−2‖ẑ_i − ẑ_j‖²) within each view,
   * averaged over the two views (their reference code). Lower is more uniform; needs N ≥ 2.
   */
  uniformity: tf.Scalar;
};

export type InfoNCEResult = {
  loss: tf.Scalar;
  stats: ContrastiveStats;
};

/**
 * NT-Xent (SimCLR's InfoNCE) of two views z1, z2 [N, k] of the same N images: over the 2N rows,
 * with cosine similarity s and self-pairs masked,
 *   L = 1/(2N) Σ_i −log( exp(s(z_i, z_p(i))/τ) / Σ_{j≠i} exp(s(z_i, z_j)/τ) ),
 * where p(i) = i ± N. Log-sum-exp keeps it finite for any τ. Returns a scalar.
 */
export function infoNCE(z1: tf.Tensor2D, z2: tf.Tensor2D, options: InfoNCEOptions): tf.Scalar {
  checkPair(z1, z2, 'infoNCE()');
  checkTemperature(options?.temperature, 'infoNCE()');
  return tf.tidy(() => ntXent(tf.concat([z1, z2], 0), options.temperature, false).loss);
}

/** `infoNCE` plus {@link ContrastiveStats}, from the same similarity matrix. */
export function infoNCEWithStats(z1: tf.Tensor2D, z2: tf.Tensor2D, options: InfoNCEOptions): InfoNCEResult {
  checkPair(z1, z2, 'infoNCEWithStats()');
  checkTemperature(options?.temperature, 'infoNCEWithStats()');
  return tf.tidy(() => {
    const { loss, stats } = ntXent(tf.concat([z1, z2], 0), options.temperature, true);
    return { loss, stats: stats as ContrastiveStats };
  });
}

/**
 * `infoNCE` of both views stacked, z = [z1; z2] ([2N, k], view 1's rows first): the form the
 * objectives use, so that a [2N, k] head output goes to the loss without a split and re-stack.
 * Package-internal: the caller has checked z (`checkStacked`) and τ.
 */
export function stackedInfoNCE(z: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => ntXent(z, temperature, false).loss);
}

/** `stackedInfoNCE` plus {@link ContrastiveStats}. Package-internal, as `stackedInfoNCE`. */
export function stackedInfoNCEWithStats(z: tf.Tensor2D, temperature: number): InfoNCEResult {
  return tf.tidy(() => {
    const { loss, stats } = ntXent(z, temperature, true);
    return { loss, stats: stats as ContrastiveStats };
  });
}

/** NT-Xent over z = [z1; z2], [2N, k]: row i's positive is row i ± N. */
function ntXent(z: tf.Tensor2D, temperature: number, withStats: boolean) {
  const m = z.shape[0];
  const n = m / 2;
  const masks = twoViewMasks(n);
  const sim = cosineSimilarityMatrix(z);
  const logits = tf.div(sim, temperature);
  const masked = tf.where(masks.self, tf.fill([m, m], MASKED_LOGIT), logits);
  const logDenominator = tf.logSumExp(masked, 1);
  const positiveLogit = tf.sum(tf.where(masks.positive, logits, tf.zerosLike(logits)), 1);
  const loss = tf.mean(tf.sub(logDenominator, positiveLogit)) as tf.Scalar;
  if (!withStats) return { loss };

  const zeros = tf.zerosLike(sim);
  const positiveSim = tf.sum(tf.where(masks.positive, sim, zeros), 1);
  const negativeMask = tf.logicalNot(tf.logicalOr(masks.self, masks.positive));
  const negativeSimilarity = tf.div(
    tf.sum(tf.where(negativeMask, sim, zeros)),
    Math.max(m * (m - 2), 1),
  ) as tf.Scalar;
  const top1Accuracy = tf.mean(tf.cast(tf.equal(tf.argMax(masked, 1), masks.partner), 'float32')) as tf.Scalar;
  // ‖a − b‖² = 2 − 2s for unit rows.
  const alignment = tf.mean(tf.sub(2, tf.mul(2, positiveSim))) as tf.Scalar;
  const t = 2;
  const gaussian = tf.where(masks.sameView(), tf.mul(-t, tf.sub(2, tf.mul(2, sim))), tf.fill([m, m], MASKED_LOGIT));
  const logPairs = Math.log(Math.max(n * (n - 1), 1));
  const [top, bottom] = tf.split(gaussian, 2, 0);
  const uniformity = tf.div(
    tf.add(tf.sub(tf.logSumExp(top), logPairs), tf.sub(tf.logSumExp(bottom), logPairs)),
    2,
  ) as tf.Scalar;
  return {
    loss,
    stats: {
      positiveSimilarity: tf.mean(positiveSim) as tf.Scalar,
      negativeSimilarity,
      top1Accuracy,
      alignment,
      uniformity,
    },
  };
}

export interface MultiPositiveOptions extends InfoNCEOptions {
  /**
   * How a row with several positives P(i) is scored (identical when |P(i)| = 1):
   * - `'mean-log-prob'` (default): mean over p ∈ P(i) of −log softmax_p — SupCon's L_out
   *   (Khosla et al. 2020);
   * - `'log-sum-prob'`: −log Σ_{p∈P(i)} softmax_p — solo-learn's `simclr_loss_func`
   *   (−log(pos / (pos + neg))).
   */
  aggregate?: 'mean-log-prob' | 'log-sum-prob';
}

/**
 * InfoNCE over M rows whose positives are the other rows with the same index (views of one
 * image share an index; with class labels as indices this is supervised contrastive). Rows
 * without any positive are left out of the mean. Returns a scalar.
 */
export function infoNCEMultiPositive(
  z: tf.Tensor2D,
  indices: ArrayLike<number> | tf.Tensor1D,
  options: MultiPositiveOptions,
): tf.Scalar {
  const where = 'infoNCEMultiPositive()';
  checkEmbeddings(z, 'z', where);
  checkTemperature(options?.temperature, where);
  const aggregate = options.aggregate ?? 'mean-log-prob';
  if (aggregate !== 'mean-log-prob' && aggregate !== 'log-sum-prob') {
    throw new LossError({
      code: 'LOSS_BAD_OPTION',
      problem: `${where} got aggregate ${JSON.stringify(aggregate)}`,
      fix: "pass aggregate: 'mean-log-prob' (SupCon) or 'log-sum-prob' (solo-learn)",
    });
  }
  const m = z.shape[0];
  const length = indices instanceof tf.Tensor ? indices.shape[0] : indices.length;
  if ((indices instanceof tf.Tensor && indices.rank !== 1) || length !== m) {
    throw new LossError({
      code: 'LOSS_BAD_INDICES',
      problem: `${where} got ${length} indices for ${m} rows`,
      fix: 'pass one integer index per row of z; rows with equal indices are positives of each other',
    });
  }
  if (!(indices instanceof tf.Tensor)) {
    const counts = new Map<number, number>();
    for (let i = 0; i < m; i++) counts.set(indices[i], (counts.get(indices[i]) ?? 0) + 1);
    if (![...counts.values()].some((c) => c > 1)) {
      throw new LossError({
        code: 'LOSS_NO_POSITIVES',
        problem: `${where} got indices in which no two rows share a value`,
        fix: 'give the views of one image (or the samples of one class) the same index, e.g. [0, 1, 2, 0, 1, 2] for two views of three images',
      });
    }
  }
  return tf.tidy(() => {
    const idx = indices instanceof tf.Tensor ? tf.cast(indices, 'int32') : tf.tensor1d(Array.from(indices), 'int32');
    const self = tf.cast(tf.eye(m), 'bool');
    const positive = tf.logicalAnd(tf.equal(tf.expandDims(idx, 1), tf.expandDims(idx, 0)), tf.logicalNot(self));
    const positiveF = tf.cast(positive, 'float32');
    const count = tf.sum(positiveF, 1);
    const valid = tf.cast(tf.greater(count, 0), 'float32');

    const logits = tf.div(cosineSimilarityMatrix(z), options.temperature);
    const logDenominator = tf.logSumExp(tf.where(self, tf.fill([m, m], MASKED_LOGIT), logits), 1);
    const logNumerator =
      aggregate === 'mean-log-prob'
        ? tf.div(tf.sum(tf.mul(logits, positiveF), 1), tf.maximum(count, 1))
        : tf.logSumExp(tf.where(positive, logits, tf.fill([m, m], MASKED_LOGIT)), 1);
    const perRow = tf.mul(tf.sub(logDenominator, logNumerator), valid);
    return tf.div(tf.sum(perRow), tf.maximum(tf.sum(valid), 1)) as tf.Scalar;
  });
}
