import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { randomValues as values, relativeError, resultsOn as on } from '@selfsup/core/testing';
import { describe, expect, it } from 'vitest';
import { startWebGPU } from '../../test/webgpu';
import { registerWebGPUTrainingKernels } from '../register';

const gpu = await startWebGPU();
if (gpu.ok) registerWebGPUTrainingKernels();
else console.warn(`webgpu-kernels tests skipped: ${gpu.why}`);

type Pad = 'same' | 'valid';
interface Case {
  batch: number;
  size: [number, number];
  channels: [number, number];
  kernel: [number, number];
  stride: number;
  pad: Pad;
}

/** y = conv2d(x, w) and the gradients of Σ y ⊙ g: Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter. */
function convAndGrads(c: Case, seed: number): () => tf.Tensor[] {
  const r = createRng(seed);
  const xShape: [number, number, number, number] = [c.batch, ...c.size, c.channels[0]];
  const wShape: [number, number, number, number] = [...c.kernel, c.channels[0], c.channels[1]];
  const xv = values(xShape.reduce((a, b) => a * b), r.fork('x'));
  const wv = values(wShape.reduce((a, b) => a * b), r.fork('w'));
  const gr = r.fork('g');
  return () =>
    tf.tidy(() => {
      const x = tf.tensor4d(xv, xShape);
      const w = tf.tensor4d(wv, wShape);
      const conv = (a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad);
      const y = conv(x, w);
      const g = tf.tensor(values(y.size, gr.fork(String(y.shape))), y.shape);
      const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(conv(a, b), g)))([x, w]);
      return [y, dx, dw];
    });
}

const name = (c: Case) =>
  `batch ${c.batch}, ${c.size.join('x')}x${c.channels[0]} → ${c.channels[1]}, kernel ${c.kernel.join('x')}, stride ${c.stride}, ${c.pad}`;

// Every ResNet-18 (CIFAR stem) convolution: the stem, the 3×3s of each stage, the stride-2
// 3×3s and 1×1 shortcuts that open stages 2–4.
const resnet18: Case[] = [
  { size: [32, 32], channels: [3, 64], kernel: [3, 3], stride: 1 },
  { size: [32, 32], channels: [64, 64], kernel: [3, 3], stride: 1 },
  { size: [32, 32], channels: [64, 128], kernel: [3, 3], stride: 2 },
  { size: [32, 32], channels: [64, 128], kernel: [1, 1], stride: 2 },
  { size: [16, 16], channels: [128, 128], kernel: [3, 3], stride: 1 },
  { size: [16, 16], channels: [128, 256], kernel: [3, 3], stride: 2 },
  { size: [16, 16], channels: [128, 256], kernel: [1, 1], stride: 2 },
  { size: [8, 8], channels: [256, 256], kernel: [3, 3], stride: 1 },
  { size: [8, 8], channels: [256, 512], kernel: [3, 3], stride: 2 },
  { size: [8, 8], channels: [256, 512], kernel: [1, 1], stride: 2 },
  { size: [4, 4], channels: [512, 512], kernel: [3, 3], stride: 1 },
].map((c) => ({ ...c, batch: 1, pad: 'same' }) as Case);

// Random shapes over batch 1 and 64 × stride 1 and 2 × same and valid, channels in fours (the
// GEMM path) and not (the stock fallback for the forward and input gradient, scalar rows for the
// filter gradient), odd sizes, non-square kernels.
const rng = createRng(2212);
const random: Case[] = [];
for (const batch of [1, 64]) {
  for (const stride of [1, 2]) {
    for (const pad of ['same', 'valid'] as Pad[]) {
      for (const fours of [true, false]) {
        const k = rng.int(1, 4);
        const channels = (): number => (fours ? 4 * rng.int(1, 5) : rng.int(1, 8));
        random.push({
          batch,
          size: [rng.int(k + 2, 12), rng.int(k + 2, 12)],
          channels: [channels(), fours ? 4 * rng.int(1, 5) : rng.int(1, 8)],
          kernel: [k, rng.bernoulli(0.7) ? k : rng.int(1, 4)],
          stride,
          pad,
        });
      }
    }
  }
}

describe.skipIf(!gpu.ok)('webgpu GEMM kernels match the cpu backend within 1e-4 relative', () => {
  it("are what useBackend('webgpu') registers when the package is installed", () => {
    expect(gpu.ok && gpu.adapter).toMatch(/training kernels from @selfsup\/webgpu-kernels \(3\)/);
  });

  const cases: Case[] = [
    ...resnet18,
    ...random,
    // Batch 64 with 64 channels, as in ResNet-18's first stage, on 4×4 images (tfjs' cpu
    // reference takes minutes on 32×32): full 16-thread workgroups, the batch split 64 ways.
    { batch: 64, size: [4, 4], channels: [64, 64], kernel: [3, 3], stride: 1, pad: 'same' },
    { batch: 64, size: [4, 4], channels: [64, 128], kernel: [3, 3], stride: 2, pad: 'same' },
  ];
  for (const [i, c] of cases.entries()) {
    it(name(c), async () => {
      const f = convAndGrads(c, 100 + i);
      const [yCpu, dxCpu, dwCpu] = await on('cpu', f);
      const [yGpu, dxGpu, dwGpu] = await on('webgpu', f);
      expect(relativeError(yGpu, yCpu)).toBeLessThan(1e-4);
      expect(relativeError(dxGpu, dxCpu)).toBeLessThan(1e-4);
      expect(relativeError(dwGpu, dwCpu)).toBeLessThan(1e-4);
    }, 180_000);
  }

  it('leaves no tensors or GPU buffers behind (split-K partials, swapped filters)', async () => {
    await tf.setBackend('webgpu');
    const f = convAndGrads({ batch: 16, size: [8, 8], channels: [16, 32], kernel: [3, 3], stride: 2, pad: 'same' }, 7);
    const warm = f();
    await Promise.all(warm.map((t) => t.data()));
    tf.dispose(warm);
    const before = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
    for (let i = 0; i < 3; i++) {
      const outs = f();
      await Promise.all(outs.map((t) => t.data()));
      tf.dispose(outs);
    }
    const after = tf.memory() as tf.MemoryInfo & { numBytesInGPU?: number };
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytesInGPU).toBe(before.numBytesInGPU);
  });
});
