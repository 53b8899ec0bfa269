import * as tf from '@tensorflow/tfjs-core';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { EvalError } from './errors';
import { assertFeatures } from './inputs';

export interface EffectiveRankOptions {
  /** Subtract the column means first (a covariance spectrum; default false, as RankMe). */
  center?: boolean;
  /** Added to each normalised singular value before the entropy (default 1e-7). */
  epsilon?: number;
}

/**
 * Gram matrix of a row-major n × d matrix on its smaller side, in float64: XᵀX (d × d) when
 * d ≤ n, else XXᵀ (n × n). Both have the squared singular values of X as eigenvalues. Float64
 * matters: a float32 Gram has an eigenvalue noise floor near 1e-7·λmax, which would turn the
 * zero singular values of a collapsed layer into spurious rank.
 */
export function gramMatrix(x: ArrayLike<number>, n: number, d: number): Float64Array {
  if (d <= n) {
    const g = new Float64Array(d * d);
    for (let i = 0; i < n; i++) {
      const row = i * d;
      for (let a = 0; a < d; a++) {
        const xa = x[row + a];
        if (xa === 0) continue; // ReLU features are sparse
        const off = a * d;
        for (let b = a; b < d; b++) g[off + b] += xa * x[row + b];
      }
    }
    for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) g[a * d + b] = g[b * d + a];
    return g;
  }
  const g = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let c = 0; c < d; c++) s += x[i * d + c] * x[j * d + c];
      g[i * n + j] = s;
      g[j * n + i] = s;
    }
  }
  return g;
}

/** Singular values of a row-major n × d matrix, in descending order (float64). */
export function singularValuesOf(x: ArrayLike<number>, n: number, d: number, options: Pick<EffectiveRankOptions, 'center'> = {}): Float64Array {
  let data: ArrayLike<number> = x;
  if (options.center) {
    const centered = new Float64Array(n * d);
    const mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) mean[c] += x[i * d + c] / n;
    for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) centered[i * d + c] = x[i * d + c] - mean[c];
    data = centered;
  }
  const m = Math.min(n, d);
  const g = gramMatrix(data, n, d);
  const rows: number[][] = [];
  for (let i = 0; i < m; i++) rows.push(Array.from(g.subarray(i * m, (i + 1) * m)));
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const s = Float64Array.from(evd.realEigenvalues, (l) => Math.sqrt(Math.max(l, 0)));
  return s.sort().reverse();
}

/**
 * RankMe (Garrido et al. 2023): exp of the Shannon entropy of the singular values normalised
 * to sum 1, each plus `epsilon` (1e-7 as in the paper). An orthonormal d-column matrix scores d;
 * a rank-r matrix with r equal singular values scores r (up to epsilon).
 */
export function rankFromSingularValues(singularValues: ArrayLike<number>, epsilon = 1e-7): number {
  let total = 0;
  for (let i = 0; i < singularValues.length; i++) total += singularValues[i];
  if (!(total > 0)) {
    throw new EvalError({
      code: 'EVAL_ZERO_SPECTRUM',
      problem: 'every singular value is 0 (the features are all zero)',
      fix: 'check the layer: an all-zero feature matrix has no effective rank',
    });
  }
  let entropy = 0;
  for (let i = 0; i < singularValues.length; i++) {
    const p = singularValues[i] / total + epsilon;
    entropy -= p * Math.log(p);
  }
  return Math.exp(entropy);
}

/**
 * Effective rank (RankMe) of an `[n, d]` feature matrix, between 1 and min(n, d). Costs
 * n·min(n,d)²/2 multiply-adds for the float64 Gram plus an O(min(n,d)³) symmetric eigensolve
 * (ml-matrix) in JavaScript: about a second for 10,000 × 512. The input is not disposed.
 */
export async function effectiveRank(features: tf.Tensor2D, options: EffectiveRankOptions = {}): Promise<number> {
  return rankFromSingularValues(await singularValues(features, options), options.epsilon ?? 1e-7);
}

/** Singular values (descending, float64) of an `[n, d]` feature tensor. */
export async function singularValues(features: tf.Tensor2D, options: Pick<EffectiveRankOptions, 'center'> = {}): Promise<Float64Array> {
  assertFeatures(features, 'features');
  const [n, d] = features.shape;
  return singularValuesOf(await features.data(), n, d, options);
}
