import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firstDifference, randomBytes, rejected, tempDir } from '../../test/helpers';
import { encodeStl10Images } from '../formats/stl10';
import { readStl10Folder } from './stl10';

describe('readStl10Folder', () => {
  it('reads a generated stl10_binary folder in chunks (labelled, unlabeled, limit) and names truncation', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const n = 600; // more than one 512-image read chunk
      const images = randomBytes(n * 27648, 6);
      const labels = Uint8Array.from({ length: n }, (_, i) => 1 + (i % 10));
      await writeFile(join(dir, 'train_X.bin'), encodeStl10Images(images));
      await writeFile(join(dir, 'train_y.bin'), labels);
      await writeFile(join(dir, 'unlabeled_X.bin'), encodeStl10Images(images.subarray(0, 4 * 27648)));
      await writeFile(join(dir, 'class_names.txt'), 'airplane\nbird\ncar\ncat\ndeer\ndog\nhorse\nmonkey\nship\ntruck\n');
      const train = await readStl10Folder(dir, 'train');
      expect(train.shape).toEqual([n, 96, 96, 3]);
      expect(firstDifference(train.images, images)).toBeNull();
      expect([...train.labels.subarray(0, 12)]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
      expect(train.classNames[7]).toBe('monkey');
      const first = await readStl10Folder(dir, 'train', { limit: 3 });
      expect(first.size).toBe(3);
      expect(firstDifference(first.images, images.subarray(0, 3 * 27648))).toBeNull();
      const unlabeled = await readStl10Folder(dir, 'unlabeled');
      expect([...unlabeled.labels]).toEqual([-1, -1, -1, -1]);
      const error = await rejected(readStl10Folder(dir, 'train', { expectedRecords: 5000 }));
      expect(error.code).toBe('DATA_TRUNCATED');
      expect(error.message).toContain(`${join(dir, 'train_X.bin')} is 16,588,800 bytes, expected 138,240,000`);
    } finally {
      await cleanup();
    }
  });

  it('a missing file is DATA_MISSING', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await mkdir(join(dir, 'empty'));
      expect((await rejected(readStl10Folder(join(dir, 'empty'), 'unlabeled'))).code).toBe('DATA_MISSING');
    } finally {
      await cleanup();
    }
  });
});
