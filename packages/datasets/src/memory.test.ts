import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { centerCrop, decodeImages, imagesToDataset } from './memory';

/** A w×h RGBA image with pixel p = (p, 2p, 3p, alpha) mod 256. */
function rgba(width: number, height: number, alpha = 255) {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let p = 0; p < width * height; p++) data.set([p % 256, (2 * p) % 256, (3 * p) % 256, alpha], 4 * p);
  return { data, width, height };
}

describe('imagesToDataset', () => {
  it('keeps RGB in row-major NHWC order, drops alpha (over black), and batches in [0, 1]', () => {
    const ds = imagesToDataset([rgba(3, 2), rgba(3, 2, 128)], { labels: [1, 0], classNames: ['a', 'b'] });
    expect(ds.shape).toEqual([2, 2, 3, 3]);
    expect([...ds.image(0).subarray(0, 6)]).toEqual([0, 0, 0, 1, 2, 3]);
    expect([...ds.image(1).subarray(3, 6)]).toEqual([1, 1, 2].map((v, i) => Math.round([1, 2, 3][i] * (128 / 255))));
    expect([...ds.labels]).toEqual([1, 0]);
    const { images, labels } = ds.toBatch([0]);
    expect(images.shape).toEqual([1, 2, 3, 3]);
    expect(images.dataSync()[5]).toBeCloseTo(3 / 255, 7);
    tf.dispose([images, labels]);
  });

  it('refuses mixed sizes and label counts with the fix', () => {
    expect(() => imagesToDataset([rgba(3, 2), rgba(2, 2)])).toThrow(/image 1 is 2×2 .*drawImage/);
    expect(() => imagesToDataset([rgba(3, 2)], { labels: [1, 2] })).toThrow(/2 labels for 1 images/);
    expect(imagesToDataset([rgba(1, 1)]).labels[0]).toBe(-1);
  });
});

describe('decodeImages', () => {
  it('crops the centred window of the target aspect ratio, never squashing', () => {
    expect(centerCrop(32, 32, 32, 32)).toEqual({ sx: 0, sy: 0, sw: 32, sh: 32 });
    expect(centerCrop(400, 300, 32, 32)).toEqual({ sx: 50, sy: 0, sw: 300, sh: 300 });
    expect(centerCrop(300, 400, 32, 32)).toEqual({ sx: 0, sy: 50, sw: 300, sh: 300 });
    expect(centerCrop(100, 100, 64, 32)).toEqual({ sx: 0, sy: 25, sw: 100, sh: 50 });
  });

  it('says where to call it when the runtime has no browser codecs (Node), and checks the size', async () => {
    await expect(decodeImages([], { width: 32 })).rejects.toThrow(/createImageBitmap.*in Node use loadImages/s);
    await expect(decodeImages([], { width: 0 })).rejects.toThrow(/size 0×0.*positive integer/s);
  });
});
