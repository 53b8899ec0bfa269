import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint, loadLatestCheckpoint, saveCheckpoint } from './checkpoint';

const sample = (step: number): Checkpoint => ({
  step,
  meta: { epoch: 1, optimizer: { iterations: step }, note: 'ünïcode' },
  tensors: {
    'backbone/conv1.weight': { dtype: 'float32', shape: [2, 3], data: new Float32Array([1, -2.5, 3e-8, Math.PI, 0, -0]) },
    'optimizer/step': { dtype: 'int32', shape: [1], data: new Int32Array([step]) },
  },
});

describe('checkpoints', () => {
  it('round-trips tensors bit-exactly and state as JSON', () => {
    const decoded = decodeCheckpoint(encodeCheckpoint(sample(7)));
    expect(decoded.step).toBe(7);
    expect(decoded.meta).toEqual(sample(7).meta);
    const w = decoded.tensors['backbone/conv1.weight'];
    expect(w.shape).toEqual([2, 3]);
    expect(new Uint32Array(w.data.buffer)).toEqual(new Uint32Array(sample(7).tensors['backbone/conv1.weight'].data.buffer));
    expect(Array.from(decoded.tensors['optimizer/step'].data)).toEqual([7]);
  });

  it('writes the safetensors layout (8-byte length, JSON header, aligned data)', () => {
    const bytes = encodeCheckpoint(sample(1));
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString());
    expect(header['backbone/conv1.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(bytes.length).toBe(8 + headerLength + 24 + 4);
  });

  it('keeps the newest two and resumes from the newest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'selfsup-ckpt-'));
    for (const step of [10, 20, 30]) await saveCheckpoint(dir, sample(step));
    expect(readdirSync(dir).sort()).toEqual(['step-000020.safetensors', 'step-000030.safetensors']);
    expect(loadLatestCheckpoint(dir)?.step).toBe(30);
    expect(loadLatestCheckpoint(join(dir, 'none'))).toBeUndefined();
  });

  it('refuses a truncated file with the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'selfsup-ckpt-'));
    const file = await saveCheckpoint(dir, sample(40));
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 5));
    expect(() => loadLatestCheckpoint(dir)).toThrow(/runs past the end of the file \(truncated\)\): delete .*step-000040/);
    writeFileSync(file, bytes.subarray(0, 20));
    expect(() => loadLatestCheckpoint(dir)).toThrow(/truncated header/);
    expect(existsSync(file)).toBe(true);
  });
});
