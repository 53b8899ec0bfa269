/**
 * `pnpm --filter @selfsup/bench bench:webgpu-layers`: every distinct ResNet-18 (CIFAR stem)
 * convolution on webgpu — forward, input gradient, filter gradient — with tfjs' stock kernels and
 * with @selfsup/webgpu-kernels in the same run: ms per call, speedup, GFLOP/s, and the largest
 * relative difference between the two results.
 *   [--batch 32]  images per call
 */
import * as tf from '@tensorflow/tfjs-core';
import { parseArgs } from 'node:util';
import { useBackend } from '@selfsup/core';
import { relativeError } from '@selfsup/core/testing';
import { registerWebGPUTrainingKernels, useStockWebGPUKernels } from '@selfsup/webgpu-kernels';

const { values } = parseArgs({ options: { batch: { type: 'string', default: '32' } } });
const batch = Number(values.batch);
console.log(`webgpu: ${(await useBackend('webgpu', { allowSoftwareAdapter: true })).reason}`);

// [image size, in channels, out channels, kernel, stride]
const LAYERS: [number, number, number, number, number][] = [
  [32, 3, 64, 3, 1], [32, 64, 64, 3, 1], [32, 64, 128, 3, 2], [32, 64, 128, 1, 2], [16, 128, 128, 3, 1],
  [16, 128, 256, 3, 2], [16, 128, 256, 1, 2], [8, 256, 256, 3, 1], [8, 256, 512, 3, 2], [8, 256, 512, 1, 2], [4, 512, 512, 3, 1],
];
const OPS = ['forward', 'input grad', 'filter grad'] as const;

/** Milliseconds of one call after a warm-up call (which compiles the pipeline), and its values. */
async function timed(f: () => tf.Tensor): Promise<[number, Float32Array]> {
  const warm = f();
  await warm.data();
  warm.dispose();
  const t = performance.now();
  const out = f();
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return [performance.now() - t, data];
}

const totals = { stock: [0, 0, 0], selfsup: [0, 0, 0] };
console.log(`batch ${batch}; per op: stock ms → selfsup ms (speedup, selfsup GFLOP/s, max rel. difference)`);
for (const [size, ci, co, k, stride] of LAYERS) {
  const x = tf.randomNormal([batch, size, size, ci]) as tf.Tensor4D;
  const w = tf.randomNormal([k, k, ci, co]) as tf.Tensor4D;
  const y = tf.conv2d(x, w, stride, 'same');
  const dy = tf.randomNormal(y.shape) as tf.Tensor4D;
  const flops = 2 * y.size * k * k * ci;
  const ops = [
    () => tf.conv2d(x, w, stride, 'same'),
    () => tf.conv2dTranspose(dy, w, x.shape, stride, 'same'),
    () => tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { strides: stride, pad: 'same', dataFormat: 'NHWC', filterShape: w.shape }) as tf.Tensor,
  ];
  const cells: string[] = [];
  for (const [i, op] of ops.entries()) {
    useStockWebGPUKernels();
    const [stockMs, stock] = await timed(op);
    registerWebGPUTrainingKernels();
    const [oursMs, ours] = await timed(op);
    totals.stock[i] += stockMs;
    totals.selfsup[i] += oursMs;
    cells.push(`${OPS[i]} ${stockMs.toFixed(0)} → ${oursMs.toFixed(0)} ms (${(stockMs / oursMs).toFixed(1)}×, ${(flops / oursMs / 1e6).toFixed(1)} GFLOP/s, ${relativeError(ours, stock).toExponential(1)})`);
  }
  console.log(`${size}×${size}×${ci} → ${co}, ${k}×${k}, stride ${stride}:\n  ${cells.join('\n  ')}`);
  tf.dispose([x, w, y, dy]);
}
for (const [i, op] of OPS.entries()) {
  console.log(`all layers once, ${op}: stock ${totals.stock[i].toFixed(0)} ms, selfsup ${totals.selfsup[i].toFixed(0)} ms (${(totals.stock[i] / totals.selfsup[i]).toFixed(1)}×)`);
}
