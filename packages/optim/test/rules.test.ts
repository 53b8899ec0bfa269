import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adamw, lars, OptimError, sgd } from '../src/index';

let uid = 0;
function variable(values: number[], name: string): tf.Variable {
  return tf.variable(tf.tensor1d(values), true, `${name}_${uid++}`);
}

const f32 = (xs: number[]) => xs.map(Math.fround);

describe('closed-form single steps', () => {
  it('LARS with zero gradient: weight decay alone gives w·(1 − lr·η) for a kernel, nothing for a bias (default exclude)', () => {
    const kernel = tf.variable(tf.tensor1d([3, 4]), true, `dense_${uid++}/kernel`);
    const bias = tf.variable(tf.tensor1d([3, 4]), true, `dense_${uid++}/bias`);
    const zero = tf.zeros([2]);
    const opt = lars({ lr: 2, weightDecay: 0.01, eta: 0.05, momentum: 0.9 });
    opt.step([{ variable: kernel, gradient: zero }, { variable: bias, gradient: zero }]);
    // g = wd·w, trust = η‖w‖/(wd‖w‖) = η/wd, update = lr·η·w.
    const k = kernel.dataSync();
    [3, 4].forEach((w, i) => expect(k[i]).toBeCloseTo(w * (1 - 2 * 0.05), 6));
    expect(Array.from(bias.dataSync())).toEqual([3, 4]);
    tf.dispose([kernel, bias, zero]);
    opt.dispose();
  });

  it('LARS trustClip: the rate is min(lr, η‖w‖/‖g‖)', () => {
    const w = variable([3, 4], 'clip/kernel');
    const g = tf.tensor1d([0, 10]);
    const opt = lars({ lr: 0.1, eta: 1, momentum: 0, trustClip: true });
    opt.step([{ variable: w, gradient: g }]); // trust = 5/10 = 0.5 > lr: rate = lr
    expect(Array.from(w.dataSync())).toEqual(f32([3, 4 - 0.1 * 10]));
    tf.dispose([w, g]);
    opt.dispose();
  });

  it('AdamW bias correction counts per variable: a variable first updated at step 5 moves by lr·g/(|g|+eps)', () => {
    const a = variable([1], 'early');
    const b = variable([1], 'late');
    const g = tf.tensor1d([0.2]);
    const opt = adamw({ lr: 0.01, weightDecay: 0 });
    for (let i = 0; i < 5; i++) opt.step([{ variable: a, gradient: g }]);
    opt.step([{ variable: a, gradient: g }, { variable: b, gradient: g }]);
    expect(b.dataSync()[0]).toBeCloseTo(1 - 0.01 * (0.2 / (0.2 + 1e-8)), 7);
    // decoupled decay: with g = 0 the first step only shrinks w by (1 − lr·wd).
    const c = variable([2], 'decay');
    const wd = adamw({ lr: 0.1, weightDecay: 0.5 });
    const zero = tf.zeros([1]);
    wd.step([{ variable: c, gradient: zero }]);
    expect(c.dataSync()[0]).toBeCloseTo(2 * (1 - 0.05), 6);
    tf.dispose([a, b, c, g, zero]);
    opt.dispose();
    wd.dispose();
  });

  it('SGD group lrScale and coupled weight decay: w − lr·s·(g + wd·w)', () => {
    const head = variable([1, -1], 'head/kernel');
    const body = variable([1, -1], 'body/kernel');
    const g = tf.tensor1d([0.5, 0.5]);
    const opt = sgd({ lr: 0.1, weightDecay: 0.1, groups: [{ match: /^head\//, lrScale: 10, weightDecay: 0 }] });
    opt.step([{ variable: head, gradient: g }, { variable: body, gradient: g }]);
    expect(Array.from(head.dataSync())).toEqual(f32([1 - 0.5, -1 - 0.5]));
    const b = body.dataSync();
    expect(b[0]).toBeCloseTo(1 - 0.1 * (0.5 + 0.1), 6);
    expect(b[1]).toBeCloseTo(-1 - 0.1 * (0.5 - 0.1), 6);
    expect(opt.currentLearningRate()).toBe(0.1);
    tf.dispose([head, body, g]);
    opt.dispose();
  });
});

describe('errors name the fix', () => {
  it('rejects bad hyper-parameters', () => {
    expect(() => sgd({ lr: 0.1, nesterov: true })).toThrow(/set momentum > 0/);
    expect(() => sgd({ lr: -1 })).toThrow(OptimError);
    expect(() => sgd({ lr: -1 })).toThrow(expect.objectContaining({ code: 'OPTIM_INVALID_ARGUMENT' }));
    expect(() => adamw({ lr: 0.1, betas: [0.9, 1] })).toThrow(/betas\[1\]/);
    expect(() => lars({ lr: 0.1, eta: 0 })).toThrow(/eta/);
  });

  it('rejects a gradient of the wrong shape, a variable twice, a bad schedule value, use after dispose', () => {
    const w = variable([1, 2], 'err');
    const opt = sgd({ lr: (t) => (t < 1 ? 0.1 : Number.NaN) });
    expect(() => opt.step([{ variable: w, gradient: tf.zeros([3]) }])).toThrow(/has shape \[3\], the variable \[2\]/);
    const g = tf.zeros([2]);
    expect(() => opt.step([{ variable: w, gradient: g }, { variable: w, gradient: g }])).toThrow(/pass each variable once/);
    expect(() => opt.step([{ variable: w, gradient: undefined as never }])).toThrow(/leave out variables/);
    opt.step([{ variable: w, gradient: g }]);
    expect(() => opt.step([{ variable: w, gradient: g }])).toThrow(/learning rate NaN at step 1/);
    opt.dispose();
    expect(() => opt.step([{ variable: w, gradient: g }])).toThrow(/create a new optimizer/);
    tf.dispose([w, g]);
  });

  it('loadState rejects a state from another optimizer kind or with a missing tensor', () => {
    const w = variable([1, 2], 'load');
    const g = tf.ones([2]);
    const a = sgd({ lr: 0.1, momentum: 0.9 });
    a.step([{ variable: w, gradient: g }]);
    const saved = a.state();
    const b = adamw({ lr: 0.1 });
    expect(() => b.loadState(saved)).toThrow(/saved by sgd, this optimizer is adamw/);
    const c = sgd({ lr: 0.1, momentum: 0.9 });
    expect(() => c.loadState({ meta: saved.meta, tensors: {} })).toThrow(/lacks tensor/);
    expect(c.iterations).toBe(0);
    // A state saved for another model: the slot does not fit, and nothing is updated.
    const other = tf.variable(tf.tensor1d([5, 6, 7]), true, w.name.replace('load', 'other'));
    const d = sgd({ lr: 0.1, momentum: 0.9 });
    d.loadState({ meta: { ...saved.meta, slots: [[other.name, 'momentum']] }, tensors: { [`${other.name}/momentum`]: saved.tensors[`${w.name}/momentum`] } });
    const g3 = tf.ones([3]);
    const wBefore = Array.from(w.dataSync());
    expect(() => d.step([{ variable: w, gradient: g }, { variable: other, gradient: g3 }])).toThrow(/load a state saved for this model/);
    expect(Array.from(w.dataSync())).toEqual(wBefore);
    expect(d.iterations).toBe(1);
    tf.dispose([other, g3]);
    d.dispose();
    tf.dispose([w, g, ...Object.values(saved.tensors)]);
    [a, b, c].forEach((o) => o.dispose());
  });
});
