import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import './gradients';
import { createRng } from './rng';
import { gradientsFreeingEarly } from './tape';
import { relativeError } from './testing';
import { expectNoTensorLeak } from './testing';

const rng = createRng(1115);
const seed = () => rng.tfSeed();
const w1 = tf.variable(tf.randomNormal([6, 6], 0, 0.5, 'float32', seed()), true, 'tape-w1');
const w2 = tf.variable(tf.randomNormal([6, 6], 0, 0.5, 'float32', seed()), true, 'tape-w2');
const input = tf.randomNormal([5, 6], 0, 1, 'float32', seed());

// Shared tensors (h used three times), an add of equal shapes (its gradient hands dy to both
// inputs), reshapes (identity-like gradients) and a custom gradient.
const square = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return { value: tf.square(x), gradFunc: (dy: tf.Tensor, [s]: tf.Tensor[]) => tf.mul(dy, tf.mul(s as tf.Tensor, 2)) };
});
function model(): tf.Scalar {
  const h = tf.tanh(tf.matMul(input, w1));
  const r = tf.reshape(tf.reshape(h, [30]), [5, 6]);
  const z = tf.add(tf.matMul(h, w2), r);
  return tf.sum(tf.add(square(z) as tf.Tensor, tf.mul(h, h)));
}

describe('gradientsFreeingEarly', () => {
  it("gives tfjs' own gradients and value", async () => {
    const ours = gradientsFreeingEarly(model, [w1, w2, input]);
    const theirs = tf.engine().gradients(model, [w1, w2, input]);
    expect(await ours.value.data()).toEqual(await theirs.value.data());
    for (let i = 0; i < 3; i++) {
      const a = (await (ours.grads[i] as tf.Tensor).data()) as Float32Array;
      const b = (await theirs.grads[i].data()) as Float32Array;
      expect(relativeError(a, b)).toBeLessThan(1e-6);
    }
    tf.dispose([ours.value, theirs.value, ...(ours.grads as tf.Tensor[]), ...theirs.grads]);
  });

  it('frees each node’s gradients and saved tensors once it is backpropagated', () => {
    // A chain of 30 ops after a probe whose gradient records how many tensors are alive when
    // the backward pass reaches the bottom of the chain.
    let alive = 0;
    const probe = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [x] = args as [tf.Tensor];
      return {
        value: tf.clone(x),
        gradFunc: (dy: tf.Tensor) => {
          alive = tf.memory().numTensors;
          return tf.clone(dy);
        },
      };
    });
    const chain = () => {
      let h = probe(tf.matMul(input, w1)) as tf.Tensor;
      for (let i = 0; i < 30; i++) h = tf.sin(h);
      return tf.sum(h);
    };
    const before = tf.memory().numTensors;
    const theirs = tf.engine().gradients(chain, [w1]);
    const aliveTheirs = alive - before;
    tf.dispose([theirs.value, ...theirs.grads]);
    // As on the first gradient of a process: tfjs creates activeTape only when a tape starts.
    delete (tf.engine() as unknown as { state: { activeTape?: unknown } }).state.activeTape;
    const ours = gradientsFreeingEarly(chain, [w1]);
    const aliveOurs = alive - before;
    tf.dispose([ours.value, ...(ours.grads as tf.Tensor[])]);
    // tfjs holds 30 saved inputs and 30 output gradients at that point; we hold a handful.
    expect(aliveTheirs).toBeGreaterThan(60);
    expect(aliveOurs).toBeLessThan(10);
  });

  it('keeps the tensor count flat', async () => {
    await expectNoTensorLeak(() => {
      const r = gradientsFreeingEarly(model, [w1, w2]);
      return [r.value, ...(r.grads as tf.Tensor[])];
    });
  });

  it('an f that throws midway leaves no saved tensor behind', () => {
    const before = tf.memory().numTensors;
    expect(() =>
      gradientsFreeingEarly(() => {
        const h = square(tf.matMul(input, w1)) as tf.Tensor; // saves a tensor on the tape
        if (h.shape[0] === 5) throw new Error('embed failed');
        return tf.sum(h);
      }, [w1]),
    ).toThrow(/embed failed/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('says so when f does not depend on xs, and leaves no tensor behind', () => {
    const before = tf.memory().numTensors;
    expect(() => gradientsFreeingEarly(() => tf.sum(input), [w1])).toThrow(/encloses all operations/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
