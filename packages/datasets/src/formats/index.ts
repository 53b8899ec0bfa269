// @selfsup/datasets/formats: the datasets' binary file formats, for tools and tests. Parsers
// throw DataError (DATA_TRUNCATED, DATA_BAD_FORMAT) naming the file and the fix.

export {
  CIFAR10_FORMAT,
  CIFAR100_FORMAT,
  encodeCifar,
  parseCifar,
  type CifarRecords,
  type CifarVariant,
  type ParseContext,
} from './cifar';
export { encodeStl10Images, parseStl10Images, parseStl10Labels } from './stl10';
export { encodeIdx, parseIdx, type IdxArray } from './idx';
