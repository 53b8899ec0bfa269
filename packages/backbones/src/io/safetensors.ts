import { BackboneError } from '../errors';

/** One tensor of a safetensors file: its dtype, shape and raw little-endian bytes. */
export interface SafetensorsTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

const BYTES_PER_ELEMENT: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/**
 * Parses a safetensors file (https://github.com/huggingface/safetensors): an unsigned 64-bit
 * little-endian header length, a JSON header `{name: {dtype, shape, data_offsets}}` and the raw
 * data. Tensors are views into `file`, not copies.
 */
export function readSafetensors(file: Uint8Array | ArrayBuffer, source = 'safetensors file'): Map<string, SafetensorsTensor> {
  return parseSafetensors(file, source).tensors;
}

/** `readSafetensors`, plus the header's `__metadata__` (string to string; empty when absent). */
export function parseSafetensors(
  file: Uint8Array | ArrayBuffer,
  source = 'safetensors file',
): { tensors: Map<string, SafetensorsTensor>; metadata: Record<string, string> } {
  const bytes = file instanceof Uint8Array ? file : new Uint8Array(file);
  const bad = (problem: string) =>
    new BackboneError({
      code: 'SAFETENSORS_BAD_FILE',
      problem: `${source} ${problem}`,
      fix: 'pass the bytes of a .safetensors file written by safetensors.torch.save_file (or an equivalent writer)',
    });
  if (bytes.length < 8) throw bad(`is ${bytes.length} bytes, shorter than its 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) throw bad(`declares a ${headerLength}-byte header but has ${bytes.length - 8} bytes after the length`);
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
    const { dtype, shape, data_offsets: offsets } = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    const width = BYTES_PER_ELEMENT[dtype];
    if (width === undefined) throw bad(`stores ${name} as unknown dtype ${String(dtype)}`);
    const count = shape.reduce((a, b) => a * b, 1);
    const [begin, end] = offsets;
    if (end - begin !== count * width || dataStart + end > bytes.length || begin < 0) {
      throw bad(`has tensor ${name} (${dtype}[${shape.join(', ')}]) with data_offsets [${begin}, ${end}] that do not fit`);
    }
    tensors.set(name, { dtype, shape: [...shape], bytes: bytes.subarray(dataStart + begin, dataStart + end) });
  }
  return { tensors, metadata };
}

/** Converts a floating-point safetensors tensor to float32 (F32, F64, F16, BF16). */
export function toFloat32(name: string, tensor: SafetensorsTensor): Float32Array {
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
      throw new BackboneError({
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
