import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { smallConvnet } from '@selfsup/backbones';
import { createRng } from '@selfsup/core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { ImageDataset } from '@selfsup/datasets';
import { mlpHead } from '@selfsup/losses';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embed } from './embed';

const net = smallConvnet({ widths: [4, 6], rng: createRng(3) });
const head = mlpHead({ dims: [6, 10, 5], batchNorm: true, rng: createRng(4) });
const rng = createRng(5);
const pixels = Uint8Array.from({ length: 23 * 8 * 8 * 3 }, () => rng.int(0, 256));
const data = new ImageDataset('random', pixels, new Int32Array(23).fill(-1), [], 8, 8, 3);
let images: tf.Tensor4D;

beforeAll(async () => {
  await tf.setBackend('cpu');
  images = data.toBatch(Int32Array.from({ length: 23 }, (_, i) => i)).images;
  // Non-trivial running statistics, so eval mode differs from training mode.
  for (let i = 0; i < 3; i++) tf.tidy(() => head.apply(net.apply(tf.add(images, i / 10) as tf.Tensor4D, { training: true }), { training: true }));
});
afterAll(() => {
  images.dispose();
  net.dispose();
  head.dispose();
});

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

describe('embed', () => {
  it('equals one eval-mode forward of all images, batch size dividing the count or not', async () => {
    const whole = net.apply(images);
    for (const batchSize of [5, 23, 64]) {
      const result = await embed(net, images, { batchSize });
      expect(result).toMatchObject({ layer: 'features', count: 23, dim: 6 });
      expect(maxDiff(result.data, whole.dataSync())).toBeLessThanOrEqual(1e-6);
    }
    whole.dispose();
  });

  it('reads a dataset batch by batch, with the same rows, and reports progress', async () => {
    const seen: number[] = [];
    const fromTensor = await embed(net, images, { batchSize: 7 });
    const fromData = await embed(net, data, { batchSize: 7, onBatch: (done, total) => seen.push(done, total) });
    expect(Array.from(fromData.data)).toEqual(Array.from(fromTensor.data));
    expect(seen).toEqual([7, 23, 14, 23, 21, 23, 23, 23]);
  });

  it('gives a chosen tap or head layer (head = its last layer), integer pixels scaled by 1/255', async () => {
    const taps = net.taps(images);
    const stage1 = await embed(net, images, { layer: 'backbone.stage1' });
    expect(stage1.dim).toBe(4);
    expect(maxDiff(stage1.data, taps.stage1.dataSync())).toBeLessThanOrEqual(1e-6);
    const layers = head.layers(net.apply(images));
    const hidden = await embed(net, images, { layer: 'head.0', head, batchSize: 10 });
    expect(maxDiff(hidden.data, layers[0].dataSync())).toBeLessThanOrEqual(1e-6);
    const z = await embed(net, images, { layer: 'head', head });
    expect(z.dim).toBe(5);
    expect(maxDiff(z.data, layers[1].dataSync())).toBeLessThanOrEqual(1e-6);
    const ints = tf.tidy(() => tf.cast(tf.round(tf.mul(images, 255)), 'int32')) as tf.Tensor4D;
    const fromInts = await embed(net, ints);
    expect(maxDiff(fromInts.data, (await embed(net, images)).data)).toBeLessThanOrEqual(1e-5);
    tf.dispose([ints, ...Object.values(taps), ...layers]);
  });

  it('holds one batch on the backend whatever the number of images, and leaks nothing', async () => {
    const many = new ImageDataset('many', new Uint8Array(2000 * 8 * 8 * 3).fill(77), new Int32Array(2000), ['a'], 8, 8, 3);
    const base = tf.memory().numBytes;
    let peak = 0;
    // Measured inside the forward, when a batch's images are on the backend.
    const watched = { tapNames: net.tapNames, taps: net.taps.bind(net), apply: (x: tf.Tensor4D) => ((peak = Math.max(peak, tf.memory().numBytes - base)), net.apply(x)) };
    const result = await embed(watched, many, { batchSize: 50 });
    expect(result.count).toBe(2000);
    // One batch of float32 images is 50·8·8·3·4 = 38,400 bytes (labels 200); all 2000 would be 1.5 MB.
    expect(peak).toBeGreaterThanOrEqual(38_400);
    expect(peak).toBeLessThan(2 * 38_400);
    expect(tf.memory().numBytes).toBe(base);
    await expectNoTensorLeak(() => embed(net, many, { batchSize: 128, layer: 'head.1', head }));
  });

  it('names the layers it knows for an unknown one', async () => {
    await expect(embed(net, images, { layer: 'backbone.layer9' })).rejects.toThrow(/no layer named "backbone.layer9".*features, backbone.stage1, backbone.stage2; pass \{ head \}/);
    await expect(embed(net, images, { layer: 'head.7', head })).rejects.toThrow(/pick one of features, backbone.stage1, backbone.stage2, head.0, head.1/);
    await expect(embed(net, images, { batchSize: 0 })).rejects.toThrow(/batchSize/);
  });
});
