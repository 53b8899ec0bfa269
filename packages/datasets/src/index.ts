// @selfsup/datasets: the contracts and loaders a training script composes. Per-dataset facts and
// readers of data you already have are in @selfsup/datasets/sources, the cache layout and download
// tools in @selfsup/datasets/cache, the binary file formats in @selfsup/datasets/formats.

// A dataset in memory and its seeded batches
export { ImageDataset, NO_LABEL, epochOrder, type BatchOptions, type DatasetBatch } from './dataset';
export { DataError } from './errors';

// Loaders: the public datasets (cached, verified) and your own images
export { loadCifar10 } from './sources/cifar10';
export { loadCifar100, type Cifar100Options } from './sources/cifar100';
export { loadStl10, type Stl10Options } from './sources/stl10';
export { loadFashionMnist, loadMnist } from './sources/mnist';
export { loadImageFolder, loadImages, type ImageFolderOptions } from './image-folder';

// Fetching ahead of time, and the options every loader takes
export { DATASET_NAMES, fetchDataset, verifyDataset, type DatasetName } from './registry';
export type { FetchOptions, SplitOptions } from './acquire';
export type { ProgressCallback, ProgressEvent } from './progress';
