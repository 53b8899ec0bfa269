import * as tf from '@tensorflow/tfjs-core';
import { EvalError } from './errors';
import { assertFeatures, labelsToArray, maxLabel, positiveInt, positiveNumber, type LabelsLike } from './inputs';
import { l2NormalizeRows } from './normalize';

export interface KnnOptions {
  /** Neighbours that vote (default 200, the InstDisc/MoCo monitor). Capped at the bank size. */
  k?: number;
  /** Vote weight exp(similarity / temperature) (default 0.1). */
  temperature?: number;
  /** Number of classes (default: largest label + 1). */
  numClasses?: number;
  /** Queries per similarity block (default 256). */
  queryChunk?: number;
  /** Bank rows per similarity block (default 16384): a block holds queryChunk × bankChunk floats. */
  bankChunk?: number;
}

export interface KnnResult {
  /** Fraction of queries whose predicted class equals their label, in [0, 1]. */
  accuracy: number;
  correct: number;
  total: number;
  /** Predicted class per query. */
  predictions: Int32Array;
  /** The k actually used (min(k, bank size)). */
  k: number;
}

/**
 * Predicts each query's class by a weighted vote of its k most cosine-similar bank rows (the
 * InstDisc / MoCo kNN monitor): features are L2-normalised, each neighbour votes for its class
 * with weight exp(sim / τ), and the class with the largest total wins.
 *
 * Memory stays bounded for any bank and query count: similarities are computed for one
 * `queryChunk × bankChunk` block at a time, the top k of every block are kept, and those
 * candidates are merged. Ties: equal similarities rank the lower bank index first, equal vote
 * totals pick the lower class index. Inputs are not disposed.
 */
export async function knnPredict(
  bankFeatures: tf.Tensor2D,
  bankLabels: LabelsLike,
  queryFeatures: tf.Tensor2D,
  options: KnnOptions = {},
): Promise<{ predictions: Int32Array; k: number }> {
  assertFeatures(bankFeatures, 'bankFeatures');
  assertFeatures(queryFeatures, 'queryFeatures');
  const [nBank, dim] = bankFeatures.shape;
  const [nQuery, qDim] = queryFeatures.shape;
  if (qDim !== dim) {
    throw new EvalError({
      code: 'EVAL_DIM_MISMATCH',
      problem: `bank features have ${dim} dims but query features have ${qDim}`,
      fix: 'compute bank and query features with the same network layer',
    });
  }
  const labels = labelsToArray(bankLabels, nBank, 'bankLabels');
  const k = Math.min(positiveInt(options.k ?? 200, 'k', 'pass k >= 1, e.g. { k: 200 }'), nBank);
  const temperature = positiveNumber(options.temperature ?? 0.1, 'temperature', 'pass e.g. { temperature: 0.1 }');
  const numClasses = options.numClasses ?? maxLabel(labels) + 1;
  positiveInt(numClasses, 'numClasses', 'pass the number of classes, e.g. { numClasses: 10 }');
  const queryChunk = positiveInt(options.queryChunk ?? 256, 'queryChunk', 'pass e.g. { queryChunk: 256 }');
  const bankChunk = positiveInt(options.bankChunk ?? 16384, 'bankChunk', 'pass e.g. { bankChunk: 16384 }');
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= numClasses) {
      throw new EvalError({
        code: 'EVAL_BAD_LABEL',
        problem: `bankLabels[${i}] is ${labels[i]} but numClasses is ${numClasses}`,
        fix: 'pass numClasses larger than every label, or omit it',
      });
    }
  }

  const bank = l2NormalizeRows(bankFeatures);
  const predictions = new Int32Array(nQuery);
  const scores = new Float64Array(numClasses);
  try {
    for (let q0 = 0; q0 < nQuery; q0 += queryChunk) {
      const rows = Math.min(queryChunk, nQuery - q0);
      const [simT, idxT] = tf.tidy(() => {
        const q = l2NormalizeRows(tf.slice(queryFeatures, [q0, 0], [rows, dim]));
        const candSims: tf.Tensor2D[] = [];
        const candIdx: tf.Tensor2D[] = [];
        for (let b0 = 0; b0 < nBank; b0 += bankChunk) {
          const cols = Math.min(bankChunk, nBank - b0);
          const sim = tf.matMul(q, tf.slice(bank, [b0, 0], [cols, dim]), false, true);
          const top = tf.topk(sim, Math.min(k, cols), true);
          candSims.push(top.values as tf.Tensor2D);
          candIdx.push(b0 === 0 ? (top.indices as tf.Tensor2D) : tf.add(top.indices, tf.scalar(b0, 'int32')));
        }
        if (candSims.length === 1) return [candSims[0], candIdx[0]];
        // Candidates lie in bank order, so topk's lower-position-first rule keeps lower indices first.
        const sims = tf.concat(candSims, 1);
        const idx = tf.concat(candIdx, 1);
        const top = tf.topk(sims, k, true);
        // Row-wise gather as a flat gather: the wasm backend's GatherV2 rejects batchDims.
        const width = sims.shape[1];
        const flat = tf.add(top.indices, tf.mul(tf.reshape(tf.range(0, rows, 1, 'int32'), [rows, 1]), tf.scalar(width, 'int32')));
        return [top.values, tf.reshape(tf.gather(tf.reshape(idx, [-1]), tf.reshape(flat, [-1])), [rows, k])];
      });
      const [sims, idx] = await Promise.all([simT.data(), idxT.data()]);
      simT.dispose();
      idxT.dispose();
      for (let r = 0; r < rows; r++) {
        scores.fill(0);
        for (let j = 0; j < k; j++) scores[labels[idx[r * k + j]]] += Math.exp(sims[r * k + j] / temperature);
        let best = 0;
        for (let c = 1; c < numClasses; c++) if (scores[c] > scores[best]) best = c;
        predictions[q0 + r] = best;
      }
    }
  } finally {
    bank.dispose();
  }
  return { predictions, k };
}

/** kNN accuracy of `queryFeatures` against a labelled bank (see `knnPredict`). */
export async function knnAccuracy(
  bankFeatures: tf.Tensor2D,
  bankLabels: LabelsLike,
  queryFeatures: tf.Tensor2D,
  queryLabels: LabelsLike,
  options: KnnOptions = {},
): Promise<KnnResult> {
  assertFeatures(queryFeatures, 'queryFeatures');
  const truth = labelsToArray(queryLabels, queryFeatures.shape[0], 'queryLabels');
  const { predictions, k } = await knnPredict(bankFeatures, bankLabels, queryFeatures, options);
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (predictions[i] === truth[i]) correct++;
  return { accuracy: correct / truth.length, correct, total: truth.length, predictions, k };
}
