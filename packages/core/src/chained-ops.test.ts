import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';

describe('chained ops', () => {
  it('are missing from tfjs-core alone and registered by importing @selfsup/core', async () => {
    await tf.setBackend('cpu');
    const x = tf.tensor1d([1, 2, 3, 4]);
    // tfjs-core's Tensor type declares x.reshape, but only a registration defines it.
    expect((x as { reshape?: unknown }).reshape).toBeUndefined();
    await import('./index');
    expect(x.reshape([2, 2]).add(1).arraySync()).toEqual([
      [2, 3],
      [4, 5],
    ]);
    expect(tf.variable(x).square().sum().arraySync()).toBe(30);
  });
});
