import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  CIFAR10_FORMAT,
  CIFAR100_FORMAT,
  DataError,
  encodeCifar,
  encodeIdx,
  encodeStl10Images,
  parseCifar,
  parseIdx,
  parseStl10Images,
  parseStl10Labels,
  readCifar100Folder,
  readStl10Folder,
} from '../src/index';
import { firstDifference, randomBytes, tempDir } from './helpers';

function thrown(fn: () => unknown): DataError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError');
}

async function rejected(promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}

describe('CIFAR binary format', () => {
  it('writes the documented record layout: label byte, then R, G, B planes', () => {
    // one image whose pixel (y, x) has R = y, G = x, B = 100 + (y + x) % 50: a closed form per byte
    const image = new Uint8Array(3072);
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) image.set([y, x, 100 + ((y + x) % 50)], (y * 32 + x) * 3);
    const bytes = encodeCifar(image, [[7]], CIFAR10_FORMAT);
    expect(bytes.length).toBe(3073);
    expect(bytes[0]).toBe(7);
    expect(bytes[1 + 5 * 32 + 9]).toBe(5); // R plane, row 5, column 9 → y
    expect(bytes[1 + 1024 + 5 * 32 + 9]).toBe(9); // G plane → x
    expect(bytes[1 + 2048 + 5 * 32 + 9]).toBe(114); // B plane
  });

  it('round-trips CIFAR-10 and CIFAR-100 files', () => {
    const images = randomBytes(5 * 3072, 1);
    const fine = Int32Array.from([0, 99, 42, 7, 63]);
    const coarse = Int32Array.from([19, 0, 3, 11, 5]);
    const ten = parseCifar(encodeCifar(images, [[3, 9, 0, 1, 5]], CIFAR10_FORMAT), CIFAR10_FORMAT, { file: 'x.bin' });
    expect(ten.count).toBe(5);
    expect(firstDifference(ten.images, images)).toBeNull();
    expect([...ten.labels[0]]).toEqual([3, 9, 0, 1, 5]);
    const hundred = parseCifar(encodeCifar(images, [coarse, fine], CIFAR100_FORMAT), CIFAR100_FORMAT, { file: 'train.bin' });
    expect(firstDifference(hundred.images, images)).toBeNull();
    expect(hundred.labels[0]).toEqual(coarse);
    expect(hundred.labels[1]).toEqual(fine);
  });

  it('rejects a truncated file with its name, its size, the expected size and the fix', () => {
    const bytes = encodeCifar(randomBytes(2 * 3072, 2), [[1, 2]], CIFAR10_FORMAT).subarray(0, 1024);
    const error = thrown(() => parseCifar(bytes, CIFAR10_FORMAT, { file: '/cache/cifar-10/data_batch_3.bin', expectedRecords: 10_000, fix: 'delete /cache/cifar-10 and rerun' }));
    expect(error.code).toBe('DATA_TRUNCATED');
    expect(error.message).toBe(
      'CIFAR-10 file /cache/cifar-10/data_batch_3.bin is 1,024 bytes, expected 30,730,000 (1 label byte(s) + 3,072 pixel bytes per image): delete /cache/cifar-10 and rerun',
    );
    // a file one byte short of whole records is caught without a known record count
    expect(thrown(() => parseCifar(new Uint8Array(3073 * 2 - 1), CIFAR10_FORMAT, { file: 'f' })).code).toBe('DATA_TRUNCATED');
  });

  it('rejects a corrupted label byte', () => {
    const bytes = encodeCifar(randomBytes(2 * 3074, 3).subarray(0, 2 * 3072), [[1, 2], [3, 4]], CIFAR100_FORMAT);
    bytes[3074] = 20; // coarse label of record 1: CIFAR-100 has 20 superclasses
    const error = thrown(() => parseCifar(bytes, CIFAR100_FORMAT, { file: 'train.bin' }));
    expect(error.code).toBe('DATA_BAD_FORMAT');
    expect(error.message).toContain('label 20 in record 1');
  });

  it('reads a generated cifar-100-binary folder with fine or coarse labels and its class names', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const images = randomBytes(3 * 3072, 4);
      await writeFile(join(dir, 'test.bin'), encodeCifar(images, [[1, 2, 3], [10, 20, 99]], CIFAR100_FORMAT));
      await writeFile(join(dir, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `fine${i}`).join('\n') + '\n');
      await writeFile(join(dir, 'coarse_label_names.txt'), Array.from({ length: 20 }, (_, i) => `coarse${i}`).join('\n') + '\n\n');
      const fine = await readCifar100Folder(dir, 'test', 'fine');
      expect(fine.shape).toEqual([3, 32, 32, 3]);
      expect([...fine.labels]).toEqual([10, 20, 99]);
      expect(fine.classNames[99]).toBe('fine99');
      expect(firstDifference(fine.images, images)).toBeNull();
      const coarse = await readCifar100Folder(dir, 'test', 'coarse');
      expect([...coarse.labels]).toEqual([1, 2, 3]);
      expect(coarse.classNames).toHaveLength(20);
    } finally {
      await cleanup();
    }
  });
});

describe('STL-10 binary format', () => {
  const fixture = JSON.parse(readFileSync(new URL('./fixtures/stl10_torchvision.json', import.meta.url), 'utf8')) as {
    fileX: string;
    fileY: number[];
    imagesHWC: string;
    labels: number[];
  };
  const fileX = new Uint8Array(Buffer.from(fixture.fileX, 'base64'));
  const expectedHWC = new Uint8Array(Buffer.from(fixture.imagesHWC, 'base64'));

  it('reads column-major images exactly as torchvision.datasets.STL10 does', () => {
    const { images, count } = parseStl10Images(fileX, { file: 'test_X.bin' });
    expect(count).toBe(2);
    expect(firstDifference(images, expectedHWC)).toBeNull();
    expect([...parseStl10Labels(Uint8Array.from(fixture.fileY), { file: 'test_y.bin' })]).toEqual(fixture.labels);
  });

  it('round-trips NHWC → file → NHWC', () => {
    const images = randomBytes(3 * 27648, 5);
    expect(firstDifference(parseStl10Images(encodeStl10Images(images), { file: 'x' }).images, images)).toBeNull();
    expect(firstDifference(encodeStl10Images(expectedHWC), fileX)).toBeNull();
  });

  it('rejects truncated image and label files and labels outside 1..10', () => {
    const error = thrown(() => parseStl10Images(fileX.subarray(0, 30_000), { file: 'train_X.bin' }));
    expect(error.code).toBe('DATA_TRUNCATED');
    expect(error.message).toContain('STL-10 file train_X.bin is 30,000 bytes, expected a non-zero multiple of 27,648');
    expect(thrown(() => parseStl10Labels(Uint8Array.from([1, 2]), { file: 'train_y.bin', expectedRecords: 5000 })).code).toBe('DATA_TRUNCATED');
    expect(thrown(() => parseStl10Labels(Uint8Array.from([1, 0]), { file: 'train_y.bin' })).code).toBe('DATA_BAD_FORMAT');
  });

  it('reads a generated stl10_binary folder in chunks (labelled, unlabeled, limit) and names truncation', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const n = 600; // more than one 512-image read chunk
      const images = randomBytes(n * 27648, 6);
      const labels = Uint8Array.from({ length: n }, (_, i) => 1 + (i % 10));
      await writeFile(join(dir, 'train_X.bin'), encodeStl10Images(images));
      await writeFile(join(dir, 'train_y.bin'), labels);
      await writeFile(join(dir, 'unlabeled_X.bin'), encodeStl10Images(images.subarray(0, 4 * 27648)));
      await writeFile(join(dir, 'class_names.txt'), 'airplane\nbird\ncar\ncat\ndeer\ndog\nhorse\nmonkey\nship\ntruck\n');
      const train = await readStl10Folder(dir, 'train');
      expect(train.shape).toEqual([n, 96, 96, 3]);
      expect(firstDifference(train.images, images)).toBeNull();
      expect([...train.labels.subarray(0, 12)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
      expect(train.classNames[7]).toBe('monkey');
      const first = await readStl10Folder(dir, 'train', { limit: 3 });
      expect(first.size).toBe(3);
      expect(firstDifference(first.images, images.subarray(0, 3 * 27648))).toBeNull();
      const unlabeled = await readStl10Folder(dir, 'unlabeled');
      expect([...unlabeled.labels]).toEqual([-1, -1, -1, -1]);
      const error = await rejected(readStl10Folder(dir, 'train', { expectedRecords: 5000 }));
      expect(error.code).toBe('DATA_TRUNCATED');
      expect(error.message).toContain(`${join(dir, 'train_X.bin')} is 16,588,800 bytes, expected 138,240,000`);
    } finally {
      await cleanup();
    }
  });
});

describe('idx format (MNIST, Fashion-MNIST)', () => {
  const pixels = randomBytes(4 * 28 * 28, 7);
  const imagesFile = encodeIdx([4, 28, 28], pixels);

  it('writes the documented header: 0, 0, 0x08, ndim, big-endian dims', () => {
    expect([...imagesFile.subarray(0, 16)]).toEqual([0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 28, 0, 0, 0, 28]);
  });

  it('round-trips raw and gzipped files', () => {
    for (const bytes of [imagesFile, new Uint8Array(gzipSync(imagesFile))]) {
      const parsed = parseIdx(bytes, { file: 'train-images-idx3-ubyte', expectedDims: 3 });
      expect(parsed.dims).toEqual([4, 28, 28]);
      expect(firstDifference(parsed.data, pixels)).toBeNull();
    }
  });

  it('rejects truncated raw and gzipped files, wrong magic and wrong dimension count', () => {
    const short = thrown(() => parseIdx(imagesFile.subarray(0, 1000), { file: 'train-images-idx3-ubyte', fix: 'delete ~/.cache/selfsup/mnist and rerun' }));
    expect(short.code).toBe('DATA_TRUNCATED');
    expect(short.message).toBe(
      'idx file train-images-idx3-ubyte is 1,000 bytes, expected 3,152 for dimensions [4, 28, 28]: delete ~/.cache/selfsup/mnist and rerun',
    );
    const gz = new Uint8Array(gzipSync(imagesFile));
    expect(thrown(() => parseIdx(gz.subarray(0, gz.length - 10), { file: 'x.gz' })).code).toBe('DATA_TRUNCATED');
    const wrong = imagesFile.slice();
    wrong[2] = 0x0d; // float32 element type
    expect(thrown(() => parseIdx(wrong, { file: 'x' })).code).toBe('DATA_BAD_FORMAT');
    expect(thrown(() => parseIdx(imagesFile, { file: 'x', expectedDims: 1 })).message).toContain('has 3 dimensions, expected 1');
  });
});

describe('folders on disk', () => {
  it('a missing file is DATA_MISSING with its path and the fix', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await mkdir(join(dir, 'empty'));
      const error = await rejected(readCifar100Folder(join(dir, 'empty'), 'train'));
      expect(error.code).toBe('DATA_MISSING');
      expect(error.message).toContain(`CIFAR-100 file ${join(dir, 'empty', 'train.bin')} cannot be read (ENOENT): delete`);
      expect((await rejected(readStl10Folder(join(dir, 'empty'), 'unlabeled'))).code).toBe('DATA_MISSING');
    } finally {
      await cleanup();
    }
  });
});
