import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { importTorchWeights, resnet } from '../src/index';
import { FIXTURES, maxAbsDiff, readFixture, type TorchFixture } from './helpers';

// The same PyTorch fixtures on the wasm backend (the workspace default): explicit conv and
// max-pool padding and the batch-norm ops must agree there too.
beforeAll(async () => {
  await tf.setBackend('wasm');
});

it.each(['resnet18-w0.125-cifar', 'resnet50-w0.0625-imagenet'])('%s matches torchvision on wasm', async (name) => {
  expect(tf.getBackend()).toBe('wasm');
  const f = readFixture<TorchFixture>(`${name}.json`);
  const model = resnet({ block: f.block === 'BasicBlock' ? 'basic' : 'bottleneck', layers: f.layers, width: f.width, stem: f.stem });
  await importTorchWeights(model, join(FIXTURES, `${name}.safetensors`));
  const x = tf.tensor4d(f.input.nhwc, f.input.shape);
  const evalOut = model.apply(x);
  const trainOut = model.apply(x, { training: true });
  expect(maxAbsDiff(await evalOut.data(), f.eval.features)).toBeLessThanOrEqual(1e-4);
  expect(maxAbsDiff(await trainOut.data(), f.train.features)).toBeLessThanOrEqual(1e-4);
  tf.dispose([x, evalOut, trainOut]);
  model.dispose();
});
