import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { EvalError } from './errors';
import { assertFeatures, labelsToArray, maxLabel, positiveInt, positiveNumber, type LabelsLike } from './inputs';

export interface LinearProbeOptions {
  /** Seeds the minibatch order; same seed, same data, same backend → bit-identical result (default 0). */
  seed?: number;
  /** Passes over the training set (default 10). */
  epochs?: number;
  /** Examples per SGD step (default 256; the last batch of an epoch may be smaller). */
  batchSize?: number;
  /** Peak learning rate (default 0.1). */
  lr?: number;
  /** @deprecated The old name of `lr` (docs/naming.md). */
  learningRate?: number;
  /** Nesterov momentum (default 0.9; 0 for plain SGD). */
  momentum?: number;
  /** L2 penalty (λ/2)‖W‖² on the weights, not the bias (default 1e-4). */
  weightDecay?: number;
  /** 'cosine' decays the rate to 0 over all steps (default); 'constant' keeps it. */
  schedule?: 'cosine' | 'constant';
  /** Linear warm-up from 0, in epochs (default 0). */
  warmupEpochs?: number;
  /** Scale features to zero mean, unit variance with train statistics (default true). */
  standardize?: boolean;
  /** Number of classes (default: largest label + 1). */
  numClasses?: number;
}

export interface LinearProbeResult {
  /** Top-1 accuracy on the test features, in [0, 1]. */
  testAccuracy: number;
  /** Top-1 accuracy on the training features after the last step. */
  trainAccuracy: number;
  testPredictions: Int32Array;
  /** Mean cross-entropy (without the penalty) of each epoch's minibatches. */
  epochLoss: number[];
  steps: number;
  /** The fitted classifier in standardised feature space: W is [dims, classes] row-major. */
  weights: Float32Array;
  bias: Float32Array;
  /** Train statistics used for standardisation (identity when `standardize` is false). */
  mean: Float32Array;
  scale: Float32Array;
}

/** Learning rate at step t of T (cosine to 0 after a linear warm-up). */
export function probeLearningRate(t: number, total: number, warmup: number, peak: number, schedule: 'cosine' | 'constant'): number {
  if (warmup > 0 && t < warmup) return (peak * (t + 1)) / warmup;
  if (schedule === 'constant') return peak;
  const progress = (t - warmup) / Math.max(1, total - warmup);
  return 0.5 * peak * (1 + Math.cos(Math.PI * progress));
}

/**
 * Gradient of the mean softmax cross-entropy plus (λ/2)‖W‖², in closed form: with
 * P = softmax(XW + b) and one-hot Y, ∂/∂W = Xᵀ(P − Y)/B + λW and ∂/∂b = Σ_rows (P − Y)/B.
 * Returns [gradW, gradB, summed cross-entropy of the batch].
 */
export function softmaxRegressionGradients(
  x: tf.Tensor2D,
  oneHot: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  weightDecay: number,
): [tf.Tensor2D, tf.Tensor1D, tf.Scalar] {
  return tf.tidy(() => {
    const batch = x.shape[0];
    const logits = tf.add(tf.matMul(x, w), b);
    const logp = tf.logSoftmax(logits);
    const lossSum = tf.neg(tf.sum(tf.mul(oneHot, logp))) as tf.Scalar;
    const g = tf.div(tf.sub(tf.exp(logp), oneHot), batch);
    const gradW = tf.add(tf.matMul(x, g, true, false), tf.mul(w, weightDecay)) as tf.Tensor2D;
    const gradB = tf.sum(g, 0) as tf.Tensor1D;
    return [gradW, gradB, lossSum];
  });
}

/**
 * Linear probe: multinomial logistic regression on frozen features. Fits on the training
 * features with minibatch SGD (Nesterov momentum, weight decay, cosine schedule; batches drawn
 * from the seeded Rng of @selfsup/core), then reports top-1 accuracy on the test features.
 * Features are standardised with training statistics. Inputs are not disposed.
 */
export async function linearProbe(
  trainFeatures: tf.Tensor2D,
  trainLabels: LabelsLike,
  testFeatures: tf.Tensor2D,
  testLabels: LabelsLike,
  options: LinearProbeOptions = {},
): Promise<LinearProbeResult> {
  assertFeatures(trainFeatures, 'trainFeatures');
  assertFeatures(testFeatures, 'testFeatures');
  const [n, d] = trainFeatures.shape;
  if (testFeatures.shape[1] !== d) {
    throw new EvalError({
      code: 'EVAL_DIM_MISMATCH',
      problem: `train features have ${d} dims but test features have ${testFeatures.shape[1]}`,
      fix: 'compute train and test features with the same network layer',
    });
  }
  const yTrain = labelsToArray(trainLabels, n, 'trainLabels');
  const yTest = labelsToArray(testLabels, testFeatures.shape[0], 'testLabels');
  const numClasses = options.numClasses ?? maxLabel(yTrain, yTest) + 1;
  positiveInt(numClasses, 'numClasses', 'pass the number of classes, e.g. { numClasses: 10 }');
  if (maxLabel(yTrain, yTest) >= numClasses) {
    throw new EvalError({ code: 'EVAL_BAD_LABEL', problem: `a label is >= numClasses (${numClasses})`, fix: 'pass numClasses larger than every label, or omit it' });
  }
  const epochs = positiveInt(options.epochs ?? 10, 'epochs', 'pass e.g. { epochs: 10 }');
  const batchSize = positiveInt(options.batchSize ?? 256, 'batchSize', 'pass e.g. { batchSize: 256 }');
  const peak = positiveNumber(options.lr ?? options.learningRate ?? 0.1, 'lr', 'pass e.g. { lr: 0.1 }');
  const momentum = options.momentum ?? 0.9;
  const weightDecay = options.weightDecay ?? 1e-4;
  if (!(momentum >= 0 && momentum < 1) || !(weightDecay >= 0)) {
    throw new EvalError({
      code: 'EVAL_BAD_OPTION',
      problem: `momentum ${momentum} / weightDecay ${weightDecay} out of range`,
      fix: 'pass 0 <= momentum < 1 and weightDecay >= 0',
    });
  }
  const schedule = options.schedule ?? 'cosine';
  const stepsPerEpoch = Math.ceil(n / batchSize);
  const total = epochs * stepsPerEpoch;
  const warmup = Math.round((options.warmupEpochs ?? 0) * stepsPerEpoch);
  const rng = createRng(options.seed ?? 0).fork('linear-probe');

  const [mean, scale] = tf.tidy(() => {
    if (options.standardize === false) return [tf.zeros([d]), tf.ones([d])];
    const { mean: m, variance } = tf.moments(trainFeatures, 0);
    // Constant features (all-black MNIST borders) keep scale 1 instead of dividing by ~0.
    const std = tf.sqrt(variance);
    return [m, tf.where(tf.greater(std, 1e-6), tf.reciprocal(std), tf.onesLike(std))];
  });
  const standardise = (x: tf.Tensor2D) => tf.tidy(() => tf.mul(tf.sub(x, mean), scale) as tf.Tensor2D);
  const xs = standardise(trainFeatures);
  const ys = tf.tensor1d(yTrain, 'int32');
  let w = tf.zeros([d, numClasses]) as tf.Tensor2D;
  let b = tf.zeros([numClasses]) as tf.Tensor1D;
  let vw = tf.zerosLike(w);
  let vb = tf.zerosLike(b);
  const epochLoss: number[] = [];
  let step = 0;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = rng.permutation(n);
      let lossTotal = tf.scalar(0);
      for (let start = 0; start < n; start += batchSize, step++) {
        const lr = probeLearningRate(step, total, warmup, peak, schedule);
        const next = tf.tidy(() => {
          const idx = tf.tensor1d(order.subarray(start, Math.min(n, start + batchSize)), 'int32');
          const xb = tf.gather(xs, idx) as tf.Tensor2D;
          const yb = tf.cast(tf.oneHot(tf.gather(ys, idx), numClasses), 'float32') as tf.Tensor2D;
          const [gw, gb, lossSum] = softmaxRegressionGradients(xb, yb, w, b, weightDecay);
          const nvw = tf.add(tf.mul(vw, momentum), gw);
          const nvb = tf.add(tf.mul(vb, momentum), gb);
          // Nesterov: step along g + μ·v_new.
          const nw = tf.sub(w, tf.mul(tf.add(gw, tf.mul(nvw, momentum)), lr));
          const nb = tf.sub(b, tf.mul(tf.add(gb, tf.mul(nvb, momentum)), lr));
          return [nw, nb, nvw, nvb, tf.add(lossTotal, lossSum)] as tf.Tensor[];
        });
        tf.dispose([w, b, vw, vb, lossTotal]);
        [w, b, vw, vb, lossTotal] = next as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D, tf.Scalar];
      }
      const [sum] = await lossTotal.data();
      lossTotal.dispose();
      if (!Number.isFinite(sum)) {
        throw new EvalError({
          code: 'EVAL_PROBE_DIVERGED',
          problem: `the linear probe's loss became ${sum} in epoch ${epoch + 1}`,
          fix: 'lower lr (e.g. by 10x) or keep standardize: true',
        });
      }
      epochLoss.push(sum / n);
    }
    const xt = standardise(testFeatures);
    const testPredictions = await predict(xt, w, b);
    xt.dispose();
    const trainPredictions = await predict(xs, w, b);
    const [weights, bias, meanData, scaleData] = await Promise.all([w.data(), b.data(), mean.data(), scale.data()]);
    return {
      testAccuracy: accuracy(testPredictions, yTest),
      trainAccuracy: accuracy(trainPredictions, yTrain),
      testPredictions,
      epochLoss,
      steps: step,
      weights: weights as Float32Array,
      bias: bias as Float32Array,
      mean: meanData as Float32Array,
      scale: scaleData as Float32Array,
    };
  } finally {
    tf.dispose([xs, ys, w, b, vw, vb, mean, scale]);
  }
}

async function predict(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, chunk = 4096): Promise<Int32Array> {
  const [n, d] = x.shape;
  const out = new Int32Array(n);
  for (let start = 0; start < n; start += chunk) {
    const rows = Math.min(chunk, n - start);
    const pred = tf.tidy(() => tf.argMax(tf.add(tf.matMul(tf.slice(x, [start, 0], [rows, d]), w), b), 1));
    out.set(await pred.data(), start);
    pred.dispose();
  }
  return out;
}

function accuracy(pred: Int32Array, truth: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < truth.length; i++) if (pred[i] === truth[i]) correct++;
  return correct / truth.length;
}
