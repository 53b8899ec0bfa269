import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { describeOnBackends } from '@selfsup/core/vitest';
import { join } from 'node:path';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { importTorchWeights, resnet, type ResNet } from '../src/index';
import { FIXTURES, maxAbsDiff, readFixture, type TorchFixture } from './helpers';

// Reference values: test/fixtures/make_fixtures.py (torchvision 0.14.1 BasicBlock/Bottleneck,
// randomised weights and BN running statistics), generated once.
const CASES = ['resnet18-w0.125-cifar', 'resnet50-w0.0625-imagenet'];

async function build(name: string): Promise<{ model: ResNet; fixture: TorchFixture; x: tf.Tensor4D }> {
  const fixture = readFixture<TorchFixture>(`${name}.json`);
  const model = resnet({
    block: fixture.block === 'BasicBlock' ? 'basic' : 'bottleneck',
    layers: fixture.layers,
    width: fixture.width,
    stem: fixture.stem,
  });
  const result = await importTorchWeights(model, join(FIXTURES, `${name}.safetensors`));
  expect(result.skipped.every((n) => n.endsWith('num_batches_tracked'))).toBe(true);
  expect(result.loaded.length).toBe(model.namedVariables().size);
  return { model, fixture, x: tf.tensor4d(fixture.input.nhwc, fixture.input.shape) };
}

// On every backend the workspace trains on: explicit conv and max-pool padding and the batch-norm
// ops must agree with PyTorch on wasm as on cpu.
describeOnBackends('torchvision fixtures', () => {
  describe.each(CASES)('%s against PyTorch', (name) => {
    it('eval-mode features and taps equal torchvision within 1e-4', async () => {
      const { model, fixture, x } = await build(name);
      expect(model.featureDim).toBe(fixture.eval.featureDim);
      const features = model.apply(x, { training: false });
      expect(features.shape).toEqual([2, fixture.eval.featureDim]);
      const err = maxAbsDiff(await features.data(), fixture.eval.features);
      expect(err).toBeLessThanOrEqual(1e-4);
      const taps = model.taps(x);
      expect(Object.keys(taps)).toEqual(Object.keys(fixture.eval.taps));
      for (const [tap, ref] of Object.entries(fixture.eval.taps)) {
        expect(taps[tap].shape).toEqual(ref.shape);
        expect(maxAbsDiff(await taps[tap].data(), ref.values)).toBeLessThanOrEqual(1e-4);
      }
      // The features are the last tap.
      expect(maxAbsDiff(await taps.layer4.data(), await features.data())).toBe(0);
      tf.dispose([features, x, ...Object.values(taps)]);
      model.dispose();
    });

    it('training mode normalises with batch statistics and updates running ones like PyTorch', async () => {
      const { model, fixture, x } = await build(name);
      const evalBefore = model.apply(x);
      const features = model.apply(x, { training: true });
      expect(maxAbsDiff(await features.data(), fixture.train.features)).toBeLessThanOrEqual(1e-4);
      const named = model.namedVariables();
      for (const [stat, ref] of Object.entries(fixture.train.runningAfterOneStep)) {
        // running_var uses the unbiased batch variance, as in PyTorch.
        expect(maxAbsDiff(await named.get(stat)!.data(), ref), stat).toBeLessThanOrEqual(1e-4);
      }
      // Eval mode now uses the moved running statistics, so its output changed.
      const evalAfter = model.apply(x);
      expect(maxAbsDiff(await evalBefore.data(), await evalAfter.data())).toBeGreaterThan(1e-3);
      tf.dispose([evalBefore, evalAfter, features, x]);
      model.dispose();
    });

    it('keeps the tensor count flat across repeated calls in both modes', async () => {
      const { model, x } = await build(name);
      const base = tf.memory().numTensors;
      await expectNoTensorLeak(() => model.apply(x));
      await expectNoTensorLeak(() => model.apply(x, { training: true }));
      await expectNoTensorLeak(() => model.taps(x, { training: true }));
      expect(tf.memory().numTensors).toBe(base);
      const vars = model.namedVariables().size;
      model.dispose();
      x.dispose();
      expect(tf.memory().numTensors).toBe(base - vars - 1);
    });
  });
});
