import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { describeOnBackends } from '@selfsup/core/vitest';
import { describe, expect, it } from 'vitest';
import fixture from '../test/fixtures/knn.json';
import { knnLoop } from '../test/reference';
import { EvalError } from './errors';
import { knnAccuracy, knnPredict } from './knn';

describeOnBackends('knnAccuracy against PyTorch', () => {
  for (const c of fixture.cases) {
    it(`predicts exactly the PyTorch monitor's labels (k=${c.k}, τ=${c.temperature})`, async () => {
      const bank = tf.tensor2d(fixture.bank);
      const query = tf.tensor2d(fixture.query);
      const result = await knnAccuracy(bank, fixture.bankLabels, query, fixture.queryLabels, {
        k: c.k,
        temperature: c.temperature,
        numClasses: fixture.classes,
      });
      tf.dispose([bank, query]);
      expect(Array.from(result.predictions)).toEqual(c.predictions);
      expect(result.accuracy).toBeCloseTo(c.accuracy, 12);
      expect(result.k).toBe(c.k);
    });
  }
});

describe('knnAccuracy', () => {
  it('matches a direct float64 loop, and chunking over bank and queries changes nothing', async () => {
    const c = fixture.cases[1];
    const expected = knnLoop(fixture.bank, fixture.bankLabels, fixture.query, c.k, c.temperature, fixture.classes);
    expect(expected).toEqual(c.predictions); // the two references agree with each other
    const bank = tf.tensor2d(fixture.bank);
    const query = tf.tensor2d(fixture.query);
    for (const [queryChunk, bankChunk] of [[7, 33], [120, 400], [1, 1000], [50, 20]]) {
      const { predictions } = await knnPredict(bank, tf.tensor1d(fixture.bankLabels, 'int32'), query, {
        k: c.k,
        temperature: c.temperature,
        queryChunk,
        bankChunk,
      });
      expect(Array.from(predictions), `chunks ${queryChunk}x${bankChunk}`).toEqual(expected);
    }
    tf.dispose([bank, query]);
  });

  it('equals the direct loop on random data with many classes and k above the bank size', async () => {
    const rng = createRng(3).fork('knn-test');
    const rows = (n: number, d: number) => Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));
    const bankRows = rows(90, 6);
    const labels = bankRows.map(() => rng.int(0, 13));
    const queryRows = rows(41, 6);
    const expected = knnLoop(bankRows, labels, queryRows, 90, 0.2, 13);
    const bank = tf.tensor2d(bankRows);
    const query = tf.tensor2d(queryRows);
    const { predictions, k } = await knnPredict(bank, labels, query, { k: 500, temperature: 0.2, numClasses: 13, bankChunk: 25 });
    tf.dispose([bank, query]);
    expect(k).toBe(90);
    expect(Array.from(predictions)).toEqual(expected);
  });

  it('keeps the tensor count flat', async () => {
    const bank = tf.tensor2d(fixture.bank);
    const query = tf.tensor2d(fixture.query);
    await expectNoTensorLeak(() => knnAccuracy(bank, fixture.bankLabels, query, fixture.queryLabels, { k: 10, bankChunk: 64, queryChunk: 32 }));
    tf.dispose([bank, query]);
  });

  it('rejects mismatched shapes and labels with a fix', async () => {
    const bank = tf.zeros([4, 3]) as tf.Tensor2D;
    const query = tf.zeros([2, 5]) as tf.Tensor2D;
    await expect(knnPredict(bank, [0, 1, 0, 1], query)).rejects.toThrow(/same network layer/);
    await expect(knnPredict(bank, [0, 1, 0], bank)).rejects.toBeInstanceOf(EvalError);
    await expect(knnPredict(bank, [0, 1, 0, 1], bank, { k: 0 })).rejects.toThrow(/k is 0/);
    await expect(knnPredict(bank, [0, 1, 0, 5], bank, { numClasses: 3 })).rejects.toThrow(/numClasses/);
    tf.dispose([bank, query]);
  });
});
