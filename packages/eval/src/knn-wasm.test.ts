/** The kNN monitor on the wasm backend (the workspace default) gives the PyTorch labels too. */
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { knnPredict } from './knn';
import fixture from '../test/fixtures/knn.json';

beforeAll(async () => {
  await tf.setBackend('wasm');
});

describe('knnPredict on wasm', () => {
  it('predicts the PyTorch labels with the bank and queries split into blocks', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const bank = tf.tensor2d(fixture.bank);
    const query = tf.tensor2d(fixture.query);
    for (const c of fixture.cases) {
      const { predictions } = await knnPredict(bank, fixture.bankLabels, query, { k: c.k, temperature: c.temperature, queryChunk: 50, bankChunk: 300 });
      expect(Array.from(predictions), `k=${c.k}`).toEqual(c.predictions);
    }
    tf.dispose([bank, query]);
  });
});
