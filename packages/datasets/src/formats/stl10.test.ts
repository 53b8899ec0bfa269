import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { firstDifference, randomBytes, thrown } from '../../test/helpers';
import { encodeStl10Images, parseStl10Images, parseStl10Labels } from './stl10';

describe('STL-10 binary format', () => {
  const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/stl10_torchvision.json', import.meta.url), 'utf8')) as {
    fileX: string;
    fileY: number[];
    imagesHWC: string;
    labels: number[];
  };
  const fileX = new Uint8Array(Buffer.from(fixture.fileX, 'base64'));
  const expectedHWC = new Uint8Array(Buffer.from(fixture.imagesHWC, 'base64'));

  it('reads column-major images exactly as torchvision.datasets.STL10 does', () => {
    const { images, count } = parseStl10Images(fileX, { file: 'test_X.bin' });
    expect(count).toBe(2);
    expect(firstDifference(images, expectedHWC)).toBeNull();
    expect([...parseStl10Labels(Uint8Array.from(fixture.fileY), { file: 'test_y.bin' })]).toEqual(fixture.labels);
  });

  it('round-trips NHWC → file → NHWC', () => {
    const images = randomBytes(3 * 27648, 5);
    expect(firstDifference(parseStl10Images(encodeStl10Images(images), { file: 'x' }).images, images)).toBeNull();
    expect(firstDifference(encodeStl10Images(expectedHWC), fileX)).toBeNull();
  });

  it('rejects truncated image and label files and labels outside 1..10', () => {
    const error = thrown(() => parseStl10Images(fileX.subarray(0, 30_000), { file: 'train_X.bin' }));
    expect(error.code).toBe('DATA_TRUNCATED');
    expect(error.message).toContain('STL-10 file train_X.bin is 30,000 bytes, expected a non-zero multiple of 27,648');
    expect(thrown(() => parseStl10Labels(Uint8Array.from([1, 2]), { file: 'train_y.bin', expectedRecords: 5000 })).code).toBe('DATA_TRUNCATED');
    expect(thrown(() => parseStl10Labels(Uint8Array.from([1, 0]), { file: 'train_y.bin' })).code).toBe('DATA_BAD_FORMAT');
  });
});
