import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from './safetensors';

/** The header as the format defines it, read by hand (not by the decoder under test). */
function rawHeader(file: Uint8Array): { length: number; json: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }> } {
  const length = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  return { length, json: JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + length))) };
}

describe('encodeSafetensors', () => {
  const tensors = {
    'b.weight': { dtype: 'F32' as const, shape: [2, 3], data: Float32Array.from([1, -2, 0.5, 3.25, 1e-8, -0]) },
    'a.count': { dtype: 'I64' as const, shape: [], data: BigInt64Array.from([7n]) },
    'c.index': { dtype: 'I32' as const, shape: [3], data: Int32Array.from([-1, 0, 2 ** 31 - 1]) },
  };

  it('writes the format: aligned header, sorted names, contiguous little-endian data', () => {
    const file = encodeSafetensors(tensors, { format: 'test' });
    const { length, json } = rawHeader(file);
    expect(length % 8).toBe(0);
    expect(Object.keys(json)).toEqual(['__metadata__', 'a.count', 'b.weight', 'c.index']);
    expect(json['a.count']).toEqual({ dtype: 'I64', shape: [], data_offsets: [0, 8] });
    expect(json['b.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [8, 32] });
    expect(json['c.index']).toEqual({ dtype: 'I32', shape: [3], data_offsets: [32, 44] });
    expect(file.length).toBe(8 + length + 44);
    const data = new DataView(file.buffer, 8 + length);
    expect(data.getBigInt64(0, true)).toBe(7n);
    expect(data.getFloat32(8 + 4 * 3, true)).toBe(3.25);
    expect(data.getInt32(32 + 8, true)).toBe(2 ** 31 - 1);
  });

  it('round-trips through decodeSafetensors bit for bit, with the metadata', () => {
    const { tensors: read, metadata } = decodeSafetensors(encodeSafetensors(tensors, { format: 'test', n: '1' }));
    expect(metadata).toEqual({ format: 'test', n: '1' });
    expect([...read.keys()]).toEqual(['a.count', 'b.weight', 'c.index']);
    const weight = read.get('b.weight')!;
    expect(weight.shape).toEqual([2, 3]);
    expect(new Float32Array(weight.bytes.slice().buffer)).toEqual(tensors['b.weight'].data);
    expect(Object.is(new Float32Array(weight.bytes.slice().buffer)[5], -0)).toBe(true);
  });

  it('refuses data that does not fill its shape', () => {
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } })).toThrow(/w has 3 values but shape \[2, 2\] needs 4/);
  });
});

describe('decodeSafetensors', () => {
  it('names the file and what is wrong, with the reason apart', () => {
    const good = encodeSafetensors({ w: { dtype: 'F32', shape: [4], data: new Float32Array(4) } });
    const truncated = good.subarray(0, good.length - 4);
    try {
      decodeSafetensors(truncated, 'model.safetensors');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(SafetensorsError);
      expect((error as SafetensorsError).code).toBe('SAFETENSORS_BAD_FILE');
      expect((error as SafetensorsError).message).toMatch(/^model\.safetensors has tensor w, which runs past the end of the file \(truncated\)/);
      expect((error as SafetensorsError).reason).toBe('has tensor w, which runs past the end of the file (truncated)');
    }
    expect(() => decodeSafetensors(good.subarray(0, 12))).toThrow(/truncated header/);
  });
});
