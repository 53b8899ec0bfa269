import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rankMeClosedForm } from '../test/reference';
import { knnAccuracy } from './knn';
import { extractLayerFeatures, layerStudy, type LayeredHead, type TappedBackbone } from './layer-study';
import { linearProbe } from './linear-probe';
import { effectiveRank } from './spectrum';

const rng = createRng(17).fork('layer-study-test');
let kernel: tf.Tensor4D;
let dense: tf.Tensor2D;
let w1: tf.Tensor2D;
let w2: tf.Tensor2D;

/** A two-stage toy backbone: conv+ReLU (NHWC map, pooled by the study) and a dense stage. */
const backbone: TappedBackbone = {
  tapNames: ['conv', 'dense'],
  taps: (x) =>
    tf.tidy(() => {
      const conv = tf.relu(tf.conv2d(x, kernel, 1, 'same'));
      return { dense: tf.relu(tf.matMul(tf.reshape(conv, [x.shape[0], -1]), dense)), conv };
    }),
};
/** Head: ReLU layer, then a rank-1 linear map (a collapsed projection). */
const head: LayeredHead = {
  layers: (h) =>
    tf.tidy(() => {
      const a = tf.relu(tf.matMul(h, w1));
      return [a, tf.matMul(a, w2)];
    }),
};

function images(n: number, label: string) {
  const r = rng.fork(label);
  const labels = Array.from({ length: n }, () => r.int(0, 3));
  // Class c brightens row band c: uint8 pixels, as datasets store them.
  const pixels = new Uint8Array(n * 6 * 6 * 2);
  labels.forEach((c, i) => {
    for (let p = 0; p < 72; p++) {
      const row = Math.floor(p / 12);
      pixels[i * 72 + p] = Math.min(255, Math.round(60 * r.float() + (Math.floor(row / 2) === c ? 150 : 0)));
    }
  });
  return { images: tf.tensor4d(pixels, [n, 6, 6, 2], 'int32'), labels };
}

let train: ReturnType<typeof images>;
let test: ReturnType<typeof images>;
beforeAll(async () => {
  await tf.setBackend('cpu');
  kernel = tf.tensor4d(Array.from({ length: 3 * 3 * 2 * 4 }, () => rng.normal(0, 0.5)), [3, 3, 2, 4]);
  dense = tf.tensor2d(Array.from({ length: 144 * 10 }, () => rng.normal(0, 0.1)), [144, 10]);
  w1 = tf.tensor2d(Array.from({ length: 10 * 8 }, () => rng.normal(0, 0.5)), [10, 8]);
  const u = Array.from({ length: 8 }, () => rng.normal());
  const v = Array.from({ length: 5 }, () => rng.normal());
  w2 = tf.tensor2d(u.flatMap((a) => v.map((b) => a * b)), [8, 5]);
  train = images(150, 'train');
  test = images(60, 'test');
});
afterAll(() => tf.dispose([kernel, dense, w1, w2, train.images, test.images]));

describe('extractLayerFeatures', () => {
  it('gives every tap (pooled over H, W) and head layer in order, identically for any batch size', () => {
    const whole = extractLayerFeatures(backbone, head, test.images, { batchSize: 1000 });
    const batched = extractLayerFeatures(backbone, head, test.images, { batchSize: 7 });
    expect(whole.map((f) => [f.layer, f.part, f.features.shape])).toEqual([
      ['backbone.conv', 'backbone', [60, 4]],
      ['backbone.dense', 'backbone', [60, 10]],
      ['head.0', 'head', [60, 8]],
      ['head.1', 'head', [60, 5]],
    ]);
    // Pooling checked by hand: mean over the 36 positions of the conv map for image 3, channel 2.
    const x = tf.div(tf.cast(tf.slice(test.images, [3, 0, 0, 0], [1, 6, 6, 2]), 'float32'), 255) as tf.Tensor4D;
    const map = tf.relu(tf.conv2d(x, kernel, 1, 'same')).dataSync();
    let sum = 0;
    for (let p = 0; p < 36; p++) sum += map[p * 4 + 2];
    expect(whole[0].features.arraySync()[3][2]).toBeCloseTo(sum / 36, 6);
    for (let i = 0; i < whole.length; i++) {
      expect(tf.max(tf.abs(tf.sub(whole[i].features, batched[i].features))).dataSync()[0]).toBeLessThan(1e-6);
    }
    tf.dispose([x, ...whole.map((f) => f.features), ...batched.map((f) => f.features)]);
  });
});

describe('layerStudy', () => {
  it('scores each layer exactly as kNN, linear probe and RankMe do on its features', async () => {
    const seen: string[] = [];
    const study = await layerStudy(backbone, head, train, test, {
      batchSize: 64,
      knn: { k: 20 },
      probe: { epochs: 5, batchSize: 32, seed: 3 },
      onLayer: (row, i, count) => seen.push(`${i + 1}/${count} ${row.layer}`),
    });
    expect(seen).toEqual(['1/4 backbone.conv', '2/4 backbone.dense', '3/4 head.0', '4/4 head.1']);
    const trainF = extractLayerFeatures(backbone, head, train.images);
    const testF = extractLayerFeatures(backbone, head, test.images);
    for (let i = 0; i < 4; i++) {
      const row = study.rows[i];
      expect(row.dim).toBe(testF[i].features.shape[1]);
      expect(row.knnAccuracy).toBe((await knnAccuracy(trainF[i].features, train.labels, testF[i].features, test.labels, { k: 20 })).accuracy);
      const probe = await linearProbe(trainF[i].features, train.labels, testF[i].features, test.labels, { epochs: 5, batchSize: 32, seed: 3 });
      expect(row.linearAccuracy).toBe(probe.testAccuracy);
      expect(row.effectiveRank).toBe(await effectiveRank(testF[i].features));
    }
    tf.dispose([...trainF, ...testF].map((f) => f.features));
    // The rank-1 projection collapses: RankMe of one non-zero singular value out of 5.
    expect(study.rows[3].effectiveRank).toBeCloseTo(rankMeClosedForm([1, 0, 0, 0, 0]), 3);
    expect(study.rows[2].effectiveRank as number).toBeGreaterThan(1.5);
    // The class signal is easy: the backbone's dense stage separates it well above chance (1/3).
    expect(study.rows[1].linearAccuracy as number).toBeGreaterThan(0.8);
  });

  it('can skip metrics, pick layers, keep test features, and leaks no tensor', async () => {
    const study = await layerStudy(backbone, null, train, test, { probe: false, rank: false, layers: ['backbone.dense'], keepTestFeatures: true });
    expect(study.rows).toEqual([{ layer: 'backbone.dense', part: 'backbone', dim: 10, knnAccuracy: expect.any(Number) }]);
    expect(study.testFeatures?.map((f) => f.layer)).toEqual(['backbone.conv', 'backbone.dense']);
    tf.dispose(study.testFeatures?.map((f) => f.features));
    await expect(layerStudy(backbone, head, train, test, { layers: ['head.7'] })).rejects.toThrow(/pick from backbone.conv/);
    await expectNoTensorLeak(() => layerStudy(backbone, head, train, test, { probe: { epochs: 1 }, knn: { k: 5 } }), { repeats: 1 });
  });
});
