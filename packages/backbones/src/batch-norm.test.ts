import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { smallConvnet } from './index';
import { maxAbsDiff } from '../test/helpers';

describe('batch norm with PyTorch momentum semantics', () => {
  it('moves running stats by momentum towards the batch mean and unbiased variance (closed form)', async () => {
    const model = smallConvnet({ widths: [3], bnMomentum: 0.25 });
    const named = model.namedVariables();
    // Identity-like conv: only the centre tap of the 3×3 filter is the identity matrix.
    const w = new Float32Array(3 * 3 * 3 * 3);
    for (let c = 0; c < 3; c++) w[(1 * 3 + 1) * 9 + c * 3 + c] = 1;
    named.get('stage1.conv.weight')!.assign(tf.tensor4d(w, [3, 3, 3, 3]));
    const x = tf.randomUniform([4, 5, 5, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
    // Interior pixels pass through unchanged; border pixels see zero padding, so compute the
    // statistics of the conv output itself.
    const y = tf.conv2d(x, named.get('stage1.conv.weight') as tf.Variable<tf.Rank.R4>, 1, 1);
    const values = await y.data();
    const n = 4 * 5 * 5;
    for (let step = 0; step < 2; step++) model.apply(x, { training: true }).dispose();
    const mean = [0, 0, 0];
    const sq = [0, 0, 0];
    values.forEach((v, i) => {
      mean[i % 3] += v / n;
    });
    values.forEach((v, i) => {
      sq[i % 3] += (v - mean[i % 3]) ** 2;
    });
    const unbiased = sq.map((s) => s / (n - 1));
    // Two steps from (0, 1) with momentum m: r2 = (1−m)²·r0 + (1−(1−m)²)·batch.
    const keep2 = 0.75 ** 2;
    const expectMean = mean.map((m) => (1 - keep2) * m);
    const expectVar = unbiased.map((v) => keep2 + (1 - keep2) * v);
    expect(maxAbsDiff(await named.get('stage1.bn.running_mean')!.data(), expectMean)).toBeLessThan(1e-6);
    expect(maxAbsDiff(await named.get('stage1.bn.running_var')!.data(), expectVar)).toBeLessThan(1e-6);
    // The training-mode output is normalised with the *biased* batch variance (γ=1, β=0),
    // then ReLU and a global average pool per image.
    const biased = sq.map((s) => s / n);
    const expected = new Array<number>(4 * 3).fill(0);
    values.forEach((v, i) => {
      const c = i % 3;
      const b = Math.floor(i / (5 * 5 * 3));
      expected[b * 3 + c] += Math.max(0, (v - mean[c]) / Math.sqrt(biased[c] + 1e-5)) / 25;
    });
    const out = model.apply(x, { training: true, updateStatistics: false });
    expect(maxAbsDiff(await out.data(), expected)).toBeLessThan(1e-5);
    out.dispose();
    tf.dispose([x, y]);
    model.dispose();
  });

  it('updates running stats inside tf.variableGrads and still returns correct gradients', async () => {
    const model = smallConvnet({ widths: [4, 6] });
    const x = tf.randomUniform([3, 6, 6, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const before = model.nonTrainableVariables().map((v) => v.dataSync().slice());
    const loss = () => tf.sum(tf.square(model.apply(x, { training: true, updateStatistics: false }))) as tf.Scalar;
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(model.apply(x, { training: true }))) as tf.Scalar);
    const after = model.nonTrainableVariables().map((v) => v.dataSync().slice());
    expect(after.some((a, i) => maxAbsDiff(a, before[i]) > 0)).toBe(true);
    // Non-trainable variables get no gradient; trainable ones all do.
    expect(Object.keys(grads).sort()).toEqual(model.trainableVariables().map((v) => v.name).sort());
    // Central finite differences on conv weights. ReLU and max-pool kinks need a small step;
    // at h = 1e-3 float32 rounding of the loss (≈3) stays near 1e-4, far below 1 %.
    const wVar = model.namedVariables().get('stage1.conv.weight')!;
    const analytic = grads[wVar.name].dataSync();
    const h = 1e-3;
    for (const idx of [0, 7, 20, 50]) {
      const bump = (delta: number) => {
        const t = tf.tidy(() => tf.add(wVar, tf.mul(tf.reshape(tf.oneHot(tf.tensor1d([idx], 'int32'), wVar.size), wVar.shape), delta)));
        const old = tf.clone(wVar);
        wVar.assign(t);
        const l = loss();
        const out = l.dataSync()[0];
        wVar.assign(old);
        tf.dispose([t, old, l]);
        return out;
      };
      const numeric = (bump(h) - bump(-h)) / (2 * h);
      expect(Math.abs(numeric - analytic[idx]) / Math.abs(analytic[idx]), `weight ${idx}`).toBeLessThan(1e-2);
    }
    tf.dispose([value, x, ...Object.values(grads)]);
    model.dispose();
  });

  it('refuses training with one value per channel, like PyTorch, but evaluates it', () => {
    const model = smallConvnet({ widths: [2] });
    const one = tf.zeros([1, 1, 1, 3]) as tf.Tensor4D;
    expect(() => model.apply(one, { training: true })).toThrow(/at least 2 images per batch/);
    tf.dispose([one, model.apply(one)]);
    expect(() => smallConvnet({ bnMomentum: 0.9 + 1 })).toThrow(/Keras 0.9 corresponds to 0.1/);
    model.dispose();
  });

  it('changes no running statistic when a training forward fails midway', async () => {
    // Two stages: 2×2 images give stage1 4 values per channel, stage2 (after pooling) only 1.
    const model = smallConvnet({ widths: [2, 2] });
    const x = tf.randomUniform([1, 2, 2, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const before = model.nonTrainableVariables().map((v) => v.dataSync().slice());
    const count = tf.memory().numTensors;
    expect(() => model.apply(x, { training: true })).toThrow(/1 value per channel/);
    expect(tf.memory().numTensors).toBe(count);
    model.nonTrainableVariables().forEach((v, i) => expect(v.dataSync(), v.name).toEqual(before[i]));
    x.dispose();
    model.dispose();
  });

  it('eval mode uses the running statistics (closed form on a one-stage net)', async () => {
    const model = smallConvnet({ widths: [2], inChannels: 1 });
    const named = model.namedVariables();
    const w = new Float32Array(9 * 2);
    w[4 * 2 + 0] = 1; // centre tap → channel 0
    w[4 * 2 + 1] = -1; // centre tap → channel 1
    named.get('stage1.conv.weight')!.assign(tf.tensor4d(w, [3, 3, 1, 2]));
    named.get('stage1.bn.running_mean')!.assign(tf.tensor1d([0.5, -0.25]));
    named.get('stage1.bn.running_var')!.assign(tf.tensor1d([4, 0.25]));
    named.get('stage1.bn.weight')!.assign(tf.tensor1d([2, 1]));
    named.get('stage1.bn.bias')!.assign(tf.tensor1d([0.1, 0]));
    const x = tf.fill([1, 1, 1, 1], 0.9) as tf.Tensor4D;
    const out = await model.apply(x).data();
    const ch0 = Math.max(0, ((0.9 - 0.5) / Math.sqrt(4 + 1e-5)) * 2 + 0.1);
    const ch1 = Math.max(0, (-0.9 + 0.25) / Math.sqrt(0.25 + 1e-5));
    expect(maxAbsDiff(out, [ch0, ch1])).toBeLessThan(1e-6);
    x.dispose();
    model.dispose();
  });
});
