import { join } from 'node:path';
import { type DatasetDefinition, ensureDataset, type SplitOptions } from '../acquire';
import { ImageDataset } from '../dataset';
import { CIFAR100_FORMAT, parseCifar, parseNameList } from '../formats/cifar';
import { readDataFile } from '../read';
import { archiveSource } from './official';

const RECORD = 2 + 3072;
const SPLITS = { train: { file: 'train.bin', records: 50_000 }, test: { file: 'test.bin', records: 10_000 } } as const;

export const CIFAR100: DatasetDefinition = {
  id: 'cifar100',
  title: 'CIFAR-100',
  dir: 'cifar-100',
  folder: 'cifar-100-binary',
  files: [
    { name: 'train.bin', size: 50_000 * RECORD },
    { name: 'test.bin', size: 10_000 * RECORD },
    { name: 'coarse_label_names.txt' },
    { name: 'fine_label_names.txt' },
  ],
  sources: [archiveSource('https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz', '03b5dce01913d631647c71ecec9e9cb8', 'cifar-100-binary')],
};

export interface Cifar100Options extends SplitOptions {
  /** `fine` (100 classes, default) or `coarse` (20 superclasses). */
  labels?: 'fine' | 'coarse';
}

/** CIFAR-100 (train 50,000 / test 10,000, 32×32×3) from the official binary archive, cached. */
export async function loadCifar100(options: Cifar100Options = {}): Promise<ImageDataset> {
  const split = options.split ?? 'train';
  const dir = await ensureDataset(CIFAR100, options);
  return readCifar100Folder(dir, split, options.labels ?? 'fine');
}

/** Reads a `cifar-100-binary` folder (official layout); the record count comes from the file size. */
export async function readCifar100Folder(dir: string, split: 'train' | 'test', labels: 'fine' | 'coarse' = 'fine', expectedRecords?: number): Promise<ImageDataset> {
  const { file } = SPLITS[split];
  const path = join(dir, file);
  const fix = `delete ${dir} and rerun (or run \`selfsup-datasets fetch cifar100\`)`;
  const parsed = parseCifar(await readDataFile(path, 'CIFAR-100', fix), CIFAR100_FORMAT, { file: path, expectedRecords, fix });
  const namesFile = join(dir, labels === 'fine' ? 'fine_label_names.txt' : 'coarse_label_names.txt');
  const names = parseNameList((await readDataFile(namesFile, 'CIFAR-100', fix)).toString('utf8'));
  return new ImageDataset(`cifar100/${split}`, parsed.images, parsed.labels[labels === 'fine' ? 1 : 0], names, 32, 32, 3);
}
