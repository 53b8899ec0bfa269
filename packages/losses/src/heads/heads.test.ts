import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { describe, expect, it } from 'vitest';
import fixture from '../../test/fixtures/head.json';
import { LossError } from '../errors';
import { infoNCE } from '../infonce';
import { maxExcess, randomMatrix } from '../test-helpers';
import { linearHead, mlpHead } from './mlp';
import { directclr, identityHead, reweightHead } from './parameter-free';

describe('mlpHead against torch.nn (Linear-BN-ReLU-Linear-BN(affine=False))', () => {
  const c = fixture.case;

  it('matches PyTorch: training output, NT-Xent gradients for h and every parameter, running statistics, eval output', () => {
    const head = mlpHead({ dims: c.dims, rng: createRng(0), batchNorm: true, outputBatchNorm: true });
    const [kernel0, bias0, gamma0, beta0, kernel1, bias1] = head.trainableVariables();
    const w = c.weights;
    [[kernel0, w.kernel0], [bias0, w.bias0], [gamma0, w.gamma0], [beta0, w.beta0], [kernel1, w.kernel1], [bias1, w.bias1]].forEach(
      ([v, values]) => (v as tf.Variable).assign(tf.tensor(values as number[], (v as tf.Variable).shape)),
    );
    const h1 = tf.tensor2d(c.h1);
    const h2 = tf.tensor2d(c.h2);
    const n = c.h1.length;
    const lossOf = (a: tf.Tensor2D, b: tf.Tensor2D) => {
      const z = head.apply(tf.concat([a, b]) as tf.Tensor2D, { training: true, updateStatistics: false });
      return infoNCE(tf.slice(z, [0, 0], [n, -1]), tf.slice(z, [n, 0], [n, -1]), { temperature: c.temperature });
    };
    const [gh1, gh2] = tf.grads((a: tf.Tensor, b: tf.Tensor) => lossOf(a as tf.Tensor2D, b as tf.Tensor2D))([h1, h2]);
    expect(maxExcess(gh1.arraySync(), c.gradH1, 1e-4)).toBeLessThan(1e-5);
    expect(maxExcess(gh2.arraySync(), c.gradH2, 1e-4)).toBeLessThan(1e-5);
    const { value, grads } = tf.variableGrads(() => lossOf(h1, h2), head.trainableVariables());
    expect(Math.abs(value.dataSync()[0] - c.loss)).toBeLessThan(1e-5);
    const expected = [c.gradKernel0, c.gradBias0, c.gradGamma0, c.gradBeta0, c.gradKernel1, c.gradBias1];
    head.trainableVariables().forEach((v, i) => expect(maxExcess(grads[v.name].arraySync(), expected[i], 1e-4), v.name).toBeLessThan(1e-5));

    const before = head.nonTrainableVariables().map((v) => v.arraySync());
    const zTrain = head.apply(tf.concat([h1, h2]) as tf.Tensor2D, { training: true });
    expect(maxExcess(zTrain.arraySync(), c.zTrain, 1e-4)).toBeLessThan(1e-5);
    const r = c.runningAfterOneStep;
    const running = head.nonTrainableVariables().map((v) => v.arraySync());
    [r.mean0, r.var0, r.mean1, r.var1].forEach((e, i) => expect(maxExcess(running[i], e, 1e-4)).toBeLessThan(1e-6));
    expect(maxExcess(before[0], r.mean0)).toBeGreaterThan(1e-3); // the update did something
    const zEval = head.apply(tf.concat([h1, h2]) as tf.Tensor2D, { training: false });
    expect(maxExcess(zEval.arraySync(), c.zEval, 1e-4)).toBeLessThan(1e-5);
    tf.dispose([h1, h2, gh1, gh2, value, grads, zTrain, zEval]);
    head.dispose();
  });
});

describe('mlpHead construction', () => {
  it('initialises like torch nn.Linear: U(±1/√fan_in) for weight and bias, from the seeded Rng', () => {
    const head = mlpHead({ dims: [256, 128], rng: createRng(11) });
    const [kernel, bias] = head.trainableVariables().map((v) => Array.from(v.dataSync()));
    const bound = 1 / 16;
    for (const values of [kernel, bias]) {
      expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    }
    const mean = kernel.reduce((s, x) => s + x, 0) / kernel.length;
    const variance = kernel.reduce((s, x) => s + (x - mean) ** 2, 0) / kernel.length;
    expect(Math.abs(mean)).toBeLessThan(3 * Math.sqrt(bound ** 2 / 3 / kernel.length) + 1e-9);
    expect(Math.abs(variance / (bound ** 2 / 3) - 1)).toBeLessThan(0.03); // uniform: b²/3
    expect(Math.max(...bias.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    const same = mlpHead({ dims: [256, 128], rng: createRng(11) });
    const other = mlpHead({ dims: [256, 128], rng: createRng(12) });
    expect(Array.from(same.trainableVariables()[0].dataSync())).toEqual(kernel.map(Math.fround));
    expect(maxExcess(other.trainableVariables()[0].dataSync(), kernel)).toBeGreaterThan(1e-3);
    [head, same, other].forEach((h) => h.dispose());
  });

  it('has the layer structure its options ask for (SimCLR v1 and v2 shapes)', () => {
    const v1 = mlpHead({ dims: [16, 16, 8], rng: createRng(0) });
    expect(v1.trainableVariables().map((v) => v.shape)).toEqual([[16, 16], [16], [16, 8], [8]]);
    expect(v1.nonTrainableVariables()).toHaveLength(0);
    const v2 = mlpHead({ dims: [16, 16, 16, 8], rng: createRng(0), batchNorm: true, outputBatchNorm: true, bias: false });
    expect(v2.trainableVariables().map((v) => v.name.split('/').slice(-2).join('/'))).toEqual([
      'layer0/kernel', 'bn/gamma', 'bn/beta', 'layer1/kernel', 'bn/gamma', 'bn/beta', 'layer2/kernel',
    ]);
    expect(v2.nonTrainableVariables()).toHaveLength(6);
    const h = tf.tensor2d(randomMatrix(createRng(1), 6, 16));
    const layers = v2.layers(h, { training: true, updateStatistics: false });
    expect(layers.map((t) => t.shape)).toEqual([[6, 16], [6, 16], [6, 8]]);
    expect(Math.min(...layers[0].dataSync())).toBeGreaterThanOrEqual(0); // ReLU after hidden layers
    // The last layer's BN has no affine: each output column has batch mean 0, variance ≈ 1.
    const { mean, variance } = tf.moments(layers[2], 0);
    expect(maxExcess(mean.dataSync(), new Array(8).fill(0))).toBeLessThan(1e-5);
    expect(maxExcess(variance.dataSync(), new Array(8).fill(1))).toBeLessThan(1e-3);
    const z = v2.apply(h, { training: true, updateStatistics: false });
    expect(maxExcess(z.dataSync(), layers[2].dataSync())).toBe(0);
    tf.dispose([h, ...layers, mean, variance, z]);
    v1.dispose();
    v2.dispose();
  });

  it('denseLayers() describes the eval-mode forward: x·W + b → BN → ReLU, layer by layer', () => {
    const head = mlpHead({ dims: [5, 7, 3], rng: createRng(2), batchNorm: true, outputBatchNorm: true, bnEpsilon: 1e-3 });
    const h = tf.tensor2d(randomMatrix(createRng(3), 9, 5));
    for (let i = 0; i < 2; i++) tf.dispose(head.layers(h, { training: true })); // running statistics move
    const params = head.denseLayers();
    expect(params.map((p) => [p.kernel.shape, Boolean(p.bias), Boolean(p.batchNorm?.gamma), p.relu])).toEqual([
      [[5, 7], true, true, true],
      [[7, 3], true, false, false],
    ]);
    const z = tf.tidy(() =>
      params.reduce<tf.Tensor>((x, p) => {
        let y = tf.add(tf.matMul(x, p.kernel), p.bias!);
        const bn = p.batchNorm!;
        y = tf.div(tf.sub(y, bn.runningMean), tf.sqrt(tf.add(bn.runningVar, bn.epsilon)));
        if (bn.gamma) y = tf.add(tf.mul(y, bn.gamma), bn.beta!);
        return p.relu ? tf.relu(y) : y;
      }, h),
    );
    const expected = head.apply(h);
    expect(maxExcess(z.dataSync(), expected.dataSync())).toBeLessThan(1e-6);
    tf.dispose([h, z, expected]);
    head.dispose();
  });

  it('gives every instance its own variable scope, even with the same requested name', () => {
    const a = mlpHead({ dims: [4, 2], rng: createRng(0), name: 'proj' });
    const b = mlpHead({ dims: [4, 2], rng: createRng(0), name: 'proj' });
    const c = linearHead({ inputDim: 4, outputDim: 2, rng: createRng(0) });
    const names = [a, b, c].flatMap((head) => head.trainableVariables().map((v) => v.name));
    expect(new Set(names).size).toBe(names.length);
    expect(a.name).toBe('proj');
    expect(b.trainableVariables().every((v) => v.name.startsWith(`${b.name}/`))).toBe(true);
    [a, b, c].forEach((h) => h.dispose());
  });

  it('reset() re-draws parameters from the seeded stream and clears running statistics', () => {
    const a = mlpHead({ dims: [5, 4, 3], rng: createRng(3), batchNorm: true });
    const b = mlpHead({ dims: [5, 4, 3], rng: createRng(3), batchNorm: true });
    const first = a.trainableVariables()[0].arraySync();
    const x = tf.tensor2d(randomMatrix(createRng(4), 6, 5));
    a.apply(x, { training: true }).dispose();
    a.reset();
    b.reset();
    expect(maxExcess(a.trainableVariables()[0].arraySync(), first)).toBeGreaterThan(1e-3);
    a.trainableVariables().forEach((v, i) => expect(v.arraySync()).toEqual(b.trainableVariables()[i].arraySync()));
    expect(a.nonTrainableVariables()[0].arraySync()).toEqual([0, 0, 0, 0]);
    x.dispose();
    a.dispose();
    b.dispose();
  });

  it('frozen: the same output, the same gradient for h, and no gradient for the head variables', () => {
    const head = mlpHead({ dims: [5, 6, 3], rng: createRng(5), batchNorm: true });
    const x = tf.tensor2d(randomMatrix(createRng(6), 4, 5));
    const f = (frozen: boolean) => (h: tf.Tensor) => tf.sum(tf.square(head.apply(h as tf.Tensor2D, { training: true, updateStatistics: false, frozen })));
    const [live, frozen] = [f(false)(x), f(true)(x)];
    expect(live.dataSync()[0]).toBeCloseTo(frozen.dataSync()[0], 6);
    const [gLive, gFrozen] = [tf.grad(f(false))(x), tf.grad(f(true))(x)];
    expect(maxExcess(gFrozen.dataSync(), gLive.dataSync())).toBeLessThan(1e-6);
    // A toy "backbone" variable in front of the head: all trainable variables are differentiated.
    const input = tf.variable(x, true);
    const withLive = tf.variableGrads(() => f(false)(input) as tf.Scalar);
    const withFrozen = tf.variableGrads(() => f(true)(input) as tf.Scalar);
    const headNames = head.trainableVariables().map((v) => v.name);
    expect(headNames.every((name) => name in withLive.grads)).toBe(true);
    expect(headNames.some((name) => name in withFrozen.grads)).toBe(false);
    expect(maxExcess(withFrozen.grads[input.name].dataSync(), gLive.dataSync())).toBeLessThan(1e-6);
    tf.dispose([x, input, live, frozen, gLive, gFrozen, withLive.value, withLive.grads, withFrozen.value, withFrozen.grads]);
    head.dispose();
  });

  it('rejects bad dims, a missing rng and mismatched inputs with the fix', () => {
    expect(() => mlpHead({ dims: [4], rng: createRng(0) })).toThrow(/pass dims as \[inputDim, hidden\.\.\., outputDim\]/);
    expect(() => mlpHead({ dims: [4, 2] } as never)).toThrow(/createRng\(seed\)\.fork\('head'\)/);
    const head = mlpHead({ dims: [4, 2], rng: createRng(0) });
    const x = tf.zeros([3, 5]) as tf.Tensor2D;
    expect(() => head.apply(x)).toThrow(LossError);
    x.dispose();
    head.dispose();
  });

  it('keeps tensor counts flat across training forwards (running stats), layers() and dispose', async () => {
    const start = tf.memory().numTensors;
    const head = mlpHead({ dims: [8, 8, 4], rng: createRng(9), batchNorm: true, outputBatchNorm: true });
    const x = tf.tensor2d(randomMatrix(createRng(10), 6, 8));
    await expectNoTensorLeak(() => head.apply(x, { training: true }));
    await expectNoTensorLeak(() => head.layers(x, { training: true, frozen: true }));
    await expectNoTensorLeak(() => tf.variableGrads(() => tf.sum(head.apply(x, { training: true })) as tf.Scalar));
    x.dispose();
    head.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('parameter-free heads', () => {
  const h = () => tf.tensor2d(randomMatrix(createRng(20), 4, 6));

  it('identityHead returns h unchanged, has no variables and no layers', () => {
    const x = h();
    const head = identityHead();
    const z = head.apply(x);
    expect(z.arraySync()).toEqual(x.arraySync());
    expect(head.trainableVariables()).toEqual([]);
    expect(head.layers(x)).toEqual([]);
    z.dispose();
    expect(x.isDisposed).toBe(false);
    x.dispose();
  });

  it('directclr keeps the first d0 dims, and InfoNCE of it ignores the rest', () => {
    const x = h();
    const head = directclr({ keepDims: 3 });
    const z = head.apply(x);
    expect(z.arraySync()).toEqual((x.arraySync() as number[][]).map((r) => r.slice(0, 3)));
    const other = tf.concat([tf.slice(x, [0, 0], [4, 3]), tf.randomNormal([4, 3], 0, 1, 'float32', 7)], 1) as tf.Tensor2D;
    const y = tf.tensor2d(randomMatrix(createRng(21), 4, 6));
    const [l1, l2] = [x, other].map((a) => infoNCE(head.apply(a), head.apply(y), { temperature: 0.2 }).dataSync()[0]);
    expect(l1).toBeCloseTo(l2, 6);
    expect(() => directclr({ keepDims: 7 }).apply(x)).toThrow(/use keepDims ≤ 6/);
    expect(() => directclr({ keepDims: 0 })).toThrow(LossError);
    tf.dispose([x, z, other, y]);
  });

  it('reweightHead scales feature j by κ^(−j); κ = 1 is the identity', () => {
    const x = h();
    const kappa = 2;
    const z = reweightHead({ kappa }).apply(x).arraySync() as number[][];
    const rows = x.arraySync() as number[][];
    rows.forEach((r, i) => r.forEach((v, j) => expect(z[i][j]).toBeCloseTo(v * kappa ** -j, 6)));
    expect(reweightHead({ kappa: 1 }).apply(x).arraySync()).toEqual(rows);
    expect(() => reweightHead({ kappa: 0 })).toThrow(/pass a finite kappa > 0/);
    x.dispose();
  });
});
