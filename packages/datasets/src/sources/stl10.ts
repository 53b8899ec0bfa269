import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DatasetDefinition, ensureDataset, type FetchOptions } from '../acquire';
import { ImageDataset, NO_LABEL } from '../dataset';
import { ArgumentError } from '@selfsup/core';
import { parseNameList } from '../formats/cifar';
import { STL10_IMAGE_BYTES, STL10_SIDE, parseStl10Labels, stl10ImageCount, stl10ToNhwc } from '../formats/stl10';
import { DataError } from '../errors';
import { readDataFile } from '../read';
import { archiveSource } from './official';

export const STL10_CLASSES = ['airplane', 'bird', 'car', 'cat', 'deer', 'dog', 'horse', 'monkey', 'ship', 'truck'] as const;
const COUNTS = { train: 5_000, test: 8_000, unlabeled: 100_000 } as const;

export const STL10: DatasetDefinition = {
  id: 'stl10',
  title: 'STL-10',
  dir: 'stl-10',
  folder: 'stl10_binary',
  files: [
    { name: 'train_X.bin', size: COUNTS.train * STL10_IMAGE_BYTES },
    { name: 'train_y.bin', size: COUNTS.train },
    { name: 'test_X.bin', size: COUNTS.test * STL10_IMAGE_BYTES },
    { name: 'test_y.bin', size: COUNTS.test },
    { name: 'unlabeled_X.bin', size: COUNTS.unlabeled * STL10_IMAGE_BYTES },
    { name: 'class_names.txt' },
    { name: 'fold_indices.txt' },
  ],
  sources: [archiveSource('http://ai.stanford.edu/~acoates/stl10/stl10_binary.tar.gz', '91f7769df0f17e558f3565bffb0c7dfb', 'stl10_binary')],
};

export type Stl10Split = 'train' | 'test' | 'unlabeled';

export interface Stl10Options extends FetchOptions {
  split?: Stl10Split;
  /** Read only the first `limit` images (the unlabeled split is 2.76 GB as uint8). */
  limit?: number;
}

/**
 * STL-10 (96×96×3; train 5,000 / test 8,000 labelled, unlabeled 100,000 for pretraining, label -1)
 * from the official binary archive, cached.
 */
export async function loadStl10(options: Stl10Options = {}): Promise<ImageDataset> {
  const dir = await ensureDataset(STL10, options);
  return readStl10Folder(dir, options.split ?? 'train', { limit: options.limit, expectedRecords: COUNTS[options.split ?? 'train'] });
}

/** Reads an `stl10_binary` folder (official layout), converting column-major planes to NHWC in chunks. */
export async function readStl10Folder(
  dir: string,
  split: Stl10Split,
  { limit, expectedRecords }: { limit?: number; expectedRecords?: number } = {},
): Promise<ImageDataset> {
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new ArgumentError({ code: 'DATA_BAD_LIMIT', problem: `limit ${limit} is not a positive integer`, fix: 'pass e.g. { limit: 10000 } or leave it out' });
  }
  const fix = `delete ${dir} and rerun (or run \`selfsup-datasets fetch stl10\`)`;
  const xPath = join(dir, `${split}_X.bin`);
  const handle = await open(xPath).catch((error: NodeJS.ErrnoException) => {
    throw new DataError({ code: 'DATA_MISSING', problem: `STL-10 file ${xPath} cannot be read (${error.code ?? error.message})`, fix, cause: error });
  });
  let images: Uint8Array;
  let total: number;
  let count: number;
  try {
    total = stl10ImageCount((await handle.stat()).size, { file: xPath, expectedRecords, fix });
    count = limit !== undefined ? Math.min(total, limit) : total;
    images = new Uint8Array(count * STL10_IMAGE_BYTES);
    const chunkImages = 512;
    const chunk = new Uint8Array(chunkImages * STL10_IMAGE_BYTES);
    for (let start = 0; start < count; start += chunkImages) {
      const n = Math.min(chunkImages, count - start);
      const view = chunk.subarray(0, n * STL10_IMAGE_BYTES);
      const { bytesRead } = await handle.read(view, 0, view.length, start * STL10_IMAGE_BYTES);
      if (bytesRead !== view.length) {
        // the file shrank after we sized it: report it like any truncation
        stl10ImageCount(start * STL10_IMAGE_BYTES + bytesRead, { file: xPath, expectedRecords: total, fix });
      }
      stl10ToNhwc(view, images, start);
    }
  } finally {
    await handle.close();
  }
  let labels: Int32Array;
  if (split === 'unlabeled') labels = new Int32Array(count).fill(NO_LABEL);
  else {
    const yPath = join(dir, `${split}_y.bin`);
    labels = parseStl10Labels(await readDataFile(yPath, 'STL-10', fix), { file: yPath, expectedRecords: total, fix }).slice(0, count);
  }
  const namesText = await readFile(join(dir, 'class_names.txt'), 'utf8').catch(() => null);
  const names = namesText ? parseNameList(namesText) : [...STL10_CLASSES];
  return new ImageDataset(`stl10/${split}`, images, labels, names, STL10_SIDE, STL10_SIDE, 3);
}
