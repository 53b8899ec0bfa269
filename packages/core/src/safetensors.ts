/**
 * The one safetensors reader and writer of selfsup (https://github.com/huggingface/safetensors):
 * an unsigned 64-bit little-endian header length, a JSON header
 * `{name: {dtype, shape, data_offsets}, __metadata__?: {string: string}}`, then the raw
 * little-endian data. Training checkpoints, PyTorch imports and exports all go through here.
 */
import { SelfsupError } from './errors';

/** Bytes per element of the safetensors dtypes selfsup reads. */
const BYTES_PER_ELEMENT: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** One tensor read from a file: its dtype, shape and raw little-endian bytes (a view, not a copy). */
export interface SafetensorsTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** One tensor to write. `I64` takes a BigInt64Array (PyTorch's `num_batches_tracked`). */
export type SafetensorsInput =
  | { dtype: 'F32'; shape: readonly number[]; data: Float32Array }
  | { dtype: 'I32'; shape: readonly number[]; data: Int32Array }
  | { dtype: 'I64'; shape: readonly number[]; data: BigInt64Array };

/** A safetensors file that cannot be read; `reason` is what is wrong with it, without the file's name. */
export class SafetensorsError extends SelfsupError {
  readonly reason: string;

  constructor(options: ConstructorParameters<typeof SelfsupError>[0] & { reason?: string }) {
    super(options);
    this.reason = options.reason ?? options.problem;
  }
}

/**
 * Parses a safetensors file. Tensors are views into `file`, in the file's order; `metadata` is
 * the header's `__metadata__` (string values only; empty when absent). Throws
 * `SAFETENSORS_BAD_FILE` naming `source` and what does not fit.
 */
export function decodeSafetensors(
  file: Uint8Array | ArrayBuffer,
  source = 'safetensors file',
): { tensors: Map<string, SafetensorsTensor>; metadata: Record<string, string> } {
  const bytes = file instanceof Uint8Array ? file : new Uint8Array(file);
  const bad = (reason: string) =>
    new SafetensorsError({
      code: 'SAFETENSORS_BAD_FILE',
      problem: `${source} ${reason}`,
      reason,
      fix: 'pass the bytes of a .safetensors file written by safetensors.torch.save_file (or an equivalent writer)',
    });
  if (bytes.length < 8) throw bad(`is ${bytes.length} bytes, shorter than its 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) throw bad(`declares a ${headerLength}-byte header but has ${bytes.length - 8} bytes after the length (truncated header)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (cause) {
    throw bad(`has a header that is not JSON (${String(cause)})`);
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, SafetensorsTensor>();
  const metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof entry === 'object' && entry !== null) {
        for (const [key, value] of Object.entries(entry)) if (typeof value === 'string') metadata[key] = value;
      }
      continue;
    }
    const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const width = BYTES_PER_ELEMENT[dtype];
    if (width === undefined) throw bad(`stores ${name} as unknown dtype ${String(dtype)}`);
    if (!Array.isArray(shape) || !Array.isArray(offsets)) throw bad(`has tensor ${name} without a shape or data_offsets`);
    const count = shape.reduce((a, b) => a * b, 1);
    const [begin, end] = offsets;
    if (dataStart + end > bytes.length) throw bad(`has tensor ${name}, which runs past the end of the file (truncated)`);
    if (end - begin !== count * width || begin < 0) {
      throw bad(`has tensor ${name} (${dtype}[${shape.join(', ')}]) with data_offsets [${begin}, ${end}] that do not fit`);
    }
    tensors.set(name, { dtype, shape: [...shape], bytes: bytes.subarray(dataStart + begin, dataStart + end) });
  }
  return { tensors, metadata };
}

/**
 * Serialises tensors (in sorted name order, as safetensors.torch does) with optional string
 * metadata. The header is padded with spaces to a multiple of 8 so every tensor's data stays
 * aligned, as the format allows.
 */
export function encodeSafetensors(tensors: Record<string, SafetensorsInput>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  const names = Object.keys(tensors).sort();
  let offset = 0;
  for (const name of names) {
    const { dtype, shape, data } = tensors[name];
    const count = shape.reduce((a, b) => a * b, 1);
    if (data.length !== count) {
      throw new SafetensorsError({
        code: 'SAFETENSORS_BAD_TENSOR',
        problem: `tensor ${name} has ${data.length} values but shape [${shape.join(', ')}] needs ${count}`,
        fix: 'pass data with as many values as the shape holds',
      });
    }
    header[name] = { dtype, shape: [...shape], data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = json.length + ((8 - (json.length % 8)) % 8);
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let cursor = 8 + headerLength;
  for (const name of names) {
    const { data } = tensors[name];
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), cursor);
    cursor += data.byteLength;
  }
  return out;
}

/** A floating-point tensor (F32, F64, F16, BF16) as float32; other dtypes throw `SAFETENSORS_BAD_DTYPE`. */
export function safetensorsToFloat32(name: string, tensor: SafetensorsTensor): Float32Array {
  const { dtype, bytes } = tensor;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.byteLength / (BYTES_PER_ELEMENT[dtype] ?? 1));
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    case 'F64':
      for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    case 'F16':
      for (let i = 0; i < out.length; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    case 'BF16':
      for (let i = 0; i < out.length; i++) out[i] = bf16ToFloat(view.getUint16(2 * i, true));
      return out;
    default:
      throw new SafetensorsError({
        code: 'SAFETENSORS_BAD_DTYPE',
        problem: `tensor ${name} has dtype ${dtype}, not a floating-point type`,
        fix: 'export the weights as float32 (model.float().state_dict()) before saving',
      });
  }
}

const scratch = new DataView(new ArrayBuffer(4));

function bf16ToFloat(bits: number): number {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
}

function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
