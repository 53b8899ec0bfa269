// @selfsup/datasets/cache: where datasets live and how a folder is trusted, and the verified
// download and hashing the loaders use, for tools that manage the cache themselves.

export { resolveCacheDir, type CacheOptions } from './cache-dir';
export { datasetPath } from './registry';
export { STAMP_FILE } from './stamp';
export { downloadFile, type DownloadOptions } from './download';
export { hashFile, type Checksum } from './checksum';
