import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { describe, expect, it } from 'vitest';
import { softmaxRegressionLoss } from '../test/reference';
import { linearProbe, probeLearningRate, softmaxRegressionGradients } from './linear-probe';

/** Gaussian blobs around random class centres: linearly separable up to noise. */
function blobs(seed: string, n: number, d: number, classes: number, spread: number) {
  const centreRng = createRng(21).fork(`centres-${d}-${classes}`); // shared by train and test sets
  const centres = Array.from({ length: classes }, () => Array.from({ length: d }, () => 3 * centreRng.normal()));
  const rng = createRng(21).fork(seed);
  const labels = Array.from({ length: n }, () => rng.int(0, classes));
  const rows = labels.map((c) => centres[c].map((m) => m + spread * rng.normal() + 10));
  return { rows, labels };
}

describe('softmaxRegressionGradients', () => {
  it('equals central finite differences of the float64 objective', () => {
    const rng = createRng(2).fork('grad');
    const [n, d, c, lambda] = [9, 4, 3, 0.05];
    const x = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
    const y = Array.from({ length: n }, () => rng.int(0, c));
    const w = Float64Array.from({ length: d * c }, () => rng.normal());
    const b = Float64Array.from({ length: c }, () => rng.normal());
    const [gw, gb, lossSum] = softmaxRegressionGradients(
      tf.tensor2d(x),
      tf.cast(tf.oneHot(tf.tensor1d(y, 'int32'), c), 'float32') as tf.Tensor2D,
      tf.tensor2d(Array.from(w), [d, c]),
      tf.tensor1d(Array.from(b)),
      lambda,
    );
    const ref = softmaxRegressionLoss(x, y, w, b, c, lambda);
    const gwData = gw.dataSync();
    const h = 1e-6;
    for (let k = 0; k < w.length; k++) {
      const wp = Float64Array.from(w);
      const wm = Float64Array.from(w);
      wp[k] += h;
      wm[k] -= h;
      const fd = (softmaxRegressionLoss(x, y, wp, b, c, lambda).loss - softmaxRegressionLoss(x, y, wm, b, c, lambda).loss) / (2 * h);
      expect(gwData[k]).toBeCloseTo(fd, 4);
    }
    const gbData = gb.dataSync();
    for (let k = 0; k < c; k++) expect(gbData[k]).toBeCloseTo(ref.gradB[k], 5);
    const penalty = (lambda / 2) * w.reduce((s, v) => s + v * v, 0);
    expect(lossSum.dataSync()[0] / n).toBeCloseTo(ref.loss - penalty, 4);
    tf.dispose([gw, gb, lossSum]);
  });
});

describe('probeLearningRate', () => {
  it('warms up linearly, then follows a half cosine to 0', () => {
    expect(probeLearningRate(0, 100, 10, 0.5, 'cosine')).toBeCloseTo(0.05, 12);
    expect(probeLearningRate(9, 100, 10, 0.5, 'cosine')).toBeCloseTo(0.5, 12);
    expect(probeLearningRate(10, 100, 10, 0.5, 'cosine')).toBeCloseTo(0.5, 12);
    expect(probeLearningRate(55, 100, 10, 0.5, 'cosine')).toBeCloseTo(0.25, 12);
    expect(probeLearningRate(100, 100, 10, 0.5, 'cosine')).toBeCloseTo(0, 12);
    expect(probeLearningRate(70, 100, 0, 0.5, 'constant')).toBe(0.5);
  });
});

describe('linearProbe', () => {
  it('separates Gaussian blobs (held-out accuracy) and its loss falls', async () => {
    const train = blobs('train', 600, 8, 4, 1.0);
    const test = blobs('test', 300, 8, 4, 1.0);
    const [xtr, xte] = [tf.tensor2d(train.rows), tf.tensor2d(test.rows)];
    const r = await linearProbe(xtr, train.labels, xte, test.labels, { epochs: 8, batchSize: 64 });
    tf.dispose([xtr, xte]);
    expect(r.testAccuracy).toBeGreaterThan(0.95);
    expect(r.epochLoss[7]).toBeLessThan(r.epochLoss[0]);
    expect(r.steps).toBe(8 * Math.ceil(600 / 64));
    expect(r.testPredictions.length).toBe(300);
  });

  it('converges to the regularised optimum: the float64 gradient vanishes at its weights', async () => {
    const train = blobs('opt', 120, 5, 3, 3.0);
    const x = tf.tensor2d(train.rows);
    const lambda = 0.01;
    const r = await linearProbe(x, train.labels, x, train.labels, {
      epochs: 400,
      batchSize: 120,
      lr: 0.5,
      schedule: 'constant',
      weightDecay: lambda,
    });
    x.dispose();
    // Independent check in float64, in the standardised space the probe reports.
    const xs = train.rows.map((row) => row.map((v, j) => (v - r.mean[j]) * r.scale[j]));
    const { gradW, gradB } = softmaxRegressionLoss(xs, train.labels, Float64Array.from(r.weights), Float64Array.from(r.bias), 3, lambda);
    const norm = Math.sqrt([...gradW, ...gradB].reduce((s, g) => s + g * g, 0));
    expect(norm).toBeLessThan(1e-4);
    expect(Math.sqrt(r.weights.reduce((s, v) => s + v * v, 0))).toBeGreaterThan(0.5); // not trivially zero
  });

  it('reproduces bit-identically from its seed; another seed gives other weights', async () => {
    const train = blobs('seed', 300, 6, 3, 2.0);
    const x = tf.tensor2d(train.rows);
    const run = (seed: number) => linearProbe(x, train.labels, x, train.labels, { seed, epochs: 3, batchSize: 32 });
    const [a, b, c] = [await run(7), await run(7), await run(8)];
    x.dispose();
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(b.weights.buffer))).toBe(true);
    expect(Buffer.from(a.bias.buffer).equals(Buffer.from(b.bias.buffer))).toBe(true);
    expect(a.epochLoss).toEqual(b.epochLoss);
    expect(Buffer.from(a.weights.buffer).equals(Buffer.from(c.weights.buffer))).toBe(false);
  });

  it('keeps the tensor count flat and names the fix for bad input', async () => {
    const train = blobs('leak', 50, 3, 2, 1.0);
    const x = tf.tensor2d(train.rows);
    await expectNoTensorLeak(() => linearProbe(x, train.labels, x, train.labels, { epochs: 1, batchSize: 16 }), { repeats: 2 });
    await expect(linearProbe(x, train.labels, tf.zeros([4, 2]) as tf.Tensor2D, [0, 1, 0, 1])).rejects.toThrow(/same network layer/);
    await expect(linearProbe(x, train.labels, x, train.labels, { lr: 1e38, standardize: false, epochs: 2 })).rejects.toThrow(/lower lr/);
    x.dispose();
  });
});
