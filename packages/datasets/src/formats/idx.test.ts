import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { firstDifference, randomBytes, thrown } from '../../test/helpers';
import { encodeIdx, parseIdx } from './idx';

describe('idx format (MNIST, Fashion-MNIST)', () => {
  const pixels = randomBytes(4 * 28 * 28, 7);
  const imagesFile = encodeIdx([4, 28, 28], pixels);

  it('writes the documented header: 0, 0, 0x08, ndim, big-endian dims', () => {
    expect([...imagesFile.subarray(0, 16)]).toEqual([0, 0, 8, 3, 0, 0, 0, 4, 0, 0, 0, 28, 0, 0, 0, 28]);
  });

  it('round-trips raw and gzipped files', () => {
    for (const bytes of [imagesFile, new Uint8Array(gzipSync(imagesFile))]) {
      const parsed = parseIdx(bytes, { file: 'train-images-idx3-ubyte', expectedDims: 3 });
      expect(parsed.dims).toEqual([4, 28, 28]);
      expect(firstDifference(parsed.data, pixels)).toBeNull();
    }
  });

  it('rejects truncated raw and gzipped files, wrong magic and wrong dimension count', () => {
    const short = thrown(() => parseIdx(imagesFile.subarray(0, 1000), { file: 'train-images-idx3-ubyte', fix: 'delete ~/.cache/selfsup/mnist and rerun' }));
    expect(short.code).toBe('DATA_TRUNCATED');
    expect(short.message).toBe(
      'idx file train-images-idx3-ubyte is 1,000 bytes, expected 3,152 for dimensions [4, 28, 28]: delete ~/.cache/selfsup/mnist and rerun',
    );
    const gz = new Uint8Array(gzipSync(imagesFile));
    expect(thrown(() => parseIdx(gz.subarray(0, gz.length - 10), { file: 'x.gz' })).code).toBe('DATA_TRUNCATED');
    const wrong = imagesFile.slice();
    wrong[2] = 0x0d; // float32 element type
    expect(thrown(() => parseIdx(wrong, { file: 'x' })).code).toBe('DATA_BAD_FORMAT');
    expect(thrown(() => parseIdx(imagesFile, { file: 'x', expectedDims: 1 })).message).toContain('has 3 dimensions, expected 1');
  });
});
