import { type DatasetDefinition, datasetFolder, ensureDataset, type FetchOptions } from './acquire';
import { DataError } from './errors';
import { CIFAR10 } from './sources/cifar10';
import { CIFAR100 } from './sources/cifar100';
import { FASHION_MNIST, MNIST } from './sources/mnist';
import { STL10 } from './sources/stl10';

/** The name of every dataset selfsup fetches: the one list that configs and the CLI take. */
export const DATASET_NAMES = ['cifar10', 'cifar100', 'stl10', 'mnist', 'fashion-mnist'] as const;

export type DatasetName = (typeof DATASET_NAMES)[number];

/** Every dataset the cache knows, by CLI name. */
export const DATASETS: Readonly<Record<DatasetName, DatasetDefinition>> = {
  cifar10: CIFAR10,
  cifar100: CIFAR100,
  stl10: STL10,
  mnist: MNIST,
  'fashion-mnist': FASHION_MNIST,
};

function definition(name: string): DatasetDefinition {
  const found = Object.hasOwn(DATASETS, name) ? DATASETS[name as DatasetName] : undefined;
  if (!found) {
    throw new DataError({ code: 'DATA_UNKNOWN', problem: `no dataset named ${JSON.stringify(name)}`, fix: `use one of ${Object.keys(DATASETS).join(', ')}` });
  }
  return found;
}

/** Fetches (if missing) and verifies a dataset ahead of time; returns its cache folder. */
export function fetchDataset(name: DatasetName | string, options: FetchOptions = {}): Promise<string> {
  return ensureDataset(definition(name), options);
}

/** Re-hashes every file of a cached dataset against its recorded and pinned sha256; never downloads. */
export function verifyDataset(name: DatasetName | string, options: Omit<FetchOptions, 'download' | 'verify'> = {}): Promise<string> {
  return ensureDataset(definition(name), { ...options, download: false, verify: true });
}

/** Where a dataset lives (or would live) in the cache. */
export function datasetPath(name: DatasetName | string, options: FetchOptions = {}): string {
  return datasetFolder(definition(name), options);
}
