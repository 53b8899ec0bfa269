import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { describe, expect, it, vi } from 'vitest';
import { on, relativeError, values } from '../test/helpers';
import { setupWasmTraining } from './node';
import { registerThreadedWasmBackend } from './threads';

describe('threaded wasm in Node', () => {
  it('rejects thread counts the binary cannot serve', () => {
    expect(() => registerThreadedWasmBackend({ threads: 9 })).toThrow(/from 1 to 8/);
    expect(() => registerThreadedWasmBackend({ threads: 0 })).toThrow(/WASM|from 1 to 8/);
  });

  it('runs XNNPACK on 2 threads and computes what the cpu backend computes', async () => {
    // The Emscripten runtime's process handlers are removed (they print its minified source
    // above any uncaught error); handlers that were there before, like this one, stay.
    const handlers = () => [process.listeners('uncaughtException'), process.listeners('unhandledRejection')];
    const mine = () => {};
    process.on('unhandledRejection', mine);
    const before = handlers();
    // Replacing the stock registration must not start it (tf.findBackend('wasm') would: its
    // runtime then adds handlers too, and if it finishes first it takes the name 'wasm').
    const stock = vi.fn(tf.findBackendFactory('wasm'));
    tf.removeBackend('wasm');
    tf.registerBackend('wasm', stock);
    const setup = await setupWasmTraining({ threads: 2 });
    const after = handlers();
    process.removeListener('unhandledRejection', mine);
    expect(stock).not.toHaveBeenCalled();
    expect(after).toEqual(before);
    expect(after[1]).toContain(mine);
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
