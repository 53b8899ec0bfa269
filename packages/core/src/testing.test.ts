import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { expectNoTensorLeak } from './testing';

describe('expectNoTensorLeak', () => {
  it('passes a tidy computation and disposes what it returns', async () => {
    const x = tf.ones([3]);
    await expect(expectNoTensorLeak(() => tf.tidy(() => tf.add(tf.mul(x, 2), 1)))).resolves.toBeTypeOf('number');
    await expect(expectNoTensorLeak(async () => ({ y: tf.add(x, x) }))).resolves.toBeTypeOf('number');
    x.dispose();
  });

  it('catches a computation that leaks an intermediate', async () => {
    const x = tf.ones([3]);
    const kept: tf.Tensor[] = [];
    await expect(
      expectNoTensorLeak(() => {
        kept.push(tf.square(x)); // kept alive across calls: a leak
      }),
    ).rejects.toThrow(/tensor leak: call 2 changed tf.memory\(\).numTensors/);
    tf.dispose([...kept, x]);
  });
});
