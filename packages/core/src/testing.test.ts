import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { createRng } from './rng';
import { expectClose, expectNoTensorLeak, maxAbsDiff, randomValues, relativeError, resultsOn } from './testing';
import { describeOnBackends } from './vitest';

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

describe('expectClose, relativeError, maxAbsDiff', () => {
  it('measure the error against the reference and name the worst entry', () => {
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 2])).toBe(1);
    expect(relativeError([1, 2, 3], [1, 2.5, 2])).toBeCloseTo(1 / 2.5, 12);
    expect(relativeError([0, 0], [0, 0])).toBe(0);
    const t = tf.tensor1d([10, 20.0001]);
    expect(() => expectClose(t, [10, 20], { relative: 1e-5 })).not.toThrow(); // 1e-4 / 20 = 5e-6
    expect(() => expectClose(t, [10, 20], { relative: 1e-6 })).toThrow(/worst at \[1\]: 20\.000\d+ vs 20/);
    expect(() => expectClose([1e-9], [0], { absolute: 1e-8 })).not.toThrow();
    expect(() => expectClose([NaN, 1], [0, 1])).toThrow(/worst at \[0\]: NaN vs 0/);
    expect(() => maxAbsDiff([1], [1, 2])).toThrow(/1 values against 2/);
    t.dispose();
  });
});

describe('randomValues, resultsOn', () => {
  it('draw the same values in [−1, 1) for the same seed, and others for another', () => {
    const a = randomValues(1000, createRng(5));
    expect(Array.from(randomValues(1000, createRng(5)))).toEqual(Array.from(a));
    expect(maxAbsDiff(randomValues(1000, createRng(6)), a)).toBeGreaterThan(0.5);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a)).toBeLessThan(1);
    expect(Math.min(...a)).toBeLessThan(-0.9); // spread over the range, not a constant
  });

  it('run a computation on the named backend and return plain arrays, tensors disposed', async () => {
    const before = tf.memory().numTensors;
    const [sum, doubled] = await resultsOn('cpu', () =>
      tf.tidy(() => {
        const x = tf.tensor1d([1, 2, 3]);
        return [tf.sum(x), tf.mul(x, 2)];
      }),
    );
    expect(tf.getBackend()).toBe('cpu');
    expect(Array.from(sum)).toEqual([6]);
    expect(Array.from(doubled)).toEqual([2, 4, 6]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describeOnBackends('describeOnBackends', (backend) => {
  it('runs the suite on its backend', () => {
    expect(tf.getBackend()).toBe(backend);
  });
});
