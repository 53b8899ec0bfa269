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
