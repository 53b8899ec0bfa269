import * as tf from '@tensorflow/tfjs-core';
import type { ImageBatch } from '@selfsup/core';
import { AugmentError } from '../errors';
import { batchOf } from '../params';
import { takeRows } from '../select';

/** `hflip`: mirrors every image left-right. */
export function horizontalFlip(images: ImageBatch): ImageBatch {
  batchOf(images);
  return tf.reverse(images, 2);
}

/** A crop box in pixels: rows [top, top + height), columns [left, left + width). */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** Output size: a number for a square, or [height, width]. */
export type Size = number | readonly [number, number];

export function sizeOf(size: Size, op: string): [number, number] {
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new AugmentError({
      code: 'AUGMENT_BAD_SIZE',
      problem: `${op} got output size ${JSON.stringify(size)}`,
      fix: 'pass a positive integer (square) or [height, width] of positive integers',
    });
  }
  return [h, w];
}

const f32 = Math.fround;

/**
 * Source taps of torch's bilinear `interpolate(align_corners=False, antialias=False)` along one
 * axis of a crop: for each output index, the two input indices (crop-relative, plus offset) and their
 * weights, computed in float32 as torch does (half-pixel centres, negative positions clamped to 0,
 * the upper tap clamped to the last row of the crop).
 */
function linearTaps(inSize: number, outSize: number, out: { i0: number[]; i1: number[]; w0: number[]; w1: number[] }, offset: number) {
  const scale = f32(inSize / outSize);
  for (let d = 0; d < outSize; d++) {
    const src = Math.max(f32(f32(scale * f32(d + 0.5)) - 0.5), 0);
    const i0 = Math.floor(src);
    const lambda1 = Math.min(Math.max(f32(src - i0), 0), 1);
    out.i0.push(offset + i0);
    out.i1.push(offset + i0 + (i0 < inSize - 1 ? 1 : 0));
    out.w0.push(f32(1 - lambda1));
    out.w1.push(lambda1);
  }
}

/**
 * `resized_crop` with bilinear interpolation, antialias=False by default (torchvision 0.14's
 * default for tensors) or true: crops box i out of image i and resizes it to `size`, for the
 * whole batch at once.
 * Boxes must lie inside the image.
 */
export function resizedCrop(
  images: ImageBatch,
  boxes: readonly CropBox[],
  size: Size,
  options: ResizeOptions = {},
): ImageBatch {
  return resizedCropFlip(images, boxes, size, null, options);
}

export interface ResizeOptions {
  /**
   * torch's `antialias=True` (PIL's filter): when a crop is shrunk, each output pixel averages
   * all input pixels under a triangle stretched by the scale. Default false (torchvision 0.14's
   * tensor default); upscaling is the same either way.
   */
  antialias?: boolean;
}

/**
 * Weights of torch's antialiased bilinear resize (`_compute_indices_weights_aa`, PIL's
 * algorithm) along one axis of a crop, as rows of a dense [outSize, fullSize] matrix written
 * into `into` at `at`: support = max(scale, 1), triangle filter, weights normalised per output.
 */
function antialiasWeights(inSize: number, outSize: number, offset: number, fullSize: number, into: Float32Array, at: number, reverse: boolean) {
  const scale = inSize / outSize;
  const support = scale >= 1 ? scale : 1;
  const invscale = scale >= 1 ? 1 / scale : 1;
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
    const w: number[] = [];
    for (let j = xmin; j < xmax; j++) w.push(Math.max(0, 1 - Math.abs((j - center + 0.5) * invscale)));
    const total = w.reduce((a, b) => a + b, 0);
    const row = at + (reverse ? outSize - 1 - i : i) * fullSize;
    w.forEach((v, k) => (into[row + offset + xmin + k] = total !== 0 ? v / total : v));
  }
}

/** The antialiased path: per-image dense weight matrices applied by two batched matMuls. */
function resizedCropAntialias(
  images: ImageBatch,
  boxes: readonly CropBox[],
  outH: number,
  outW: number,
  flip: readonly boolean[] | null,
): ImageBatch {
  const [n, height, width, channels] = images.shape;
  const wy = new Float32Array(n * outH * height);
  const wx = new Float32Array(n * outW * width);
  boxes.forEach((b, i) => {
    antialiasWeights(b.height, outH, b.top, height, wy, i * outH * height, false);
    antialiasWeights(b.width, outW, b.left, width, wx, i * outW * width, flip?.[i] ?? false);
  });
  return tf.tidy(() => {
    const rows = tf.matMul(tf.tensor3d(wy, [n, outH, height]), tf.reshape(images, [n, height, width * channels]));
    const byColumn = tf.reshape(tf.transpose(tf.reshape(rows, [n, outH, width, channels]), [0, 2, 1, 3]), [n, width, outH * channels]);
    const cols = tf.matMul(tf.tensor3d(wx, [n, outW, width]), byColumn); // [N, outW, outH·C]
    return tf.transpose(tf.reshape(cols, [n, outW, outH, channels]), [0, 2, 1, 3]) as tf.Tensor4D;
  });
}

/**
 * resizedCrop whose output image i is also mirrored when flip[i]: the mirror is folded into the
 * sampling grid (output column j reads the taps of column W − 1 − j), so it costs nothing and
 * equals horizontalFlip(resizedCrop(...)) exactly.
 */
export function resizedCropFlip(
  images: ImageBatch,
  boxes: readonly CropBox[],
  size: Size,
  flip: readonly boolean[] | null,
  options: ResizeOptions = {},
): ImageBatch {
  const n = batchOf(images);
  const [outH, outW] = sizeOf(size, 'resizedCrop');
  const [, height, width, channels] = images.shape;
  if (boxes.length !== n) {
    throw new AugmentError({
      code: 'AUGMENT_BAD_PARAM_LENGTH',
      problem: `resizedCrop got ${boxes.length} boxes for a batch of ${n} images`,
      fix: 'pass one { top, left, height, width } box per image',
    });
  }
  const rows = { i0: [] as number[], i1: [] as number[], w0: [] as number[], w1: [] as number[] };
  const cols = { i0: [] as number[], i1: [] as number[], w0: [] as number[], w1: [] as number[] };
  boxes.forEach((box, i) => {
    const { top, left, height: bh, width: bw } = box;
    const ok = [top, left, bh, bw].every(Number.isInteger) && top >= 0 && left >= 0 && bh >= 1 && bw >= 1 &&
      top + bh <= height && left + bw <= width;
    if (!ok) {
      throw new AugmentError({
        code: 'AUGMENT_BAD_BOX',
        problem: `resizedCrop box ${i} ${JSON.stringify(box)} does not fit in a ${height}x${width} image`,
        fix: 'pass integer boxes with height, width >= 1 inside the image (randomResizedCrop samples such boxes)',
      });
    }
    if (options.antialias) return;
    linearTaps(bh, outH, rows, top);
    const at = cols.i0.length;
    linearTaps(bw, outW, cols, left);
    if (flip?.[i]) for (const taps of Object.values(cols)) taps.splice(at, outW, ...taps.slice(at).reverse());
  });
  if (options.antialias) return resizedCropAntialias(images, boxes, outH, outW, flip);
  return tf.tidy(() => {
    // Separable: first the rows (whole rows of W·C values), then the columns (pixels of C values).
    const imageRows = tf.reshape(images, [n * height, width * channels]);
    const rowIndex = (idx: number[]) => Int32Array.from(idx, (r, k) => Math.floor(k / outH) * height + r);
    const wy = (w: number[]) => tf.tensor2d(Float32Array.from(w), [n * outH, 1]);
    const blendedRows = tf.add(
      tf.mul(takeRows(imageRows, rowIndex(rows.i0)), wy(rows.w0)),
      tf.mul(takeRows(imageRows, rowIndex(rows.i1)), wy(rows.w1)),
    ); // [N·outH, W·C]
    const pixels = tf.reshape(blendedRows, [n * outH * width, channels]);
    // Pixel (n, i, j) reads column c of row (n, i): index (n·outH + i)·W + c.
    const colIndex = (idx: number[]) => {
      const out = new Int32Array(n * outH * outW);
      for (let row = 0, k = 0; row < n * outH; row++) {
        const base = Math.floor(row / outH) * outW;
        for (let j = 0; j < outW; j++, k++) out[k] = row * width + idx[base + j];
      }
      return tf.tensor3d(out, [n, outH, outW], 'int32');
    };
    const wx = (w: number[]) => tf.tensor4d(Float32Array.from(w), [n, 1, outW, 1]);
    return tf.add(
      tf.mul(takeRows(pixels, colIndex(cols.i0)), wx(cols.w0)),
      tf.mul(takeRows(pixels, colIndex(cols.i1)), wx(cols.w1)),
    ) as tf.Tensor4D;
  });
}
