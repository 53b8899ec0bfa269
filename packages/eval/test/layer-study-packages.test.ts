/**
 * The layer study with the real pieces: a smallConvnet from @selfsup/backbones and an MLP head
 * from @selfsup/losses (both untrained, seeded), on real MNIST images from @selfsup/datasets. The
 * structural types TappedBackbone / LayeredHead accept both without adapters; the report is
 * written to .cache/mnist-layer-study/ for a person to open.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { smallConvnet } from '@selfsup/backbones';
import { createRng } from '@selfsup/core';
import { loadMnist } from '@selfsup/datasets';
import { mlpHead } from '@selfsup/losses';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { embed2d } from '../src/embedding';
import { layerStudy } from '../src/layer-study';
import { formatLayerTable } from '../src/report/layer-table';
import { writeReport } from '../src/report/write-report';

function subset(images: Uint8Array, labels: Int32Array, n: number) {
  return { images: tf.tensor4d(Int32Array.from(images.subarray(0, n * 784)), [n, 28, 28, 1], 'int32'), labels: labels.slice(0, n) };
}

describe('layerStudy with @selfsup/backbones and @selfsup/losses on MNIST', () => {
  it('scores every stage and head layer, and the report shows them', async () => {
    const [trainSet, testSet] = await Promise.all([loadMnist({ split: 'train' }), loadMnist({ split: 'test' })]);
    const train = subset(trainSet.images, trainSet.labels, 2000);
    const test = subset(testSet.images, testSet.labels, 1000);
    const rng = createRng(0);
    const backbone = smallConvnet({ inChannels: 1, widths: [8, 16], rng: rng.fork('backbone') });
    const head = mlpHead({ dims: [16, 32, 8], rng: rng.fork('head') });
    const before = tf.memory().numTensors;
    const study = await layerStudy(backbone, head, train, test, { probe: { epochs: 5, seed: 0 }, keepTestFeatures: true });
    console.log(formatLayerTable(study.rows));
    expect(study.rows.map((r) => [r.layer, r.part, r.dim])).toEqual([
      ['backbone.stage1', 'backbone', 8],
      ['backbone.stage2', 'backbone', 16],
      ['head.0', 'head', 32],
      ['head.1', 'head', 8],
    ]);
    for (const r of study.rows) {
      // Random features of real digits carry class information: well above chance (10%; ±1% on 1,000 images).
      expect(r.knnAccuracy as number).toBeGreaterThan(0.2);
      expect(r.linearAccuracy as number).toBeGreaterThan(0.2);
      expect(r.effectiveRank as number).toBeGreaterThan(1);
      expect(r.effectiveRank as number).toBeLessThanOrEqual(r.dim + 1e-6);
    }
    const features = study.testFeatures?.find((f) => f.layer === 'backbone.stage2')?.features as tf.Tensor2D;
    const embedding = await embed2d(features, test.labels, { seed: 0, layer: 'backbone.stage2', maxPoints: 1000 });
    tf.dispose(study.testFeatures?.map((f) => f.features));
    expect(tf.memory().numTensors).toBe(before);
    const out = await writeReport(resolve(__dirname, '../.cache/mnist-layer-study'), {
      title: 'Layer study: untrained smallConvnet + MLP head on MNIST',
      layerStudy: study,
      embedding,
      classNames: trainSet.classNames,
      notes: { train: '2,000 MNIST images', test: '1,000 MNIST images', backbone: 'smallConvnet [8, 16], random init', head: 'mlpHead [16, 32, 8]' },
    });
    expect(out.figures.map((f) => f.id)).toEqual(['layer-study', 'embedding']);
    expect(existsSync(out.html)).toBe(true);
    tf.dispose([train.images, test.images]);
    backbone.dispose();
    head.dispose();
  }, 240_000);
});
