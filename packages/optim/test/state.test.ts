import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';
import type { Optimizer } from '@selfsup/core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { describe, expect, it } from 'vitest';
import { adamw, lars, sgd, stateFromJson, stateToJson, warmupCosine } from '../src/index';
import { Problem } from './problems';

const lr = warmupCosine({ lr: 0.1, warmupSteps: 5, totalSteps: 30, finalLr: 0.001 });
const groups = [{ match: /bias$/, weightDecay: 0 }, { match: /^mlp\/head\//, lrScale: 0.5 }];
const makers: Record<string, () => Optimizer> = {
  sgd: () => sgd({ lr, momentum: 0.9, nesterov: true, weightDecay: 5e-4, groups }),
  lars: () => lars({ lr, momentum: 0.9, weightDecay: 1e-4, eta: 0.01, groups }),
  adamw: () => adamw({ lr, betas: [0.9, 0.99], eps: 1e-6, weightDecay: 0.05, groups }),
};

/** Runs `n` steps and returns the weights; the problem stays alive. */
function train(problem: Problem, opt: Optimizer, n: number): Record<string, Float32Array> {
  for (let i = 0; i < n; i++) problem.step(opt);
  return problem.weights();
}

describe('state round trip: 10 steps, save as a checkpoint would, load into a fresh optimizer, 10 more', () => {
  for (const [kind, make] of Object.entries(makers)) {
    it(`${kind}: bit-identical to 20 uninterrupted steps`, async () => {
      const straight = new Problem('mlp');
      const opt = make();
      const expected = train(straight, opt, 20);
      opt.dispose();
      straight.dispose();

      const resumed = new Problem('mlp');
      const first = make();
      train(resumed, first, 10);
      const saved = first.state();
      // Through JSON text, as a checkpoint on disk would be.
      const text = JSON.stringify(await stateToJson(saved));
      tf.dispose(Object.values(saved.tensors));
      first.dispose();
      const second = make();
      const loaded = stateFromJson(JSON.parse(text));
      second.loadState(loaded);
      tf.dispose(Object.values(loaded.tensors));
      expect(second.iterations).toBe(10);
      expect(second.currentLearningRate()).toBe(lr(10));
      const actual = train(resumed, second, 10);
      expect(second.iterations).toBe(20);
      for (const name of Object.keys(expected)) expect(actual[name], name).toEqual(expected[name]);

      // The same continuation without the state differs: the check above can fail.
      resumed.dispose();
      const fresh = new Problem('mlp');
      const a = make();
      train(fresh, a, 10);
      a.dispose();
      const b = make();
      const without = train(fresh, b, 10);
      b.dispose();
      fresh.dispose();
      expect(without['mlp/dense1/kernel']).not.toEqual(expected['mlp/dense1/kernel']);
      second.dispose();
    });
  }

  it('state().meta is JSON with kind, iterations, per-variable counts and slot names', () => {
    const problem = new Problem('mlp');
    const opt = makers.adamw();
    train(problem, opt, 3);
    const { meta, tensors } = opt.state();
    expect(JSON.parse(JSON.stringify(meta))).toEqual(meta);
    expect(meta).toMatchObject({ format: 'selfsup-optim/1', kind: 'adamw', iterations: 3 });
    expect((meta.counts as Record<string, number>)['mlp/head/bias']).toBe(3);
    expect(Object.keys(tensors).sort()).toContain('mlp/dense1/kernel/exp_avg_sq');
    expect(Object.keys(tensors)).toHaveLength(8);
    tf.dispose(Object.values(tensors));
    opt.dispose();
    problem.dispose();
  });
});

describe('state under names the caller gives', () => {
  it('keys slots and counts by those names, and loadState with them continues bit-identically', () => {
    const straight = new Problem('mlp');
    const reference = makers.sgd();
    const expected = train(straight, reference, 6);
    reference.dispose();
    straight.dispose();

    const problem = new Problem('mlp');
    const names = new Map(problem.variables.map((v, i) => [v, `model/${i}`] as const));
    const first = makers.sgd();
    train(problem, first, 3);
    const saved = first.state(names);
    expect(Object.keys(saved.tensors).every((k) => /^model\/\d\/momentum$/.test(k))).toBe(true);
    expect(Object.keys(saved.meta.counts as object).sort()).toEqual(problem.variables.map((_, i) => `model/${i}`).sort());
    first.dispose();
    const second = makers.sgd();
    second.loadState(saved, names);
    tf.dispose(Object.values(saved.tensors));
    const actual = train(problem, second, 3);
    for (const name of Object.keys(expected)) expect(actual[name], name).toEqual(expected[name]);
    second.dispose();
    problem.dispose();
  });
});

describe('tensor memory', () => {
  for (const [kind, make] of Object.entries(makers)) {
    it(`${kind}: tensor count flat across 1,000 steps, back to the start after dispose`, async () => {
      const problem = new Problem('quadratic');
      const before = tf.memory().numTensors;
      const opt = make();
      await expectNoTensorLeak(() => problem.step(opt), { warmup: 1, repeats: 1000 });
      // state() hands out copies; disposing them leaves the count where it was.
      await expectNoTensorLeak(() => opt.state().tensors, { warmup: 0, repeats: 3 });
      opt.dispose();
      expect(tf.memory().numTensors).toBe(before);
      problem.dispose();
    });
  }

  it('step leaves the caller’s gradients alive', () => {
    const v = tf.variable(tf.tensor1d([1, 2]), true, 'keep/w');
    const g = tf.tensor1d([0.5, 0.5]);
    const opt = sgd({ lr: 0.1, momentum: 0.9 });
    opt.step([{ variable: v, gradient: g }]);
    expect(g.isDisposed).toBe(false);
    expect(Array.from(v.dataSync())).toEqual([1 - 0.05, 2 - 0.05].map(Math.fround));
    tf.dispose([v, g]);
    opt.dispose();
  });
});
