import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import type { Optimizer } from '@selfsup/core';
import { buildModel, type BuiltModel } from './build';
import { configSchema, type TrainConfigInput } from './config/schema';

const base: TrainConfigInput = {
  seed: 5,
  model: { backbone: 'small-convnet', widths: [4, 8] },
  head: { type: 'mlp', dims: [16, 8], batchNorm: true },
  optimizer: { name: 'sgd', lr: 0.5, lrScaling: 'none', momentum: 0.9, weightDecay: 0.01 },
  schedule: { name: 'cosine' },
  train: { epochs: 3 },
};

function build(objective: TrainConfigInput['objective']): BuiltModel {
  return buildModel(configSchema.parse({ ...base, objective }), { channels: 3, stepsPerEpoch: 4 });
}

/** The head's variables after `optimizer` takes one step with zero gradients: weight decay and nothing else. */
function afterDecayStep(model: BuiltModel, optimizer: Optimizer): number[][] {
  const variables = model.objective.head.trainableVariables();
  const gradients = variables.map((variable) => ({ variable, gradient: tf.zerosLike(variable) }));
  optimizer.step(gradients);
  tf.dispose(gradients.map((g) => g.gradient));
  return variables.map((v) => Array.from(v.dataSync()));
}

function dispose(model: BuiltModel): void {
  model.backbone.dispose();
  model.objective.dispose();
  model.optimizer.dispose();
  model.headOptimizer?.dispose();
}

describe('matched arms: the head is optimised alike in joint and parametric', () => {
  it('same parameter groups: weight decay on head kernels, none on batch norm and biases', () => {
    const joint = build({ scheme: 'joint' });
    const parametric = build({ scheme: 'parametric', innerSteps: 3 });
    const before = joint.objective.head.trainableVariables().map((v) => Array.from(v.dataSync()));
    expect(parametric.objective.head.trainableVariables().map((v) => Array.from(v.dataSync()))).toEqual(before);
    const a = afterDecayStep(joint, joint.optimizer);
    const b = afterDecayStep(parametric, parametric.headOptimizer!);
    expect(b).toEqual(a);
    // The step did decay the kernels and left batch norm and biases alone (so the check can fail).
    const names = joint.objective.head.trainableVariables().map((v) => v.name);
    names.forEach((name, i) => {
      const changed = a[i].some((value, j) => value !== before[i][j]);
      expect(changed, name).toBe(/kernel/.test(name));
    });
    [joint, parametric].forEach(dispose);
  });

  it("the head's learning rate follows the backbone's schedule step by step", () => {
    const parametric = build({ scheme: 'parametric' });
    const { optimizer, headOptimizer } = parametric;
    for (let step = 0; step < 12; step++) {
      expect(headOptimizer!.currentLearningRate()).toBeCloseTo(optimizer.currentLearningRate(), 12);
      headOptimizer!.step([]);
      optimizer.step([]);
    }
    dispose(parametric);
  });

  it('objective.headLr and objective.headWeightDecay override the matched defaults', () => {
    const joint = build({ scheme: 'joint' });
    const custom = build({ scheme: 'parametric', headLr: 0.25, headWeightDecay: 0 });
    expect(custom.headOptimizer!.currentLearningRate()).toBeCloseTo(joint.optimizer.currentLearningRate() / 2, 12);
    const before = custom.objective.head.trainableVariables().map((v) => Array.from(v.dataSync()));
    expect(afterDecayStep(custom, custom.headOptimizer!)).toEqual(before);
    [joint, custom].forEach(dispose);
  });
});
