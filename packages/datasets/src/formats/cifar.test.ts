import { describe, expect, it } from 'vitest';
import { firstDifference, randomBytes, thrown } from '../../test/helpers';
import { CIFAR10_FORMAT, CIFAR100_FORMAT, encodeCifar, parseCifar } from './cifar';

describe('CIFAR binary format', () => {
  it('writes the documented record layout: label byte, then R, G, B planes', () => {
    // one image whose pixel (y, x) has R = y, G = x, B = 100 + (y + x) % 50: a closed form per byte
    const image = new Uint8Array(3072);
    for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) image.set([y, x, 100 + ((y + x) % 50)], (y * 32 + x) * 3);
    const bytes = encodeCifar(image, [[7]], CIFAR10_FORMAT);
    expect(bytes.length).toBe(3073);
    expect(bytes[0]).toBe(7);
    expect(bytes[1 + 5 * 32 + 9]).toBe(5); // R plane, row 5, column 9 → y
    expect(bytes[1 + 1024 + 5 * 32 + 9]).toBe(9); // G plane → x
    expect(bytes[1 + 2048 + 5 * 32 + 9]).toBe(114); // B plane
  });

  it('round-trips CIFAR-10 and CIFAR-100 files', () => {
    const images = randomBytes(5 * 3072, 1);
    const fine = Int32Array.from([0, 99, 42, 7, 63]);
    const coarse = Int32Array.from([19, 0, 3, 11, 5]);
    const ten = parseCifar(encodeCifar(images, [[3, 9, 0, 1, 5]], CIFAR10_FORMAT), CIFAR10_FORMAT, { file: 'x.bin' });
    expect(ten.count).toBe(5);
    expect(firstDifference(ten.images, images)).toBeNull();
    expect([...ten.labels[0]]).toEqual([3, 9, 0, 1, 5]);
    const hundred = parseCifar(encodeCifar(images, [coarse, fine], CIFAR100_FORMAT), CIFAR100_FORMAT, { file: 'train.bin' });
    expect(firstDifference(hundred.images, images)).toBeNull();
    expect(hundred.labels[0]).toEqual(coarse);
    expect(hundred.labels[1]).toEqual(fine);
  });

  it('rejects a truncated file with its name, its size, the expected size and the fix', () => {
    const bytes = encodeCifar(randomBytes(2 * 3072, 2), [[1, 2]], CIFAR10_FORMAT).subarray(0, 1024);
    const error = thrown(() => parseCifar(bytes, CIFAR10_FORMAT, { file: '/cache/cifar-10/data_batch_3.bin', expectedRecords: 10_000, fix: 'delete /cache/cifar-10 and rerun' }));
    expect(error.code).toBe('DATA_TRUNCATED');
    expect(error.message).toBe(
      'CIFAR-10 file /cache/cifar-10/data_batch_3.bin is 1,024 bytes, expected 30,730,000 (1 label byte(s) + 3,072 pixel bytes per image): delete /cache/cifar-10 and rerun',
    );
    // a file one byte short of whole records is caught without a known record count
    expect(thrown(() => parseCifar(new Uint8Array(3073 * 2 - 1), CIFAR10_FORMAT, { file: 'f' })).code).toBe('DATA_TRUNCATED');
  });

  it('rejects a corrupted label byte', () => {
    const bytes = encodeCifar(randomBytes(2 * 3074, 3).subarray(0, 2 * 3072), [[1, 2], [3, 4]], CIFAR100_FORMAT);
    bytes[3074] = 20; // coarse label of record 1: CIFAR-100 has 20 superclasses
    const error = thrown(() => parseCifar(bytes, CIFAR100_FORMAT, { file: 'train.bin' }));
    expect(error.code).toBe('DATA_BAD_FORMAT');
    expect(error.message).toContain('label 20 in record 1');
  });
});
