import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { describe, expect, it } from 'vitest';
import { on, relativeError, values } from '../test/helpers';
import { setupWasmTraining } from './node';
import { registerThreadedWasmBackend } from './threads';

describe('threaded wasm in Node', () => {
  it('rejects thread counts the binary cannot serve', () => {
    expect(() => registerThreadedWasmBackend({ threads: 9 })).toThrow(/from 1 to 8/);
    expect(() => registerThreadedWasmBackend({ threads: 0 })).toThrow(/WASM|from 1 to 8/);
  });

  it('runs XNNPACK on 2 threads and computes what the cpu backend computes', async () => {
    const setup = await setupWasmTraining({ threads: 2 });
    expect(setup.threads).toBe(2);
    expect(tf.getBackend()).toBe('wasm');
    const rng = createRng(11);
    const xv = values(8 * 9 * 9 * 6, rng.fork('x'));
    const wv = values(3 * 3 * 6 * 7, rng.fork('w'));
    const f = () =>
      tf.tidy(() => {
        const x = tf.tensor4d(xv, [8, 9, 9, 6]);
        const w = tf.tensor4d(wv, [3, 3, 6, 7]);
        const loss = (a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.square(tf.relu(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))));
        return [tf.conv2d(x, w, 1, 'same'), ...tf.grads(loss)([x, w])];
      });
    const wasm = await on('wasm', f);
    const cpu = await on('cpu', f);
    for (let i = 0; i < cpu.length; i++) expect(relativeError(wasm[i], cpu[i])).toBeLessThan(1e-4);
  });

  it('refuses to replace a wasm backend that is already running', () => {
    expect(() => registerThreadedWasmBackend({ threads: 2 })).toThrow(/before tf.setBackend/);
  });
});
