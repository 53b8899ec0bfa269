import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { assertImageBatch, assertLabels } from './types';

describe('shared types', () => {
  it('accepts NHWC float32 batches and int32 labels', () => {
    tf.tidy(() => {
      expect(() => assertImageBatch(tf.zeros([2, 4, 4, 3]))).not.toThrow();
      expect(() => assertLabels(tf.tensor1d([1, 2], 'int32'), 2)).not.toThrow();
    });
  });

  it('rejects other layouts with the fix', () => {
    tf.tidy(() => {
      expect(() => assertImageBatch(tf.zeros([4, 4, 3]))).toThrow(/expandDims/);
      expect(() => assertImageBatch(tf.zeros([1, 4, 4, 3], 'int32'))).toThrow(/tf.div\(tf.cast/);
      expect(() => assertLabels(tf.tensor1d([1, 2], 'float32'), 2)).toThrow(/int32\[2\]/);
      expect(() => assertLabels(tf.tensor1d([1, 2, 3], 'int32'), 2)).toThrow(/expected int32\[2\]/);
    });
  });
});
