import * as tf from '@tensorflow/tfjs-core';
import type { ImageBatch } from '@selfsup/core';
import { describe, expect, it } from 'vitest';
import { resnet, smallConvnet, type Backbone, type ForwardOptions } from './index';
import { backboneConformance } from './testing';

describe('backboneConformance', () => {
  it.each([
    ['smallConvnet', () => smallConvnet({ widths: [4, 8] })],
    ['resnet18 (narrow, cifar)', () => resnet({ block: 'basic', layers: [2, 2, 2, 2], stem: 'cifar', width: 0.0625 })],
    ['resnet50 (narrow, imagenet)', () => resnet({ block: 'bottleneck', layers: [1, 1, 1, 1], stem: 'imagenet', width: 0.0625 })],
  ])('%s passes', async (_, make) => {
    const model = make();
    const report = await backboneConformance(model, { inputShape: [3, 16, 16, 3] });
    expect(report.checkedBatchNorm).toBe(true);
    expect(report.checkedGradients).toBe(true);
    expect(report.params).toBe(model.countParams());
    model.dispose();
  });

  /** A user backbone wrapping ours, with one defect switched on. */
  function broken(defect: 'leak' | 'count' | 'evalUpdates' | 'noBatchStats'): Backbone {
    const inner = smallConvnet({ widths: [4] });
    const kept: tf.Tensor[] = [];
    return {
      name: `broken-${defect}`,
      featureDim: inner.featureDim,
      tapNames: inner.tapNames,
      apply(x: ImageBatch, options: ForwardOptions = {}) {
        if (defect === 'leak') kept.push(tf.ones([1]));
        if (defect === 'evalUpdates' && !options.training) {
          inner.apply(x, { training: true }).dispose();
        }
        if (defect === 'noBatchStats') return inner.apply(x, { training: false });
        return inner.apply(x, options);
      },
      taps: (x, options) => inner.taps(x, options),
      countParams: () => inner.countParams() + (defect === 'count' ? 1 : 0),
      namedVariables: () => inner.namedVariables(),
      trainableVariables: () => inner.trainableVariables(),
      nonTrainableVariables: () => inner.nonTrainableVariables(),
      dispose: () => {
        tf.dispose(kept);
        inner.dispose();
      },
    };
  }

  it.each([
    ['leak', /apply\(eval\): tensor leak/],
    ['count', /countParams\(\) = 117, trainable sizes sum to 116/],
    ['evalUpdates', /two eval-mode calls differ/],
    ['noBatchStats', /batch statistics are not used/],
  ] as const)('catches a backbone with defect %s', async (defect, message) => {
    const model = broken(defect);
    const error = await backboneConformance(model).then(() => null, (e: Error) => e);
    expect(error?.message).toMatch(message);
    model.dispose();
  });
});
