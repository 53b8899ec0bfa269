import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from './errors';
import { loadImageFolder, loadImages } from './image-folder';
import { firstDifference, randomBytes, tempDir } from '../test/helpers';

/** A PNG of the given raw RGB pixels (lossless, so decoding must return them exactly). */
function png(pixels: Uint8Array, width: number, height: number): Promise<Buffer> {
  return sharp(Buffer.from(pixels), { raw: { width, height, channels: 3 } }).png().toBuffer();
}

function solid(width: number, height: number, rgb: [number, number, number]): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) out.set(rgb, i * 3);
  return out;
}

describe('loadImageFolder', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  const catPixels = randomBytes(6 * 4 * 3, 31);
  beforeAll(async () => {
    tmp = await tempDir();
    const root = join(tmp.dir, 'labelled');
    await mkdir(join(root, 'dog'), { recursive: true });
    await mkdir(join(root, 'cat'), { recursive: true });
    await writeFile(join(root, 'cat', 'b.png'), await png(catPixels, 6, 4));
    await writeFile(join(root, 'cat', 'a.png'), await png(solid(6, 4, [10, 20, 30]), 6, 4));
    await writeFile(join(root, 'dog', 'x.jpg'), await sharp(Buffer.from(solid(6, 4, [200, 100, 50])), { raw: { width: 6, height: 4, channels: 3 } }).jpeg({ quality: 95 }).toBuffer());
    await writeFile(join(root, 'dog', 'notes.txt'), 'ignored');
    const flat = join(tmp.dir, 'flat');
    await mkdir(flat);
    await writeFile(join(flat, '1.png'), await png(solid(2, 2, [0, 255, 0]), 2, 2));
    await writeFile(join(flat, '2.png'), await png(solid(8, 8, [255, 0, 0]), 8, 8));
  });
  afterAll(() => tmp.cleanup());

  it('sub-folders are classes in name order; files in name order; PNG pixels exact, JPEG close', async () => {
    const ds = await loadImageFolder(join(tmp.dir, 'labelled'));
    expect(ds.classNames).toEqual(['cat', 'dog']);
    expect([...ds.labels]).toEqual([0, 0, 1]);
    expect(ds.files).toEqual(['cat/a.png', 'cat/b.png', 'dog/x.jpg'].map((f) => join(tmp.dir, 'labelled', f)));
    expect(ds.subset([2, 0]).files).toEqual(['dog/x.jpg', 'cat/a.png'].map((f) => join(tmp.dir, 'labelled', f)));
    expect(ds.shape).toEqual([3, 4, 6, 3]);
    expect(firstDifference(ds.image(0), solid(6, 4, [10, 20, 30]))).toBeNull(); // a.png before b.png
    expect(firstDifference(ds.image(1), catPixels)).toBeNull();
    for (const [i, v] of ds.image(2).entries()) expect(Math.abs(v - [200, 100, 50][i % 3])).toBeLessThanOrEqual(3);
  });

  it('resizes to the requested size (a solid image stays solid) and reads a flat folder as unlabeled', async () => {
    const ds = await loadImageFolder(join(tmp.dir, 'flat'), { size: { height: 4, width: 4 } });
    expect(ds.shape).toEqual([2, 4, 4, 3]);
    expect([...ds.labels]).toEqual([-1, -1]);
    expect(ds.classNames).toEqual([]);
    expect(firstDifference(ds.image(0), solid(4, 4, [0, 255, 0]))).toBeNull();
    expect(firstDifference(ds.image(1), solid(4, 4, [255, 0, 0]))).toBeNull();
    const gray = await loadImageFolder(join(tmp.dir, 'flat'), { size: { height: 3, width: 3 }, channels: 1 });
    expect(gray.shape).toEqual([2, 3, 3, 1]);
    // Pillow's convert('L') of pure green: (255·38470 + 32768) >> 16 = 150; of pure red: 76
    expect([...gray.image(0)]).toEqual(Array(9).fill(150));
    expect([...gray.image(1)]).toEqual(Array(9).fill(76));
  });

  it('takes the size as n or [height, width] too (as @selfsup/augment does), and rejects a bad one', async () => {
    expect((await loadImageFolder(join(tmp.dir, 'flat'), { size: 5 })).shape).toEqual([2, 5, 5, 3]);
    const tall = await loadImageFolder(join(tmp.dir, 'flat'), { size: [6, 2] });
    expect(tall.shape).toEqual([2, 6, 2, 3]);
    expect(firstDifference(tall.image(0), solid(6, 2, [0, 255, 0]))).toBeNull();
    await expect(loadImageFolder(join(tmp.dir, 'flat'), { size: [0, 2] })).rejects.toThrow(/size as n, \[height, width\] or \{ height, width \}/);
  });

  it('names the fix for mixed sizes, damaged images and empty or missing folders', async () => {
    const mixed = await loadImageFolder(join(tmp.dir, 'flat')).then(() => null, (e: unknown) => e as DataError);
    expect(mixed).toBeInstanceOf(DataError);
    expect(mixed?.message).toContain('pass size: { height, width }');
    const broken = join(tmp.dir, 'broken');
    await mkdir(broken);
    await writeFile(join(broken, 'a.png'), (await png(solid(8, 8, [1, 2, 3]), 8, 8)).subarray(0, 40));
    const damaged = await loadImageFolder(broken).then(() => null, (e: unknown) => e as DataError);
    expect(damaged?.code).toBe('DATA_IMAGE_DECODE');
    expect(damaged?.message).toContain(`cannot decode image ${join(broken, 'a.png')} (40 bytes)`);
    await mkdir(join(tmp.dir, 'empty'));
    expect(await loadImageFolder(join(tmp.dir, 'empty')).then(() => null, (e: DataError) => e.code)).toBe('DATA_MISSING');
    expect(await loadImageFolder(join(tmp.dir, 'nope')).then(() => null, (e: DataError) => e.code)).toBe('DATA_MISSING');
  });

  it('loadImages reads the given files in order as unlabeled images, and refuses other files', async () => {
    const files = [join(tmp.dir, 'flat', '2.png'), join(tmp.dir, 'labelled', 'cat', 'b.png')];
    const ds = await loadImages(files, { size: [4, 6] });
    expect(ds.shape).toEqual([2, 4, 6, 3]);
    expect([...ds.labels]).toEqual([-1, -1]);
    expect(ds.files).toEqual(files);
    expect(firstDifference(ds.image(0), solid(6, 4, [255, 0, 0]))).toBeNull();
    expect(firstDifference(ds.image(1), catPixels)).toBeNull(); // already 6×4: untouched
    await expect(loadImages([join(tmp.dir, 'labelled', 'dog', 'notes.txt')])).rejects.toThrow(/notes\.txt is not a \.png, \.jpg or \.jpeg file/);
    await expect(loadImages([])).rejects.toThrow(/got no paths/);
  });
});
