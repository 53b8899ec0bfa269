import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { EvalError } from './errors';
import { assertFeatures, labelsToArray, positiveInt, type LabelsLike } from './inputs';
import { importReportPeer } from './report/peers';

/** Points of a 2-D embedding with their class; what the report plots. */
export interface Embedding2D {
  method: 'umap' | string;
  /** Which features were embedded, e.g. 'backbone.stage4' (shown in the plot title). */
  layer?: string;
  points: { x: number; y: number; label: number }[];
}

export interface Embed2dOptions {
  /** Seeds the subsample and UMAP's own randomness (default 0): same seed, same picture. */
  seed?: number;
  /** Embed at most this many rows, a seeded random subset (default 5000; UMAP in JS is O(n log n) but slow). */
  maxPoints?: number;
  /** UMAP neighbours (default 15). */
  nNeighbors?: number;
  /** UMAP minimum distance (default 0.1). */
  minDist?: number;
  /** UMAP optimisation epochs (default: umap-js picks 500 for small sets, 200 for large). */
  nEpochs?: number;
  /** L2-normalise rows first, so distances follow cosine similarity as in kNN (default true). */
  normalize?: boolean;
  layer?: string;
}

/**
 * 2-D UMAP (umap-js) of feature rows, for a scatter plot coloured by class. Seeded from the Rng
 * of @selfsup/core, so the same features and seed give the same points. The input is not disposed.
 * Exported from `@selfsup/eval/report`; umap-js (an optional peer) loads on the first call.
 */
export async function embed2d(features: tf.Tensor2D, labels: LabelsLike, options: Embed2dOptions = {}): Promise<Embedding2D> {
  assertFeatures(features, 'features');
  const [n, d] = features.shape;
  const y = labelsToArray(labels, n, 'labels');
  const maxPoints = positiveInt(options.maxPoints ?? 5000, 'maxPoints', 'pass e.g. { maxPoints: 5000 }');
  const nNeighbors = positiveInt(options.nNeighbors ?? 15, 'nNeighbors', 'pass e.g. { nNeighbors: 15 }');
  if (Math.min(n, maxPoints) <= nNeighbors) {
    throw new EvalError({
      code: 'EVAL_TOO_FEW_ROWS',
      problem: `UMAP with nNeighbors=${nNeighbors} needs more than ${nNeighbors} rows, got ${Math.min(n, maxPoints)}`,
      fix: 'embed more examples (or raise maxPoints) or lower nNeighbors',
    });
  }
  const umapModule: Record<string, unknown> = await importReportPeer('umap-js', () => import('umap-js'));
  // umap-js is CommonJS: from ESM its exports may sit on `default`.
  const { UMAP } = (typeof umapModule.UMAP === 'function' ? umapModule : umapModule.default) as typeof import('umap-js');
  const rng = createRng(options.seed ?? 0).fork('embed2d');
  const picked = n > maxPoints ? Array.from(rng.fork('subsample').permutation(n).subarray(0, maxPoints)).sort((a, b) => a - b) : null;
  const rowsT = tf.tidy(() => {
    const x = picked ? tf.gather(features, tf.tensor1d(picked, 'int32')) : features;
    if (options.normalize === false) return tf.clone(x);
    return tf.div(x, tf.maximum(tf.sqrt(tf.sum(tf.square(x), 1, true)), 1e-12));
  });
  const flat = await rowsT.data();
  rowsT.dispose();
  const m = picked ? picked.length : n;
  const data: number[][] = [];
  for (let i = 0; i < m; i++) data.push(Array.from(flat.subarray(i * d, (i + 1) * d)));
  const umapRng = rng.fork('umap');
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors,
    minDist: options.minDist ?? 0.1,
    ...(options.nEpochs === undefined ? {} : { nEpochs: options.nEpochs }),
    random: () => umapRng.float(),
  });
  const coords = await umap.fitAsync(data);
  const points = coords.map(([px, py], i) => ({ x: px, y: py, label: y[picked ? picked[i] : i] }));
  return { method: 'umap', ...(options.layer ? { layer: options.layer } : {}), points };
}
