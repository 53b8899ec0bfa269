/**
 * `@selfsup/datasets/memory`: datasets from pixels already in memory — in a browser, the user's
 * own images decoded by the page (`ImageData` from a canvas) — with no Node built-in, so this
 * entry bundles for browsers.
 */
import { ArgumentError } from '@selfsup/core';
import { ImageDataset, NO_LABEL } from './dataset';

export { ImageDataset, NO_LABEL, epochOrder, type BatchOptions, type DatasetBatch } from './dataset';

/** An `ImageData` (RGBA, row-major), or anything of its shape. */
export interface RgbaImage {
  readonly data: ArrayLike<number>;
  readonly width: number;
  readonly height: number;
}

export interface FromImagesOptions {
  /** Class index per image (default: none, −1 each). */
  labels?: ArrayLike<number>;
  /** Names of the class indices. */
  classNames?: readonly string[];
  /** Dataset name (default `memory`). */
  name?: string;
}

/**
 * A dataset of RGBA images of one size, kept as RGB (alpha dropped, as the image folders drop
 * it after flattening onto black: pixels are premultiplied by alpha here for the same result).
 */
export function imagesToDataset(images: readonly RgbaImage[], options: FromImagesOptions = {}): ImageDataset {
  if (images.length === 0) {
    throw new ArgumentError({ code: 'DATA_MISSING', problem: 'imagesToDataset() got no images', fix: 'pass one or more ImageData objects' });
  }
  const { width, height } = images[0];
  const pixels = new Uint8Array(images.length * height * width * 3);
  images.forEach((image, i) => {
    if (image.width !== width || image.height !== height || image.data.length !== width * height * 4) {
      throw new ArgumentError({
        code: 'DATA_BAD_SHAPE',
        problem: `image ${i} is ${image.width}×${image.height} with ${image.data.length} values, image 0 is ${width}×${height} (RGBA: ${width * height * 4})`,
        fix: 'draw every image onto a canvas of one size (ctx.drawImage(img, 0, 0, w, h)) before getImageData',
      });
    }
    const out = i * width * height * 3;
    for (let p = 0; p < width * height; p++) {
      const alpha = image.data[4 * p + 3] / 255;
      for (let c = 0; c < 3; c++) pixels[out + 3 * p + c] = Math.round(image.data[4 * p + c] * alpha);
    }
  });
  const labels = options.labels ? Int32Array.from(options.labels) : new Int32Array(images.length).fill(NO_LABEL);
  if (labels.length !== images.length) {
    throw new ArgumentError({ code: 'DATA_BAD_SHAPE', problem: `${labels.length} labels for ${images.length} images`, fix: 'pass one label per image' });
  }
  return new ImageDataset(options.name ?? 'memory', pixels, labels, options.classNames ?? [], height, width, 3);
}

/** What `decodeImages` reads: files the user picked or dropped, fetched blobs, bitmaps, canvases. */
export type BrowserImageSource = Blob | ImageBitmapSource;

export interface DecodeImagesOptions {
  /** Output width in pixels (e.g. 32 for a CIFAR-sized model). */
  width: number;
  /** Output height in pixels (default: `width`). */
  height?: number;
}

/**
 * The largest centred window of a `sourceWidth × sourceHeight` image with the target's aspect
 * ratio: what `decodeImages` scales down, so photos are cropped, never squashed.
 */
export function centerCrop(sourceWidth: number, sourceHeight: number, width: number, height: number): { sx: number; sy: number; sw: number; sh: number } {
  const scale = Math.min(sourceWidth / width, sourceHeight / height);
  const sw = width * scale;
  const sh = height * scale;
  return { sx: (sourceWidth - sw) / 2, sy: (sourceHeight - sh) / 2, sw, sh };
}

/**
 * Decodes images in a browser (or a worker) with its own codecs, centre-cropped to the target's
 * aspect ratio and scaled to `width × height`, as `ImageData` ready for `imagesToDataset`. Colours
 * are kept as stored (no colour-space conversion, alpha not premultiplied), so a lossless PNG of
 * a dataset image comes back with the same bytes. Needs `createImageBitmap` and `OffscreenCanvas`
 * (every current browser, in pages and workers); in Node use `loadImages` of `@selfsup/datasets`.
 */
export async function decodeImages(sources: readonly BrowserImageSource[], options: DecodeImagesOptions): Promise<ImageData[]> {
  const { width, height = width } = options;
  if (![width, height].every((n) => Number.isInteger(n) && n > 0)) {
    throw new ArgumentError({ code: 'DATA_BAD_SIZE', problem: `decodeImages() size ${width}×${height}`, fix: 'pass a positive integer width (and height), e.g. { width: 32 }' });
  }
  if (typeof createImageBitmap !== 'function' || typeof OffscreenCanvas !== 'function') {
    throw new ArgumentError({
      code: 'DATA_NO_BROWSER',
      problem: 'decodeImages() needs createImageBitmap and OffscreenCanvas, which this runtime lacks',
      fix: "call it in a browser page or worker; in Node use loadImages() of '@selfsup/datasets'",
    });
  }
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (context == null) throw new ArgumentError({ code: 'DATA_NO_BROWSER', problem: 'OffscreenCanvas has no 2d context here', fix: 'use a browser with OffscreenCanvas 2d support' });
  const images: ImageData[] = [];
  for (const [i, source] of sources.entries()) {
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(source, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
    } catch (error) {
      const name = (source as { name?: string }).name ?? `image ${i}`;
      throw new ArgumentError({
        code: 'DATA_BAD_IMAGE',
        problem: `${name} could not be decoded (${error instanceof Error ? error.message : String(error)})`,
        fix: 'pass PNG, JPEG, WebP, GIF or BMP files, or drop the ones that are not images',
      });
    }
    const { sx, sy, sw, sh } = centerCrop(bitmap.width, bitmap.height, width, height);
    context.clearRect(0, 0, width, height);
    context.drawImage(bitmap, sx, sy, sw, sh, 0, 0, width, height);
    bitmap.close();
    images.push(context.getImageData(0, 0, width, height));
  }
  return images;
}
