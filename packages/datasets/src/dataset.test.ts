import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { describe, expect, it } from 'vitest';
import { ImageDataset, epochOrder } from './dataset';
import { randomBytes } from '../test/helpers';

function dataset(n = 10): ImageDataset {
  const images = randomBytes(n * 2 * 2 * 3, 11);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  return new ImageDataset('toy', images, labels, ['a', 'b', 'c'], 2, 2, 3);
}

function epoch(ds: ImageDataset, seed: number, e: number, batchSize = 3, dropLast = false): number[][] {
  return [...ds.batchIndices({ batchSize, seed, epoch: e, dropLast })].map((b) => [...b]);
}

describe('seeded epoch order', () => {
  it('same (seed, epoch) gives the same batches; other epochs and seeds give other orders', () => {
    const ds = dataset(50);
    expect(epoch(ds, 7, 3)).toEqual(epoch(ds, 7, 3));
    expect(epoch(ds, 7, 3)).toEqual(epoch(dataset(50), 7, 3)); // a new object, same order
    expect(epoch(ds, 7, 3).flat()).not.toEqual(epoch(ds, 7, 4).flat());
    expect(epoch(ds, 7, 3).flat()).not.toEqual(epoch(ds, 8, 3).flat());
    // the order of epoch e does not depend on having iterated earlier epochs
    const fresh = epoch(dataset(50), 7, 5);
    epoch(ds, 7, 0);
    epoch(ds, 7, 1);
    expect(epoch(ds, 7, 5)).toEqual(fresh);
  });

  it('is the documented permutation: createRng(seed).fork("data").fork("epoch-<e>")', async () => {
    const { createRng } = await import('@selfsup/core');
    expect([...epochOrder(20, 3, 2)]).toEqual([...createRng(3).fork('data').fork('epoch-2').permutation(20)]);
  });

  it('visits every index exactly once per epoch; dropLast drops only the short batch', () => {
    const ds = dataset(10);
    for (const e of [0, 1, 2]) {
      const batches = epoch(ds, 1, e, 3);
      expect(batches.map((b) => b.length)).toEqual([3, 3, 3, 1]);
      expect(batches.flat().sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    }
    expect(epoch(ds, 1, 0, 3, true)).toEqual(epoch(ds, 1, 0, 3).slice(0, 3));
    expect([...ds.batchIndices({ batchSize: 4, shuffle: false })].map((b) => [...b])).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it('rejects a bad batch size or epoch with the fix', () => {
    expect(() => [...dataset().batchIndices({ batchSize: 0 })]).toThrow(/batchSize 0 is not a positive integer: pass e\.g\./);
    expect(() => epochOrder(5, 0, -1)).toThrow(/epoch -1/);
  });
});

describe('batches', () => {
  it('are NHWC float32 = uint8 / 255 with int32 labels, for the rows asked', async () => {
    const ds = dataset(10);
    const batch = ds.toBatch([4, 0, 9]);
    expect(batch.images.shape).toEqual([3, 2, 2, 3]);
    expect(batch.images.dtype).toBe('float32');
    expect(batch.labels.dtype).toBe('int32');
    expect([...(await batch.labels.data())]).toEqual([1, 0, 0]);
    const values = await batch.images.data();
    const row4 = ds.image(4);
    for (let i = 0; i < 12; i++) expect(values[i]).toBe(Math.fround(row4[i] / 255));
    expect(values[12 + 5]).toBe(Math.fround(ds.image(0)[5] / 255));
    tf.dispose([batch.images, batch.labels]);
  });

  it('iterating an epoch of batches leaks no tensors when the caller disposes them', async () => {
    const ds = dataset(10);
    await expectNoTensorLeak(() => {
      for (const batch of ds.batches({ batchSize: 4, seed: 1, epoch: 0 })) tf.dispose([batch.images, batch.labels]);
    });
  });

  it('counts classes and takes subsets', () => {
    const ds = dataset(10);
    expect([...ds.classCounts()]).toEqual([4, 3, 3]);
    const sub = ds.subset([9, 1]);
    expect(sub.shape).toEqual([2, 2, 2, 3]);
    expect([...sub.labels]).toEqual([0, 1]);
    expect([...sub.image(0)]).toEqual([...ds.image(9)]);
    expect(() => ds.toBatch([10])).toThrow(/index 10 is outside 0\.\.9/);
  });
});
