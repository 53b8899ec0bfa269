import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import sharp from 'sharp';
import { ArgumentError } from '@selfsup/core';
import { ImageDataset, NO_LABEL } from './dataset';
import { DataError } from './errors';

const EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

export interface ImageFolderOptions {
  /**
   * Output size — `n` (square), `[height, width]` (as @selfsup/augment takes it) or
   * `{ height, width }`; images are resized to it (sharp, `fit` below). Default: each image must
   * already match the first one.
   */
  size?: number | readonly [number, number] | { height: number; width: number };
  /** How to resize: `cover` (crop to fill, default), `fill` (stretch) or `contain` (letterbox, black). */
  fit?: 'cover' | 'fill' | 'contain';
  /** 3 (RGB, default) or 1 (grayscale: ITU-R 601-2 luma, as Pillow's `convert('L')`). */
  channels?: 1 | 3;
  /** Images decoded at once (default 8). */
  concurrency?: number;
}

/**
 * Reads a folder of PNG/JPEG images like torchvision's ImageFolder: each sub-folder is a class
 * (sorted by name → class index), or, with no sub-folders, a flat folder of unlabeled images
 * (label -1). Files are sorted by name, so the row order is stable.
 */
export async function loadImageFolder(root: string, options: ImageFolderOptions = {}): Promise<ImageDataset> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    throw new DataError({ code: 'DATA_MISSING', problem: `image folder ${root} cannot be read (${(error as Error).message})`, fix: 'pass the path of a folder of class sub-folders or of images', cause: error });
  }
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const classNames = entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort(byName);
  const items: { path: string; label: number }[] = [];
  const imagesIn = async (dir: string) =>
    (await readdir(dir)).filter((name) => EXTENSIONS.has(extname(name).toLowerCase()) && !name.startsWith('.')).sort(byName).map((name) => join(dir, name));
  if (classNames.length > 0) {
    for (const [label, name] of classNames.entries()) for (const path of await imagesIn(join(root, name))) items.push({ path, label });
  } else {
    for (const path of await imagesIn(root)) items.push({ path, label: NO_LABEL });
  }
  if (items.length === 0) {
    throw new DataError({ code: 'DATA_MISSING', problem: `image folder ${root} holds no .png/.jpg/.jpeg images`, fix: 'put images in class sub-folders (root/cat/1.png) or directly in the folder (unlabeled)' });
  }
  return decodeAll(`folder:${root}`, items, classNames, options);
}

/**
 * The given PNG/JPEG files, in order, as one unlabeled dataset (e.g. query images to embed);
 * sized as `loadImageFolder` sizes them.
 */
export async function loadImages(paths: readonly string[], options: ImageFolderOptions = {}): Promise<ImageDataset> {
  if (paths.length === 0) {
    throw new ArgumentError({ code: 'DATA_MISSING', problem: 'loadImages() got no paths', fix: 'pass the paths of one or more .png/.jpg/.jpeg files' });
  }
  const bad = paths.find((path) => !EXTENSIONS.has(extname(path).toLowerCase()));
  if (bad !== undefined) {
    throw new DataError({ code: 'DATA_BAD_FORMAT', problem: `${bad} is not a .png, .jpg or .jpeg file`, fix: 'pass PNG or JPEG images' });
  }
  return decodeAll(paths.length === 1 ? `image:${paths[0]}` : `images[${paths.length}]`, paths.map((path) => ({ path, label: NO_LABEL })), [], options);
}

/** Decodes every item (at `options.size`, else the first image's size) into one dataset. */
async function decodeAll(name: string, items: { path: string; label: number }[], classNames: string[], options: ImageFolderOptions): Promise<ImageDataset> {
  const channels = options.channels ?? 3;
  if (channels !== 1 && channels !== 3) {
    throw new ArgumentError({ code: 'DATA_BAD_CHANNELS', problem: `channels ${String(channels)} is not 1 or 3`, fix: 'pass channels: 3 (RGB) or 1 (grayscale)' });
  }
  let size = normalizeSize(options.size);
  const resize = size;
  if (!size) {
    const first = await decode(items[0].path, channels);
    size = { height: first.height, width: first.width };
  }
  const { height, width } = size;
  const bytes = height * width * channels;
  const images = new Uint8Array(items.length * bytes);
  const labels = Int32Array.from(items, (item) => item.label);
  const concurrency = Math.max(1, options.concurrency ?? 8);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      const image = await decode(items[i].path, channels, resize ? { ...resize, fit: options.fit ?? 'cover' } : undefined);
      if (image.height !== height || image.width !== width) {
        throw new DataError({
          code: 'DATA_BAD_FORMAT',
          problem: `${items[i].path} is ${image.width}×${image.height}, the first image is ${width}×${height}`,
          fix: 'pass size: { height, width } to resize every image to one size',
        });
      }
      images.set(image.data, i * bytes);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return new ImageDataset(name, images, labels, classNames, height, width, channels, items.map((item) => item.path));
}

/** `n`, `[h, w]` or `{ height, width }` → `{ height, width }` of positive integers. */
function normalizeSize(size: ImageFolderOptions['size']): { height: number; width: number } | undefined {
  if (size === undefined) return undefined;
  const [height, width] = typeof size === 'number' ? [size, size] : Array.isArray(size) ? size : [(size as { height: number }).height, (size as { width: number }).width];
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new ArgumentError({
      code: 'DATA_BAD_SIZE',
      problem: `size ${JSON.stringify(size)} is not a positive integer size`,
      fix: 'pass size as n, [height, width] or { height, width } of positive integers, e.g. 32',
    });
  }
  return { height, width };
}

/**
 * ITU-R 601-2 luma in Pillow's fixed-point form (`convert('L')`, which torchvision's Grayscale
 * uses), so grayscale inputs match a PyTorch pipeline; libvips' own b-w works in linear light.
 */
function luma601(rgb: Uint8Array): Uint8Array {
  const out = new Uint8Array(rgb.length / 3);
  for (let i = 0; i < out.length; i++) out[i] = (rgb[3 * i] * 19595 + rgb[3 * i + 1] * 38470 + rgb[3 * i + 2] * 7471 + 0x8000) >> 16;
  return out;
}

async function decode(path: string, channels: 1 | 3, resize?: { height: number; width: number; fit: 'cover' | 'fill' | 'contain' }) {
  try {
    // rotate() applies EXIF orientation; flatten() drops alpha over black
    let pipeline = sharp(path).rotate().flatten({ background: { r: 0, g: 0, b: 0 } });
    if (resize) pipeline = pipeline.resize(resize.width, resize.height, { fit: resize.fit, background: { r: 0, g: 0, b: 0 } });
    const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels, expected 3`);
    const rgb = new Uint8Array(data.buffer, data.byteOffset, data.length);
    return { data: channels === 1 ? luma601(rgb) : rgb, height: info.height, width: info.width };
  } catch (error) {
    const size = await stat(path).then((s) => s.size, () => -1);
    throw new DataError({
      code: 'DATA_IMAGE_DECODE',
      problem: `cannot decode image ${path} (${size} bytes): ${(error as Error).message}`,
      fix: 'replace or delete the damaged file',
      cause: error,
    });
  }
}
