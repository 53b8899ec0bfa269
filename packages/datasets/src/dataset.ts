import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, createRng, type ImageBatch } from '@selfsup/core';

/** Label of an image without one (STL-10 unlabeled split, unlabeled image folders). */
export const NO_LABEL = -1;

export interface DatasetBatch {
  /** NHWC float32 in [0, 1]. The caller disposes it. */
  images: ImageBatch;
  /** int32 `[batch]`; -1 for unlabeled images. The caller disposes it. */
  labels: tf.Tensor1D;
  /** Which dataset rows the batch holds, in batch order. */
  indices: Int32Array;
}

export interface BatchOptions {
  batchSize: number;
  /** Seed of the run; the order is a pure function of (seed, epoch). */
  seed?: number;
  epoch?: number;
  /** Default true; false keeps file order. */
  shuffle?: boolean;
  /** Drop a last batch smaller than `batchSize` (default false). */
  dropLast?: boolean;
}

/**
 * The row order of one epoch: a permutation drawn from `createRng(seed).fork('data').fork('epoch-<epoch>')`,
 * so it depends only on (seed, epoch): resuming at epoch 7 gives epoch 7's order.
 */
export function epochOrder(size: number, seed: number, epoch: number): Int32Array {
  if (!Number.isInteger(epoch) || epoch < 0) {
    throw new ArgumentError({ code: 'DATA_BAD_EPOCH', problem: `epoch ${epoch} is not a non-negative integer`, fix: 'count epochs 0, 1, 2, ...' });
  }
  return createRng(seed).fork('data').fork(`epoch-${epoch}`).permutation(size);
}

/**
 * Images stored as uint8 NHWC with int32 labels; float batches are made on demand, so a 50,000-image
 * dataset costs 150 MB, not 600 MB.
 */
export class ImageDataset {
  readonly size: number;

  constructor(
    /** Dataset name, e.g. `cifar10/train`. */
    readonly name: string,
    /** uint8 NHWC, `size × height × width × channels`. */
    readonly images: Uint8Array,
    /** int32 class index per image; -1 where there is none. */
    readonly labels: Int32Array,
    readonly classNames: readonly string[],
    readonly height: number,
    readonly width: number,
    readonly channels: number,
    /** Where each image came from (image folders: the file's path), when known. */
    readonly files?: readonly string[],
  ) {
    this.size = labels.length;
    if (images.length !== this.size * height * width * channels) {
      throw new ArgumentError({
        code: 'DATA_BAD_SHAPE',
        problem: `${name}: ${images.length} image bytes do not make ${this.size} images of ${height}×${width}×${channels}`,
        fix: 'pass one label per image and images as uint8 NHWC',
      });
    }
    if (files !== undefined && files.length !== this.size) {
      throw new ArgumentError({ code: 'DATA_BAD_SHAPE', problem: `${name}: ${files.length} file names for ${this.size} images`, fix: 'pass one file name per image, or none' });
    }
  }

  /** `[size, height, width, channels]`. */
  get shape(): [number, number, number, number] {
    return [this.size, this.height, this.width, this.channels];
  }

  /** Images in a class (label ≥ 0), counted per class index. */
  classCounts(): Int32Array {
    const counts = new Int32Array(this.classNames.length);
    for (const label of this.labels) if (label >= 0 && label < counts.length) counts[label]++;
    return counts;
  }

  /** The uint8 HWC pixels of one image (a view, not a copy). */
  image(index: number): Uint8Array {
    this.checkIndex(index);
    const bytes = this.height * this.width * this.channels;
    return this.images.subarray(index * bytes, (index + 1) * bytes);
  }

  /** Gathers rows into a float32 [0, 1] NHWC batch and int32 labels. */
  toBatch(indices: ArrayLike<number>): DatasetBatch {
    const bytes = this.height * this.width * this.channels;
    const pixels = new Float32Array(indices.length * bytes);
    const labels = new Int32Array(indices.length);
    const rows = Int32Array.from(indices);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      this.checkIndex(row);
      const src = row * bytes;
      const dst = i * bytes;
      for (let b = 0; b < bytes; b++) pixels[dst + b] = this.images[src + b] / 255;
      labels[i] = this.labels[row];
    }
    return {
      images: tf.tensor4d(pixels, [rows.length, this.height, this.width, this.channels], 'float32'),
      labels: tf.tensor1d(labels, 'int32'),
      indices: rows,
    };
  }

  /** Row indices of each batch of an epoch, without making tensors. */
  *batchIndices({ batchSize, seed = 0, epoch = 0, shuffle = true, dropLast = false }: BatchOptions): Generator<Int32Array> {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ArgumentError({ code: 'DATA_BAD_BATCH_SIZE', problem: `batchSize ${batchSize} is not a positive integer`, fix: 'pass e.g. { batchSize: 256 }' });
    }
    let order: Int32Array;
    if (shuffle) order = epochOrder(this.size, seed, epoch);
    else {
      order = new Int32Array(this.size);
      for (let i = 0; i < this.size; i++) order[i] = i;
    }
    for (let start = 0; start < this.size; start += batchSize) {
      const end = Math.min(start + batchSize, this.size);
      if (dropLast && end - start < batchSize) return;
      yield order.subarray(start, end);
    }
  }

  /** One epoch of batches; each batch's tensors belong to the caller (dispose them). */
  *batches(options: BatchOptions): Generator<DatasetBatch> {
    for (const indices of this.batchIndices(options)) yield this.toBatch(indices);
  }

  /** A dataset of the given rows (copied), e.g. a class-balanced subset for a quick probe. */
  subset(indices: ArrayLike<number>, name = `${this.name}[subset]`): ImageDataset {
    const bytes = this.height * this.width * this.channels;
    const images = new Uint8Array(indices.length * bytes);
    const labels = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) {
      const row = indices[i];
      this.checkIndex(row);
      images.set(this.images.subarray(row * bytes, (row + 1) * bytes), i * bytes);
      labels[i] = this.labels[row];
    }
    const files = this.files && Array.from(indices, (row) => this.files![row]);
    return new ImageDataset(name, images, labels, this.classNames, this.height, this.width, this.channels, files);
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.size) {
      throw new ArgumentError({ code: 'DATA_BAD_INDEX', problem: `${this.name}: index ${index} is outside 0..${this.size - 1}`, fix: 'pass row indices of this dataset' });
    }
  }
}
