import { gunzipSync } from 'node:zlib';
import { DataError, formatBytes } from '../errors';
import type { ParseContext } from './cifar';

/**
 * The idx format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): two zero bytes,
 * a type byte (0x08 = unsigned byte, the only one these datasets use), the number of dimensions,
 * then each dimension as a big-endian uint32, then the data, row-major. Files may be gzipped.
 */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Parses an idx file (gzipped or not). `expectedDims` checks the dimension count (1 labels, 3 images). */
export function parseIdx(raw: Uint8Array, context: ParseContext & { expectedDims?: number }): IdxArray {
  const fix = context.fix ?? `delete ${context.file} and fetch the dataset again`;
  let bytes = raw;
  if (isGzip(raw)) {
    try {
      bytes = gunzipSync(raw);
    } catch (error) {
      throw new DataError({
        code: 'DATA_TRUNCATED',
        problem: `gzipped idx file ${context.file} (${formatBytes(raw.length)} bytes) does not decompress: ${(error as Error).message}`,
        fix,
        cause: error,
      });
    }
  }
  const bad = (problem: string) => new DataError({ code: 'DATA_BAD_FORMAT', problem: `idx file ${context.file} ${problem}`, fix });
  if (bytes.length < 4) throw new DataError({ code: 'DATA_TRUNCATED', problem: `idx file ${context.file} is ${bytes.length} bytes, expected at least a 4-byte header`, fix });
  if (bytes[0] !== 0 || bytes[1] !== 0) throw bad(`starts with bytes ${bytes[0]},${bytes[1]}, expected 0,0 (not an idx file)`);
  if (bytes[2] !== UBYTE) throw bad(`has element type 0x${bytes[2].toString(16)}, expected 0x08 (unsigned byte)`);
  const ndim = bytes[3];
  if (context.expectedDims !== undefined && ndim !== context.expectedDims) throw bad(`has ${ndim} dimensions, expected ${context.expectedDims}`);
  const header = 4 + 4 * ndim;
  if (bytes.length < header) throw new DataError({ code: 'DATA_TRUNCATED', problem: `idx file ${context.file} is ${bytes.length} bytes, shorter than its ${header}-byte header`, fix });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let d = 0; d < ndim; d++) dims.push(view.getUint32(4 + 4 * d, false));
  const expectedBytes = header + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expectedBytes) {
    throw new DataError({
      code: 'DATA_TRUNCATED',
      problem: `idx file ${context.file} is ${formatBytes(bytes.length)} bytes${isGzip(raw) ? ' after gunzip' : ''}, expected ${formatBytes(expectedBytes)} for dimensions [${dims.join(', ')}]`,
      fix,
    });
  }
  if (context.expectedRecords !== undefined && dims[0] !== context.expectedRecords) {
    throw bad(`holds ${formatBytes(dims[0])} items, expected ${formatBytes(context.expectedRecords)}`);
  }
  return { dims, data: bytes.subarray(header) };
}

/** Writes an unsigned-byte idx file (for tests and tools). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + data.length);
  const view = new DataView(out.buffer);
  out[2] = UBYTE;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, header);
  return out;
}
