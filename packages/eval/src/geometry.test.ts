import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { describe, expect, it } from 'vitest';
import { alignmentLoop, uniformityLoop } from '../test/reference';
import { alignment, uniformity } from './geometry';

const rng = createRng(5).fork('geometry-test');
const rows = (n: number, d: number) => Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal()));

describe('alignment and uniformity', () => {
  it('alignment equals a direct loop, and is 0 for identical views', async () => {
    const a = rows(37, 5);
    const b = a.map((r) => r.map((v) => v + 0.3 * rng.normal()));
    const [ta, tb] = [tf.tensor2d(a), tf.tensor2d(b)];
    expect(await alignment(ta, tb)).toBeCloseTo(alignmentLoop(a, b, 2), 5);
    expect(await alignment(ta, tb, { alpha: 1 })).toBeCloseTo(alignmentLoop(a, b, 1), 5);
    expect(await alignment(ta, ta)).toBeCloseTo(0, 6);
    await expect(alignment(ta, tf.tensor2d(rows(3, 5)))).rejects.toThrow(/two views/);
    tf.dispose([ta, tb]);
  });

  it('uniformity equals a direct loop over pairs i<j, whatever the block size', async () => {
    const a = rows(53, 4);
    const expected = uniformityLoop(a, 2);
    const x = tf.tensor2d(a);
    for (const chunk of [1, 7, 53, 1024]) expect(await uniformity(x, { chunk })).toBeCloseTo(expected, 5);
    expect(await uniformity(x, { t: 0.5 })).toBeCloseTo(uniformityLoop(a, 0.5), 5);
    x.dispose();
  });

  it('uniformity of antipodal points is −4t·... closed form: log e^{−4t} = −4t', async () => {
    const x = tf.tensor2d([[0, 2], [0, -3]]);
    expect(await uniformity(x, { t: 2 })).toBeCloseTo(-8, 5);
    x.dispose();
  });

  it('keeps the tensor count flat', async () => {
    const x = tf.tensor2d(rows(30, 6));
    const y = tf.tensor2d(rows(30, 6));
    await expectNoTensorLeak(() => uniformity(x, { chunk: 8 }));
    await expectNoTensorLeak(() => alignment(x, y));
    tf.dispose([x, y]);
  });
});
