import { DataError, formatBytes } from '../errors';

/**
 * The CIFAR binary format (https://www.cs.toronto.edu/~kriz/cifar.html): fixed-size records of
 * label byte(s) followed by 3072 pixel bytes, the 32×32 red plane, then green, then blue (CHW,
 * row-major). CIFAR-10 has one label byte; CIFAR-100 has a coarse then a fine label byte.
 */
export const CIFAR_IMAGE_BYTES = 3072;
const SIDE = 32;
const PLANE = SIDE * SIDE;

export interface CifarVariant {
  name: string;
  labelBytes: 1 | 2;
  /** Number of classes for each label byte, in file order. */
  classes: readonly number[];
}

export const CIFAR10_FORMAT: CifarVariant = { name: 'CIFAR-10', labelBytes: 1, classes: [10] };
export const CIFAR100_FORMAT: CifarVariant = { name: 'CIFAR-100', labelBytes: 2, classes: [20, 100] };

export interface CifarRecords {
  /** NHWC uint8, `count × 32 × 32 × 3`. */
  images: Uint8Array;
  /** One Int32Array per label byte (CIFAR-100: `[coarse, fine]`). */
  labels: Int32Array[];
  count: number;
}

export interface ParseContext {
  /** The file name used in error messages. */
  file: string;
  /** What the user should do if the file is bad. */
  fix?: string;
  /** Records the file must hold (e.g. 10,000 per CIFAR-10 batch), when known. */
  expectedRecords?: number;
}

/** Parses a CIFAR binary file into NHWC images and integer labels. */
export function parseCifar(bytes: Uint8Array, variant: CifarVariant, context: ParseContext): CifarRecords {
  const record = variant.labelBytes + CIFAR_IMAGE_BYTES;
  const fix = context.fix ?? `delete ${context.file} and fetch the dataset again`;
  const expectedBytes = context.expectedRecords !== undefined ? context.expectedRecords * record : undefined;
  if (bytes.length === 0 || bytes.length % record !== 0 || (expectedBytes !== undefined && bytes.length !== expectedBytes)) {
    throw new DataError({
      code: 'DATA_TRUNCATED',
      problem: `${variant.name} file ${context.file} is ${formatBytes(bytes.length)} bytes, expected ${
        expectedBytes !== undefined ? formatBytes(expectedBytes) : `a non-zero multiple of ${formatBytes(record)}`
      } (${variant.labelBytes} label byte(s) + 3,072 pixel bytes per image)`,
      fix,
    });
  }
  const count = bytes.length / record;
  const images = new Uint8Array(count * CIFAR_IMAGE_BYTES);
  const labels = variant.classes.map(() => new Int32Array(count));
  for (let n = 0; n < count; n++) {
    const base = n * record;
    for (let k = 0; k < variant.labelBytes; k++) {
      const label = bytes[base + k];
      if (label >= variant.classes[k]) {
        throw new DataError({
          code: 'DATA_BAD_FORMAT',
          problem: `${variant.name} file ${context.file} has label ${label} in record ${n} (byte ${base + k}), expected 0..${variant.classes[k] - 1}: the file is corrupted or not in the ${variant.name} binary format`,
          fix,
        });
      }
      labels[k][n] = label;
    }
    const pixels = base + variant.labelBytes;
    const out = n * CIFAR_IMAGE_BYTES;
    for (let p = 0; p < PLANE; p++) {
      images[out + 3 * p] = bytes[pixels + p];
      images[out + 3 * p + 1] = bytes[pixels + PLANE + p];
      images[out + 3 * p + 2] = bytes[pixels + 2 * PLANE + p];
    }
  }
  return { images, labels, count };
}

/** Writes NHWC images and labels in the CIFAR binary layout (used to build CIFAR-10 from PNGs, and by tests). */
export function encodeCifar(images: Uint8Array, labels: readonly ArrayLike<number>[], variant: CifarVariant): Uint8Array {
  const count = images.length / CIFAR_IMAGE_BYTES;
  const record = variant.labelBytes + CIFAR_IMAGE_BYTES;
  const out = new Uint8Array(count * record);
  for (let n = 0; n < count; n++) {
    const base = n * record;
    for (let k = 0; k < variant.labelBytes; k++) out[base + k] = labels[k][n];
    const pixels = base + variant.labelBytes;
    const src = n * CIFAR_IMAGE_BYTES;
    for (let p = 0; p < PLANE; p++) {
      out[pixels + p] = images[src + 3 * p];
      out[pixels + PLANE + p] = images[src + 3 * p + 1];
      out[pixels + 2 * PLANE + p] = images[src + 3 * p + 2];
    }
  }
  return out;
}

/** Class-name files (`batches.meta.txt`, `fine_label_names.txt`): one name per line, blanks ignored. */
export function parseNameList(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}
