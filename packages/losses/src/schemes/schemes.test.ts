import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { LossError } from '../errors';
import { mlpHead } from '../heads/mlp';
import { directclr, identityHead, reweightHead } from '../heads/parameter-free';
import type { ProjectionHead } from '../heads/types';
import { infoNCE, type ContrastiveStats } from '../infonce';
import { maxExcess, randomMatrix, tinySgd } from '../test-helpers';
import { joint } from './joint';
import { parametric } from './parametric';

/** A toy backbone with real tf.variables: h = tanh(x W). */
function toyBackbone(seed: number) {
  const w = tf.variable(tf.tensor2d(randomMatrix(createRng(seed), 5, 6, 0.7)), true, `toy-backbone-${seed}-${Math.random()}`);
  return { w, apply: (x: tf.Tensor2D) => tf.tanh(tf.matMul(x, w)) as tf.Tensor2D };
}

const views = () => {
  const rng = createRng(42);
  const x1 = randomMatrix(rng, 8, 5);
  const x2 = x1.map((r) => r.map((v) => v + rng.normal(0, 0.3)));
  return [tf.tensor2d(x1), tf.tensor2d(x2)] as const;
};

const head = (seed = 1, bn = false): ProjectionHead =>
  mlpHead({ dims: [6, 8, 4], rng: createRng(seed), batchNorm: bn, outputBatchNorm: bn });

const snapshot = (vars: tf.Variable[]) => vars.map((v) => Array.from(v.dataSync()));
const scalar = (t: tf.Tensor) => t.dataSync()[0];

let owned: { dispose(): void }[] = [];
afterEach(() => {
  owned.forEach((o) => o.dispose());
  owned = [];
});

describe('joint', () => {
  it('is InfoNCE of the head outputs, and the caller trains the head variables', () => {
    const [x1, x2] = views();
    const backbone = toyBackbone(3);
    const objective = joint(head(), { temperature: 0.2 });
    owned.push(x1, x2, backbone.w, objective);
    expect(objective.variables().map((v) => v.name)).toEqual(objective.head.trainableVariables().map((v) => v.name));
    const expected = tf.tidy(() => {
      const [h1, h2] = [backbone.apply(x1), backbone.apply(x2)];
      return scalar(infoNCE(objective.head.apply(h1), objective.head.apply(h2), { temperature: 0.2 }));
    });
    const { value, grads } = tf.variableGrads(() => objective.loss(backbone.apply(x1), backbone.apply(x2)));
    expect(Math.abs(scalar(value) - expected)).toBeLessThan(1e-6);
    for (const v of [backbone.w, ...objective.variables()]) expect(grads[v.name], v.name).toBeDefined();
    expect(objective.headStep).toBeUndefined();
    expect(objective.stackedHeadStep).toBeUndefined();
    const { loss, stats } = tf.tidy(() => objective.lossWithStats(backbone.apply(x1), backbone.apply(x2)));
    expect(Math.abs(scalar(loss) - expected)).toBeLessThan(1e-6);
    expect(scalar(stats.top1Accuracy)).toBeGreaterThanOrEqual(0);
    tf.dispose([value, grads, loss, stats]);
  });

  it('covers the parameter-free heads (none, directclr, reweight): no variables, InfoNCE of the transformed h', () => {
    const [h1, h2] = views();
    owned.push(h1, h2);
    const cases: [ProjectionHead, (h: tf.Tensor2D) => tf.Tensor2D][] = [
      [identityHead(), (h) => h],
      [directclr({ keepDims: 2 }), (h) => tf.slice(h, [0, 0], [-1, 2])],
      [reweightHead({ kappa: 1.5 }), (h) => tf.mul(h, tf.tensor1d([1, 1 / 1.5, 1 / 1.5 ** 2, 1 / 1.5 ** 3, 1 / 1.5 ** 4]))],
    ];
    for (const [h, transform] of cases) {
      const objective = joint(h, { temperature: 0.3 });
      expect(objective.variables()).toEqual([]);
      const [actual, expected] = tf.tidy(() => [
        scalar(objective.loss(h1, h2)),
        scalar(infoNCE(transform(h1), transform(h2), { temperature: 0.3 })),
      ]);
      expect(Math.abs(actual - expected), h.name).toBeLessThan(1e-6);
      expect(parametric(h, { temperature: 0.3, lr: 0.1 }).headStep(h1, h2)).toBeUndefined();
    }
  });

  it('diagnostics come out of the gradient pass itself (tf.keep the stats), without leaks', async () => {
    const [x1, x2] = views();
    const backbone = toyBackbone(11);
    const objective = joint(head(11, true), { temperature: 0.2 });
    owned.push(x1, x2, backbone.w, objective);
    const step = () => {
      let stats: ContrastiveStats | undefined;
      const { value, grads } = tf.variableGrads(() => {
        const result = objective.lossWithStats(backbone.apply(x1), backbone.apply(x2));
        stats = result.stats;
        Object.values(stats).forEach((t) => tf.keep(t));
        return result.loss;
      });
      expect(Object.keys(grads)).toContain(backbone.w.name);
      tf.dispose(grads);
      return { value, ...stats! };
    };
    const out = step();
    expect(scalar(out.top1Accuracy)).toBeGreaterThanOrEqual(0);
    expect(scalar(out.alignment)).toBeGreaterThan(0);
    tf.dispose(out);
    await expectNoTensorLeak(step);
  });
});

describe('parametric', () => {
  for (const bn of [false, true]) {
    it(`K inner steps at a small LR lower the head's loss on fixed features monotonically${bn ? ' (BN head)' : ''}`, () => {
      const [x1, x2] = views();
      const backbone = toyBackbone(5);
      const objective = parametric(head(2, bn), { temperature: 0.2, innerSteps: 25, optimizer: tinySgd(0.01) });
      owned.push(x1, x2, backbone.w, objective);
      const [h1, h2] = tf.tidy(() => [backbone.apply(x1), backbone.apply(x2)]);
      owned.push(h1, h2);
      const inner = objective.headStep(h1, h2)!;
      const losses = Array.from(inner.dataSync());
      inner.dispose();
      expect(losses).toHaveLength(25);
      for (let k = 1; k < losses.length; k++) expect(losses[k], `step ${k}`).toBeLessThan(losses[k - 1]);
      const after = tf.tidy(() => scalar(objective.loss(h1, h2, { training: true })));
      expect(after).toBeLessThan(losses[24]);
      expect(losses[0] - after).toBeGreaterThan(1e-3);
    });
  }

  it('headStep updates only the head: backbone variables are untouched, the head optimizer sees only head variables', () => {
    const [x1, x2] = views();
    const backbone = toyBackbone(6);
    const optimizer = tinySgd(0.1);
    const objective = parametric(head(3, true), { temperature: 0.2, innerSteps: 3, optimizer });
    owned.push(x1, x2, backbone.w, objective);
    const backboneBefore = snapshot([backbone.w]);
    const headBefore = snapshot(objective.head.trainableVariables());
    // h straight from the backbone (tape-connected inside variableGrads, see the next test).
    tf.tidy(() => {
      objective.headStep(backbone.apply(x1), backbone.apply(x2));
    });
    expect(snapshot([backbone.w])).toEqual(backboneBefore);
    expect(maxExcess(snapshot(objective.head.trainableVariables()), headBefore)).toBeGreaterThan(1e-4);
    const headNames = objective.head.trainableVariables().map((v) => v.name).sort();
    expect(optimizer.stepped).toHaveLength(3);
    for (const names of optimizer.stepped) expect([...names].sort()).toEqual(headNames);
  });

  it('backbone step: no gradient reaches the head variables; the backbone gradient is ∂θ L(θ, φ) through the fixed head (Danskin)', () => {
    const [x1, x2] = views();
    const backbone = toyBackbone(7);
    const objective = parametric(head(4, true), { temperature: 0.2, innerSteps: 2, optimizer: tinySgd(0.1) });
    owned.push(x1, x2, backbone.w, objective);
    tf.tidy(() => {
      objective.headStep(backbone.apply(x1), backbone.apply(x2));
    });
    expect(objective.variables()).toEqual([]);
    // All trainable variables in the engine (backbone + head) are differentiated.
    const parametricStep = tf.variableGrads(() => objective.loss(backbone.apply(x1), backbone.apply(x2)));
    for (const v of objective.head.trainableVariables()) expect(parametricStep.grads[v.name], v.name).toBeUndefined();
    expect(parametricStep.grads[backbone.w.name]).toBeDefined();
    // The same head under `joint` (live variables) gives the same partial derivative for θ.
    const twin = joint(objective.head, { temperature: 0.2 });
    const jointStep = tf.variableGrads(() => twin.loss(backbone.apply(x1), backbone.apply(x2), { training: false }), [backbone.w]);
    const parametricEval = tf.variableGrads(() => objective.loss(backbone.apply(x1), backbone.apply(x2), { training: false }), [backbone.w]);
    expect(maxExcess(parametricEval.grads[backbone.w.name].dataSync(), jointStep.grads[backbone.w.name].dataSync())).toBeLessThan(1e-6);
    expect(maxExcess(jointStep.grads[backbone.w.name].dataSync(), new Float32Array(30))).toBeGreaterThan(1e-4);
    tf.dispose([parametricStep.value, parametricStep.grads, jointStep.value, jointStep.grads, parametricEval.value, parametricEval.grads]);
  });

  it('one forward: headStep inside the caller’s variableGrads gives the same head and backbone gradient as two passes', () => {
    const [x1, x2] = views();
    const run = (inside: boolean) => {
      const backbone = toyBackbone(8);
      const objective = parametric(head(5, false), { temperature: 0.2, innerSteps: 3, optimizer: tinySgd(0.1) });
      let result;
      if (inside) {
        result = tf.variableGrads(() => {
          const [h1, h2] = [backbone.apply(x1), backbone.apply(x2)];
          objective.headStep(h1, h2)!.dispose();
          return objective.loss(h1, h2);
        }, [backbone.w]);
      } else {
        tf.tidy(() => {
          objective.headStep(backbone.apply(x1), backbone.apply(x2));
        });
        result = tf.variableGrads(() => objective.loss(backbone.apply(x1), backbone.apply(x2)), [backbone.w]);
      }
      const out = { head: snapshot(objective.head.trainableVariables()), grad: Array.from(result.grads[backbone.w.name].dataSync()), loss: scalar(result.value) };
      tf.dispose([result.value, result.grads]);
      backbone.w.dispose();
      objective.dispose();
      return out;
    };
    const [one, two] = [run(true), run(false)];
    expect(maxExcess(one.head, two.head)).toBeLessThan(1e-6);
    expect(maxExcess(one.grad, two.grad)).toBeLessThan(1e-6);
    expect(Math.abs(one.loss - two.loss)).toBeLessThan(1e-6);
    tf.dispose([x1, x2]);
  });

  it('weightDecay adds λ/2 Σ‖φ‖² to the inner objective', () => {
    const [h1, h2] = views().map((x) => tf.tidy(() => tf.tanh(tf.concat([x, tf.slice(x, [0, 0], [-1, 1])], 1)))) as tf.Tensor2D[];
    const lambda = 0.3;
    const objective = parametric(head(6), { temperature: 0.2, innerSteps: 1, weightDecay: lambda, optimizer: tinySgd(0.01) });
    owned.push(h1, h2, objective);
    const expected = tf.tidy(() => {
      const z = objective.head.apply(tf.concat([h1, h2]) as tf.Tensor2D, { training: true });
      const [z1, z2] = tf.split(z, 2, 0) as tf.Tensor2D[];
      const norm = tf.addN(objective.head.trainableVariables().map((v) => tf.sum(tf.square(v))));
      return scalar(infoNCE(z1, z2, { temperature: 0.2 })) + (lambda / 2) * scalar(norm);
    });
    const inner = objective.headStep(h1, h2)!;
    expect(Math.abs(inner.dataSync()[0] - expected)).toBeLessThan(1e-5);
    inner.dispose();
  });

  it('reset: true re-draws the head from its seeded initialiser before the inner steps', () => {
    const [h1, h2] = views().map((x) => tf.tidy(() => tf.tanh(tf.concat([x, tf.slice(x, [0, 0], [-1, 1])], 1)))) as tf.Tensor2D[];
    const withReset = parametric(head(7), { temperature: 0.2, innerSteps: 2, reset: true, optimizer: tinySgd(0.1) });
    const manual = parametric(head(7), { temperature: 0.2, innerSteps: 2, optimizer: tinySgd(0.1) });
    const warm = parametric(head(7), { temperature: 0.2, innerSteps: 2, optimizer: tinySgd(0.1) });
    owned.push(h1, h2, withReset, manual, warm);
    for (let step = 0; step < 2; step++) {
      withReset.headStep(h1, h2)!.dispose();
      manual.head.reset();
      manual.headStep(h1, h2)!.dispose();
      warm.headStep(h1, h2)!.dispose();
    }
    expect(snapshot(withReset.head.trainableVariables())).toEqual(snapshot(manual.head.trainableVariables()));
    expect(maxExcess(snapshot(withReset.head.trainableVariables()), snapshot(warm.head.trainableVariables()))).toBeGreaterThan(1e-4);
  });

  it('reset: true also returns the head optimizer to its fresh state and sets running statistics from the fitted head', () => {
    const [h1, h2] = views().map((x) => tf.tidy(() => tf.tanh(tf.concat([x, tf.slice(x, [0, 0], [-1, 1])], 1)))) as tf.Tensor2D[];
    const optimizer = tinySgd(0.1);
    const objective = parametric(head(11, true), { temperature: 0.2, innerSteps: 3, reset: true, optimizer });
    owned.push(h1, h2, objective);
    for (let step = 0; step < 2; step++) {
      objective.headStep(h1, h2)!.dispose();
      tf.dispose(objective.loss(h1, h2, { training: true }));
    }
    // Fresh optimizer state before every step: its count is one step's K, not 2K.
    expect(optimizer.iterations).toBe(3);
    // Running mean of the first layer = this batch's mean pre-activation under the fitted head.
    const [kernel, bias] = objective.head.trainableVariables();
    const batchMean = tf.tidy(() => tf.mean(tf.add(tf.matMul(tf.concat([h1, h2]), kernel), bias), 0));
    const runningMean = objective.head.nonTrainableVariables()[0];
    expect(maxExcess(runningMean.dataSync(), batchMean.dataSync())).toBeLessThan(1e-5);
    batchMean.dispose();
  });

  it('{ lr } alone runs plain gradient descent (same result as an SGD optimizer)', () => {
    const [h1, h2] = views().map((x) => tf.tidy(() => tf.tanh(tf.concat([x, tf.slice(x, [0, 0], [-1, 1])], 1)))) as tf.Tensor2D[];
    const a = parametric(head(8), { temperature: 0.2, innerSteps: 4, lr: 0.1 });
    const b = parametric(head(8), { temperature: 0.2, innerSteps: 4, optimizer: tinySgd(0.1) });
    owned.push(h1, h2, a, b);
    a.headStep(h1, h2)!.dispose();
    b.headStep(h1, h2)!.dispose();
    expect(maxExcess(snapshot(a.head.trainableVariables()), snapshot(b.head.trainableVariables()))).toBeLessThan(1e-6);
  });

  it('rejects bad options with the fix', () => {
    const h = identityHead();
    expect(() => parametric(h, { temperature: 0.2, innerSteps: 0, lr: 0.1 })).toThrow(/innerSteps as an integer ≥ 1/);
    expect(() => parametric(h, { temperature: 0.2 })).toThrow(LossError);
    expect(() => parametric(h, { temperature: 0.2 })).toThrow(/sgd\(\{ lr: 0.3, momentum: 0.9 \}\)/);
    expect(() => parametric(h, { temperature: 0.2, lr: 0.1, weightDecay: -1 })).toThrow(/weightDecay ≥ 0/);
    expect(() => joint(h, { temperature: 0 })).toThrow(/temperature > 0/);
  });

  it('keeps tensor counts flat across full training steps (headStep + backbone gradient + update), both patterns', async () => {
    const [x1, x2] = views();
    const backbone = toyBackbone(9);
    const objective = parametric(head(9, true), { temperature: 0.2, innerSteps: 3, lr: 0.05, weightDecay: 1e-4 });
    const sgd = tinySgd(0.05);
    owned.push(x1, x2, backbone.w, objective);
    const twoPass = () => {
      tf.tidy(() => {
        objective.headStep(backbone.apply(x1), backbone.apply(x2));
      });
      const { value, grads } = tf.variableGrads(() => objective.loss(backbone.apply(x1), backbone.apply(x2)), [backbone.w]);
      sgd.step([{ variable: backbone.w, gradient: grads[backbone.w.name] }]);
      tf.dispose(grads);
      return value;
    };
    const onePass = () => {
      const { value, grads } = tf.variableGrads(() => {
        const [h1, h2] = [backbone.apply(x1), backbone.apply(x2)];
        objective.headStep(h1, h2);
        return objective.loss(h1, h2);
      }, [backbone.w]);
      sgd.step([{ variable: backbone.w, gradient: grads[backbone.w.name] }]);
      tf.dispose(grads);
      return value;
    };
    await expectNoTensorLeak(twoPass, { warmup: 1, repeats: 3 });
    await expectNoTensorLeak(onePass, { warmup: 1, repeats: 3 });
    const start = tf.memory().numTensors;
    const extra = parametric(head(10, true), { temperature: 0.2, lr: 0.1 });
    extra.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('stacked views', () => {
  for (const scheme of ['joint', 'parametric'] as const) {
    it(`${scheme}: stackedLoss / stackedHeadStep on [h1; h2] equal loss / headStep on (h1, h2), gradients included`, () => {
      const [x1, x2] = views();
      const make = () =>
        scheme === 'joint'
          ? joint(head(12, true), { temperature: 0.2 })
          : parametric(head(12, true), { temperature: 0.2, innerSteps: 2, optimizer: tinySgd(0.1) });
      const run = (stacked: boolean) => {
        const backbone = toyBackbone(13);
        const objective = make();
        const vars = [backbone.w, ...objective.variables()];
        let inner: number[] | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const [h1, h2] = [backbone.apply(x1), backbone.apply(x2)];
          const h = tf.concat([h1, h2]) as tf.Tensor2D;
          const losses = stacked ? objective.stackedHeadStep?.(h) : objective.headStep?.(h1, h2);
          inner = losses && Array.from(losses.dataSync());
          return stacked ? objective.stackedLoss(h) : objective.loss(h1, h2);
        }, vars);
        const out = {
          loss: scalar(value),
          inner,
          grads: vars.map((v) => Array.from(grads[v.name].dataSync())),
          head: snapshot([...objective.head.trainableVariables(), ...objective.head.nonTrainableVariables()]),
        };
        tf.dispose([value, grads]);
        backbone.w.dispose();
        objective.dispose();
        return out;
      };
      const [pair, stacked] = [run(false), run(true)];
      expect(Math.abs(stacked.loss - pair.loss)).toBeLessThan(1e-6);
      expect(stacked.inner).toEqual(pair.inner);
      expect(pair.inner === undefined).toBe(scheme === 'joint');
      expect(maxExcess(stacked.grads, pair.grads)).toBeLessThan(1e-6);
      expect(maxExcess(stacked.head, pair.head)).toBeLessThan(1e-6);
      tf.dispose([x1, x2]);
    });
  }

  it('rejects an odd number of stacked rows with the fix', () => {
    const objective = joint(head(), { temperature: 0.2 });
    const h = tf.ones([5, 6]) as tf.Tensor2D;
    owned.push(objective, h);
    expect(() => objective.stackedLoss(h)).toThrow(LossError);
    expect(() => objective.stackedLoss(h)).toThrow(/tf\.concat\(\[h1, h2\]\)/);
  });
});
