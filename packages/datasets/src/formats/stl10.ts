import { DataError, formatBytes } from '../errors';
import type { ParseContext } from './cifar';

/**
 * STL-10 binary format (https://cs.stanford.edu/~acoates/stl10/): `*_X.bin` holds images as
 * 3×96×96 uint8 each, every channel plane stored column-major (the readme's Matlab order), so
 * pixel (row r, column c) of channel k is at byte `k·9216 + c·96 + r`. `*_y.bin` holds one
 * byte per image, labels 1..10.
 */
export const STL10_SIDE = 96;
export const STL10_IMAGE_BYTES = 3 * STL10_SIDE * STL10_SIDE;
const PLANE = STL10_SIDE * STL10_SIDE;

/** Converts whole STL-10 images (column-major planes) to NHWC, writing into `out` at image `offset`. */
export function stl10ToNhwc(bytes: Uint8Array, out: Uint8Array, offset = 0): void {
  const count = bytes.length / STL10_IMAGE_BYTES;
  for (let n = 0; n < count; n++) {
    const src = n * STL10_IMAGE_BYTES;
    const dst = (offset + n) * STL10_IMAGE_BYTES;
    for (let k = 0; k < 3; k++) {
      const plane = src + k * PLANE;
      for (let c = 0; c < STL10_SIDE; c++) {
        const column = plane + c * STL10_SIDE;
        for (let r = 0; r < STL10_SIDE; r++) out[dst + (r * STL10_SIDE + c) * 3 + k] = bytes[column + r];
      }
    }
  }
}

/** Checks an STL-10 image file's size and returns its image count. */
export function stl10ImageCount(byteLength: number, context: ParseContext): number {
  const expected = context.expectedRecords !== undefined ? context.expectedRecords * STL10_IMAGE_BYTES : undefined;
  if (byteLength === 0 || byteLength % STL10_IMAGE_BYTES !== 0 || (expected !== undefined && byteLength !== expected)) {
    throw new DataError({
      code: 'DATA_TRUNCATED',
      problem: `STL-10 file ${context.file} is ${formatBytes(byteLength)} bytes, expected ${
        expected !== undefined ? formatBytes(expected) : `a non-zero multiple of ${formatBytes(STL10_IMAGE_BYTES)}`
      } (27,648 bytes per 96×96×3 image)`,
      fix: context.fix ?? `delete ${context.file} and fetch STL-10 again`,
    });
  }
  return byteLength / STL10_IMAGE_BYTES;
}

/** Parses a whole in-memory STL-10 image file to NHWC uint8. */
export function parseStl10Images(bytes: Uint8Array, context: ParseContext): { images: Uint8Array; count: number } {
  const count = stl10ImageCount(bytes.length, context);
  const images = new Uint8Array(bytes.length);
  stl10ToNhwc(bytes, images);
  return { images, count };
}

/** Parses an STL-10 label file (1..10 on disk) to 0-based int32 labels. */
export function parseStl10Labels(bytes: Uint8Array, context: ParseContext): Int32Array {
  const fix = context.fix ?? `delete ${context.file} and fetch STL-10 again`;
  if (context.expectedRecords !== undefined && bytes.length !== context.expectedRecords) {
    throw new DataError({
      code: 'DATA_TRUNCATED',
      problem: `STL-10 file ${context.file} is ${formatBytes(bytes.length)} bytes, expected ${formatBytes(context.expectedRecords)} (one label byte per image)`,
      fix,
    });
  }
  const labels = new Int32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] < 1 || bytes[i] > 10) {
      throw new DataError({
        code: 'DATA_BAD_FORMAT',
        problem: `STL-10 file ${context.file} has label ${bytes[i]} at byte ${i}, expected 1..10`,
        fix,
      });
    }
    labels[i] = bytes[i] - 1;
  }
  return labels;
}

/** Writes NHWC images in the STL-10 column-major layout (for tests and tools). */
export function encodeStl10Images(images: Uint8Array): Uint8Array {
  const out = new Uint8Array(images.length);
  const count = images.length / STL10_IMAGE_BYTES;
  for (let n = 0; n < count; n++) {
    const base = n * STL10_IMAGE_BYTES;
    for (let k = 0; k < 3; k++) {
      for (let c = 0; c < STL10_SIDE; c++) {
        for (let r = 0; r < STL10_SIDE; r++) out[base + k * PLANE + c * STL10_SIDE + r] = images[base + (r * STL10_SIDE + c) * 3 + k];
      }
    }
  }
  return out;
}
