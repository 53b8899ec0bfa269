import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { describe, expect, it } from 'vitest';
import { on, relativeError, values } from '../../test/helpers';
import { registerWasmTrainingKernels } from '../register';

registerWasmTrainingKernels();

// Batch-norm statistics (NHWC over [0, 1, 2], keepDims both ways), other leading prefixes,
// and patterns that go to the stock kernel (inner axes, all axes, int32).
const reductions: { shape: number[]; axis: number | number[]; keepDims: boolean }[] = [
  { shape: [64, 6, 5, 7], axis: [0, 1, 2], keepDims: false },
  { shape: [1, 6, 5, 7], axis: [2, 0, 1], keepDims: true },
  { shape: [64, 9], axis: 0, keepDims: false },
  { shape: [4, 3, 5], axis: [0, 1], keepDims: true },
  { shape: [4, 3, 5], axis: [1, 2], keepDims: false },
  { shape: [4, 3, 5], axis: -1, keepDims: false },
  { shape: [4, 3, 5], axis: [0, 1, 2], keepDims: false },
];

describe('Sum and Mean on wasm match the cpu backend', () => {
  for (const [i, r] of reductions.entries()) {
    it(`shape [${r.shape}] axis ${JSON.stringify(r.axis)} keepDims ${r.keepDims}`, async () => {
      const v = values(r.shape.reduce((a, b) => a * b), createRng(40 + i));
      const f = () =>
        tf.tidy(() => {
          const x = tf.tensor(v, r.shape);
          return [tf.sum(x, r.axis, r.keepDims), tf.mean(x, r.axis, r.keepDims)];
        });
      const cpu = await on('cpu', f);
      const shapes = await (async () => {
        await tf.setBackend('wasm');
        return tf.tidy(() => f().map((t) => t.shape));
      })();
      const wasm = await on('wasm', f);
      const cpuShapes = await (async () => {
        await tf.setBackend('cpu');
        return tf.tidy(() => f().map((t) => t.shape));
      })();
      expect(shapes).toEqual(cpuShapes);
      expect(relativeError(wasm[0], cpu[0])).toBeLessThan(1e-5);
      expect(relativeError(wasm[1], cpu[1])).toBeLessThan(1e-5);
    });
  }

  it('a batch-norm-sized reduction (65,536 rows) matches a float64 sum within 1e-5', async () => {
    await tf.setBackend('wasm');
    const shape = [64, 32, 32, 8];
    const v = values(shape.reduce((a, b) => a * b), createRng(77)).map((a) => a + 3); // mean ≫ spread
    const exact = new Float64Array(8);
    v.forEach((a, i) => (exact[i % 8] += a));
    const [sum, mean] = tf.tidy(() => {
      const x = tf.tensor(v, shape);
      return [tf.sum(x, [0, 1, 2]), tf.mean(x, [0, 1, 2])];
    });
    const rows = v.length / 8;
    const s = await sum.data();
    const m = await mean.data();
    tf.dispose([sum, mean]);
    for (let c = 0; c < 8; c++) {
      expect(Math.abs(s[c] - exact[c]) / Math.abs(exact[c])).toBeLessThan(1e-5);
      expect(Math.abs(m[c] - exact[c] / rows) / Math.abs(exact[c] / rows)).toBeLessThan(1e-5);
    }
  });

  it('int32 sums stay exact and int32', async () => {
    await tf.setBackend('wasm');
    const s = tf.sum(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], 'int32'), 0);
    expect(s.dtype).toBe('int32');
    expect(Array.from(await s.data())).toEqual([9, 12]);
    s.dispose();
  });
});
