import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstDifference, randomBytes, rejected, tempDir } from '../../test/helpers';
import { CIFAR100_FORMAT, encodeCifar } from '../formats/cifar';
import { readCifar100Folder } from './cifar100';

describe('readCifar100Folder', () => {
  it('reads a generated cifar-100-binary folder with fine or coarse labels and its class names', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const images = randomBytes(3 * 3072, 4);
      await writeFile(join(dir, 'test.bin'), encodeCifar(images, [[1, 2, 3], [10, 20, 99]], CIFAR100_FORMAT));
      await writeFile(join(dir, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `fine${i}`).join('\n') + '\n');
      await writeFile(join(dir, 'coarse_label_names.txt'), Array.from({ length: 20 }, (_, i) => `coarse${i}`).join('\n') + '\n\n');
      const fine = await readCifar100Folder(dir, 'test', 'fine');
      expect(fine.shape).toEqual([3, 32, 32, 3]);
      expect([...fine.labels]).toEqual([10, 20, 99]);
      expect(fine.classNames[99]).toBe('fine99');
      expect(firstDifference(fine.images, images)).toBeNull();
      const coarse = await readCifar100Folder(dir, 'test', 'coarse');
      expect([...coarse.labels]).toEqual([1, 2, 3]);
      expect(coarse.classNames).toHaveLength(20);
    } finally {
      await cleanup();
    }
  });

  it('a missing file is DATA_MISSING with its path and the fix', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await mkdir(join(dir, 'empty'));
      const error = await rejected(readCifar100Folder(join(dir, 'empty'), 'train'));
      expect(error.code).toBe('DATA_MISSING');
      expect(error.message).toContain(`CIFAR-100 file ${join(dir, 'empty', 'train.bin')} cannot be read (ENOENT): delete`);
    } finally {
      await cleanup();
    }
  });
});
