import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../register';

beforeAll(async () => {
  registerWasmTrainingKernels();
  await tf.setBackend('wasm');
});

describe('Identity and Cast on wasm', () => {
  it('return the input values, and the input outlives the output and vice versa', async () => {
    const x = tf.tensor2d([1.5, -2, 3, 4], [2, 2]);
    const a = tf.clone(x);
    const b = tf.cast(x, 'float32');
    x.dispose();
    expect(Array.from(await a.data())).toEqual([1.5, -2, 3, 4]);
    a.dispose();
    expect(Array.from(await b.data())).toEqual([1.5, -2, 3, 4]);
    b.dispose();
  });

  it('casts that change dtype still convert', async () => {
    const x = tf.tensor1d([1.7, -2.2, 0, 0.5]);
    const i = tf.cast(x, 'int32');
    const bool = tf.cast(x, 'bool');
    expect(i.dtype).toBe('int32');
    expect(Array.from(await i.data())).toEqual([1, -2, 0, 0]);
    expect(Array.from(await bool.data())).toEqual([1, 1, 0, 1]); // as on cpu; stock wasm: [1, 254, 0, 0]
    tf.dispose([x, i, bool]);
  });

  it('leak no memory: shared data is freed when its last tensor goes', async () => {
    const x = tf.ones([64, 64]);
    const bytes = tf.memory().numBytes;
    await expectNoTensorLeak(() => tf.tidy(() => tf.add(tf.clone(tf.cast(x, 'float32')), 1)));
    expect(tf.memory().numBytes).toBe(bytes);
    x.dispose();
  });
});
