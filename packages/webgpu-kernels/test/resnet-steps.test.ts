import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { createRng, useBackend } from '@selfsup/core';
import { resnet18 } from '@selfsup/backbones';
import { contrastiveStep, joint, mlpHead } from '@selfsup/losses';
import { sgd } from '@selfsup/optim';
import { describe, expect, it } from 'vitest';
import { startWebGPU } from './webgpu';

const gpu = await startWebGPU();

const STEPS = 5;
const VIEWS = 32; // 2N

/**
 * Five SimCLR steps (ResNet-18, CIFAR stem, head 512-512-128, NT-Xent τ = 0.5, SGD with
 * momentum) from seed 0 on one backend. Weights and views are drawn by tfjs-core on the CPU, so
 * every backend starts from the same numbers.
 */
async function losses(backend: 'webgpu' | 'wasm'): Promise<number[]> {
  await useBackend(backend, { allowSoftwareAdapter: true });
  const rng = createRng(0);
  const backbone = resnet18({ stem: 'cifar', rng: rng.fork('backbone') });
  const objective = joint(mlpHead({ dims: [512, 512, 128], rng: rng.fork('head') }), { temperature: 0.5 });
  const optimizer = sgd({ lr: 0.1, momentum: 0.9 });
  const views = [0, 1].map((i) => tf.randomUniform([VIEWS / 2, 32, 32, 3], 0, 1, 'float32', 100 + i) as tf.Tensor4D);
  const out: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const { loss } = contrastiveStep({ backbone, objective, optimizer }, views[0], views[1]);
    out.push((await loss.data())[0]);
    loss.dispose();
  }
  tf.dispose(views);
  tf.disposeVariables();
  return out;
}

describe.skipIf(!gpu.ok)('ResNet-18 SimCLR steps on WebGPU (with these kernels)', () => {
  it(`give the wasm backend's losses within 1e-3 relative over ${STEPS} steps at 2N = ${VIEWS}`, async () => {
    const wasm = await losses('wasm');
    const webgpu = await losses('webgpu');
    console.log(`[resnet steps] wasm ${wasm.map((l) => l.toFixed(5)).join(' ')} | webgpu ${webgpu.map((l) => l.toFixed(5)).join(' ')}`);
    expect(tf.getBackend()).toBe('webgpu');
    for (let i = 0; i < STEPS; i++) {
      expect(Number.isFinite(webgpu[i])).toBe(true);
      expect(Math.abs(webgpu[i] - wasm[i]) / Math.abs(wasm[i])).toBeLessThan(1e-3);
    }
    // The steps train: the loss moves (a frozen model would repeat its first loss).
    expect(Math.abs(webgpu[STEPS - 1] - webgpu[0])).toBeGreaterThan(1e-3);
  }, 900_000);
});
