import * as tf from '@tensorflow/tfjs-core';
import { expectNoTensorLeak, relativeError } from '@selfsup/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { batchNorm, createBatchNorm, relu, type NormMode } from './layers';
import { VariableStore } from './variable-store';

const store = new VariableStore('fused_bn_test');
const bn = createBatchNorm(store, 'bn', 5, { momentum: 0.1, epsilon: 1e-5 });
afterAll(() => store.dispose());

/** Training-mode BN + ReLU from plain tf ops, differentiated by tfjs autodiff: the reference. */
function reference(x: tf.Tensor4D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.relu(tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta));
}

const mode = (): NormMode => ({ training: true, updateStatistics: false, updates: [] });

describe('training-mode batch norm with its closed-form gradient', () => {
  it.each<[[number, number, number, number]]>([
    [[4, 3, 3, 5]],
    [[2, 6, 5, 5]],
  ])('matches autodiff of the composed ops for x, γ and β (shape %j)', async (shape) => {
    const x = tf.randomNormal(shape, 0.7, 2, 'float32', 3) as tf.Tensor4D;
    const w = tf.randomNormal(shape, 0, 1, 'float32', 4); // a non-uniform upstream gradient
    const gamma = tf.randomUniform([5], 0.5, 1.5, 'float32', 5);
    const beta = tf.randomUniform([5], -0.5, 0.5, 'float32', 6);
    bn.gamma.assign(gamma);
    bn.beta.assign(beta);
    const fused = tf.grads((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      // Route γ, β through the BN's variables' values so that all three get gradients.
      const layer = { ...bn, gamma: g as tf.Variable, beta: b as tf.Variable };
      return tf.sum(tf.mul(relu(batchNorm(xi as tf.Tensor4D, layer, mode())), w));
    })([x, gamma, beta]);
    const ref = tf.grads((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(reference(xi as tf.Tensor4D, g, b), w)),
    )([x, gamma, beta]);
    for (let i = 0; i < 3; i++) expect(relativeError(await fused[i].data(), await ref[i].data())).toBeLessThan(1e-5);
    // Forward values too.
    const y = relu(batchNorm(x, bn, mode()));
    const yRef = reference(x, gamma, beta);
    expect(relativeError(await y.data(), await yRef.data())).toBeLessThan(1e-5);
    tf.dispose([x, w, gamma, beta, y, yRef, ...fused, ...ref]);
  });

  it('matches central finite differences of the loss in x (no ReLU: smooth)', async () => {
    const shape: [number, number, number, number] = [3, 2, 2, 5];
    const values = Float64Array.from(await tf.randomNormal(shape, 0, 1, 'float32', 9).data());
    const w = tf.randomNormal(shape, 0, 1, 'float32', 10);
    bn.gamma.assign(tf.fill([5], 1.3));
    bn.beta.assign(tf.fill([5], 0.2));
    const loss = (v: ArrayLike<number>) =>
      tf.tidy(() => tf.sum(tf.mul(batchNorm(tf.tensor4d(Float32Array.from(v), shape), bn, mode()), w)).dataSync()[0]);
    const g = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(batchNorm(xi as tf.Tensor4D, bn, mode()), w)))(
      tf.tensor4d(Float32Array.from(values), shape),
    );
    const analytic = await g.data();
    const h = 1e-2;
    for (const i of [0, 7, 13, 29, 41, 59]) {
      const plus = values.slice();
      const minus = values.slice();
      plus[i] += h;
      minus[i] -= h;
      const numeric = (loss(plus) - loss(minus)) / (2 * h);
      expect(Math.abs(numeric - analytic[i])).toBeLessThan(1e-2 * Math.max(1, Math.abs(analytic[i])));
    }
    tf.dispose([w, g]);
  });

  it('ReLU passes no gradient at exactly 0, as tf.relu and PyTorch', async () => {
    const x = tf.tensor4d([-1, 0, 2, 0], [1, 1, 1, 4]);
    const g = tf.grad((xi: tf.Tensor) => tf.sum(relu(xi as tf.Tensor4D)))(x);
    expect(Array.from(await g.data())).toEqual([0, 0, 1, 0]);
    tf.dispose([x, g]);
  });

  it('leaves no tensor behind through a gradient step with running-stat updates', async () => {
    const x = tf.randomNormal([4, 3, 3, 5], 0, 1, 'float32', 12) as tf.Tensor4D;
    await expectNoTensorLeak(() => {
      const m: NormMode = { training: true, updateStatistics: true, updates: [] };
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(relu(batchNorm(x, bn, m)))) as tf.Scalar,
        [bn.gamma, bn.beta],
      );
      for (const { variable, value: v } of m.updates) {
        variable.assign(v);
        v.dispose();
      }
      tf.dispose([value, ...Object.values(grads)]);
    });
    x.dispose();
  });
});
