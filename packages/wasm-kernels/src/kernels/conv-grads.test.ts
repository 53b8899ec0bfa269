import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { describe, expect, it } from 'vitest';
import { on, relativeError, values } from '../../test/helpers';
import { registerWasmTrainingKernels } from '../register';
import { conv2DBackpropFilter } from './Conv2DBackpropFilter';
import { clearRotatedFilterCache, conv2DBackpropInput } from './Conv2DBackpropInput';

registerWasmTrainingKernels();

type Pad = 'same' | 'valid';
interface Case {
  batch: number;
  size: [number, number];
  channels: [number, number];
  kernel: [number, number];
  stride: number;
  pad: Pad;
}

// Random shapes (odd and even sizes, square and not) over the grid the issue names.
const rng = createRng(8474);
const cases: Case[] = [];
for (const batch of [1, 64]) {
  for (const stride of [1, 2]) {
    for (const pad of ['same', 'valid'] as Pad[]) {
      const k = rng.int(1, 4); // 1..3
      cases.push({
        batch,
        size: [rng.int(k + 2, 10), rng.int(k + 2, 10)],
        channels: [rng.int(1, 6), rng.int(1, 6)],
        kernel: [k, rng.bernoulli(0.7) ? k : rng.int(1, 4)],
        stride,
        pad,
      });
    }
  }
}

// Beyond the grid: stride 3, 4x4 kernels, sizes not divisible by the stride.
for (let i = 0; i < 6; i++) {
  const k = rng.int(1, 5);
  cases.push({
    batch: 2,
    size: [rng.int(k + 1, 12), rng.int(k + 1, 12)],
    channels: [rng.int(1, 5), rng.int(1, 5)],
    kernel: [k, rng.int(1, 5)],
    stride: rng.int(1, 4),
    pad: rng.bernoulli(0.5) ? 'same' : 'valid',
  });
}

/** Gradients of Σ conv2d(x, w) ⊙ g with respect to x and w: dx runs Conv2DBackpropInput, dw Conv2DBackpropFilter. */
function convGrads(c: Case, seed: number): () => tf.Tensor[] {
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
      const outShape = tf.conv2d(x, w, c.stride, c.pad).shape;
      const g = tf.tensor(values(outShape.reduce((a, b) => a * b), gr.fork(String(outShape))), outShape);
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad), g)),
      )([x, w]);
      return grads;
    });
}

describe('conv2d gradient kernels on wasm match the cpu backend', () => {
  for (const [i, c] of cases.entries()) {
    const name = `batch ${c.batch}, ${c.size.join('x')}x${c.channels[0]} → ${c.channels[1]}, kernel ${c.kernel.join('x')}, stride ${c.stride}, ${c.pad}`;
    it(name, async () => {
      const f = convGrads(c, 100 + i);
      const [dxCpu, dwCpu] = await on('cpu', f);
      const [dxWasm, dwWasm] = await on('wasm', f);
      expect(relativeError(dxWasm, dxCpu)).toBeLessThan(1e-4);
      expect(relativeError(dwWasm, dwCpu)).toBeLessThan(1e-4);
    });
  }

  // The kernel picks a formulation by shape; both must be right on every shape.
  const pathCases: Case[] = [
    ...cases,
    // Two image blocks (48 + 16 images) for 'gemm' at stride 1, and a 4×4 image ('auto': im2col).
    { batch: 64, size: [16, 16], channels: [32, 24], kernel: [3, 3], stride: 1, pad: 'same' },
    { batch: 64, size: [16, 16], channels: [32, 24], kernel: [3, 3], stride: 2, pad: 'same' },
    { batch: 64, size: [4, 4], channels: [32, 40], kernel: [3, 3], stride: 1, pad: 'same' },
  ];
  for (const [i, c] of pathCases.entries()) {
    const name = `all filter-gradient paths: batch ${c.batch}, ${c.size.join('x')}x${c.channels[0]} → ${c.channels[1]}, kernel ${c.kernel.join('x')}, stride ${c.stride}, ${c.pad}`;
    it(name, async () => {
      const r = createRng(300 + i);
      const xShape: [number, number, number, number] = [c.batch, ...c.size, c.channels[0]];
      const filterShape: [number, number, number, number] = [...c.kernel, ...c.channels];
      const xv = values(xShape.reduce((a, b) => a * b), r.fork('x'));
      const dyShape = tf.backend_util.computeConv2DInfo(xShape, filterShape, c.stride, 1, c.pad);
      const dyDims: [number, number, number, number] = [c.batch, dyShape.outHeight, dyShape.outWidth, c.channels[1]];
      const dyv = values(dyDims.reduce((a, b) => a * b), r.fork('dy'));
      const inputs = () => [tf.tensor4d(xv, xShape), tf.tensor4d(dyv, dyDims)] as const;
      const [reference] = await on('cpu', () =>
        tf.tidy(() => {
          const [x, dy] = inputs();
          return [tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, c.stride, c.pad), dy)))(tf.zeros(filterShape))];
        }),
      );
      const [gemm, im2col, conv] = await on('wasm', () =>
        tf.tidy(() => {
          const [x, dy] = inputs();
          return (['gemm', 'im2col', 'conv'] as const).map((path) =>
            conv2DBackpropFilter(x, dy, filterShape, c.stride, c.pad, 'NHWC', undefined, path),
          );
        }),
      );
      expect(relativeError(gemm, reference)).toBeLessThan(1e-4);
      expect(relativeError(im2col, reference)).toBeLessThan(1e-4);
      expect(relativeError(conv, reference)).toBeLessThan(1e-4);
    }, 180_000); // the cpu reference at batch 64 alone takes ~15 s; more beside other suites
  }

  it('the input gradient follows a variable through assign, and drops cached filters with their source', async () => {
    await tf.setBackend('wasm');
    clearRotatedFilterCache();
    const r = createRng(9);
    const dy = tf.tensor4d(values(2 * 3 * 3 * 4, r.fork('dy')), [2, 3, 3, 4]);
    const w1Values = values(3 * 3 * 3 * 4, r.fork('w1'));
    const w1 = tf.tensor4d(w1Values, [3, 3, 3, 4]);
    const w2 = tf.tensor4d(values(3 * 3 * 3 * 4, r.fork('w2')), [3, 3, 3, 4]);
    const before = tf.memory().numTensors;
    const init = tf.tensor4d(w1Values, [3, 3, 3, 4]); // a buffer of its own (clone would share w1's)
    const v = tf.variable(init);
    init.dispose(); // v now holds the only reference to its first buffer
    const dxOf = (w: tf.Tensor4D) => conv2DBackpropInput(dy, w, [2, 6, 6, 3], 2, 'same', 'NHWC');
    const first = dxOf(v);
    const cached = tf.memory().numTensors;
    v.assign(w2);
    const second = dxOf(v);
    // The assign freed v's first buffer, so its four phase entries went and four for the new
    // buffer came: the count grew by `second` only.
    expect(tf.memory().numTensors).toBe(cached + 1);
    const [expectFirst, expectSecond] = [tf.conv2dTranspose(dy, w1, [2, 6, 6, 3], 2, 'same'), tf.conv2dTranspose(dy, w2, [2, 6, 6, 3], 2, 'same')];
    expect(relativeError(await first.data() as Float32Array, await expectFirst.data() as Float32Array)).toBeLessThan(1e-5);
    expect(relativeError(await second.data() as Float32Array, await expectSecond.data() as Float32Array)).toBeLessThan(1e-5);
    tf.dispose([first, second, expectFirst, expectSecond, v]);
    dxOf(w1).dispose(); // evicts v's entries, caches w1's
    clearRotatedFilterCache();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([dy, w1, w2]);
  });

  it('the gemm filter gradient leaves no tensor behind', async () => {
    await tf.setBackend('wasm');
    const x = tf.randomNormal([8, 9, 9, 5]) as tf.Tensor4D;
    const dy = tf.randomNormal([8, 5, 5, 6]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) conv2DBackpropFilter(x, dy, [3, 3, 5, 6], 2, 'same', 'NHWC', undefined, 'gemm').dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, dy]);
  });

  it('the kernels are the ones registered (stock wasm has no Conv2DBackpropFilter)', () => {
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')?.kernelFunc).toBeDefined();
    expect(registerWasmTrainingKernels()).toEqual([
      tf.Conv2DBackpropFilter,
      tf.Conv2DBackpropInput,
      tf.Mean,
      tf.Sum,
      tf.Identity,
      tf.Cast,
    ]);
  });

  it('explicit asymmetric padding agrees with cpu', async () => {
    const c: Case = { batch: 3, size: [7, 8], channels: [4, 5], kernel: [3, 3], stride: 2, pad: 'same' };
    const pad = [[0, 0], [1, 2], [0, 1], [0, 0]] as tf.backend_util.ExplicitPadding;
    const r = createRng(5);
    const xv = values(3 * 7 * 8 * 4, r.fork('x'));
    const wv = values(3 * 3 * 4 * 5, r.fork('w'));
    const f = () =>
      tf.tidy(() => {
        const x = tf.tensor4d(xv, [c.batch, ...c.size, c.channels[0]]);
        const w = tf.tensor4d(wv, [...c.kernel, ...c.channels]);
        return tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, pad))),
        )([x, w]);
      });
    const [dxCpu, dwCpu] = await on('cpu', f);
    const [dxWasm, dwWasm] = await on('wasm', f);
    expect(relativeError(dxWasm, dxCpu)).toBeLessThan(1e-4);
    expect(relativeError(dwWasm, dwCpu)).toBeLessThan(1e-4);
  });

  it('NCHW inputs give the NHWC result, transposed', async () => {
    const r = createRng(6);
    const xv = values(2 * 6 * 6 * 3, r.fork('x'));
    const dyv = values(2 * 3 * 3 * 4, r.fork('dy'));
    const wv = values(3 * 3 * 3 * 4, r.fork('w'));
    const [nhwcW, nchwW, nhwcX, nchwX] = await on('wasm', () =>
      tf.tidy(() => {
        const x = tf.tensor4d(xv, [2, 6, 6, 3]);
        const dy = tf.tensor4d(dyv, [2, 3, 3, 4]);
        const w = tf.tensor4d(wv, [3, 3, 3, 4]);
        const xc = tf.transpose(x, [0, 3, 1, 2]) as tf.Tensor4D;
        const dyc = tf.transpose(dy, [0, 3, 1, 2]) as tf.Tensor4D;
        return [
          conv2DBackpropFilter(x, dy, [3, 3, 3, 4], 2, 'same', 'NHWC'),
          conv2DBackpropFilter(xc, dyc, [3, 3, 3, 4], 2, 'same', 'NCHW'),
          tf.transpose(conv2DBackpropInput(dy, w, [2, 6, 6, 3], 2, 'same', 'NHWC'), [0, 3, 1, 2]),
          conv2DBackpropInput(dyc, w, [2, 3, 6, 6], 2, 'same', 'NCHW'),
        ];
      }),
    );
    expect(relativeError(nchwW, nhwcW)).toBeLessThan(1e-6);
    expect(relativeError(nchwX, nhwcX)).toBeLessThan(1e-6);
  });

  it('the kernel functions also run on backends without a wasm heap (cpu)', async () => {
    const r = createRng(7);
    const dyv = values(3 * 4 * 5 * 6, r.fork('dy'));
    const wv = values(3 * 3 * 2 * 6, r.fork('w'));
    const xv = values(3 * 7 * 9 * 2, r.fork('x'));
    const [ours, reference, oursW, referenceW] = await on('cpu', () =>
      tf.tidy(() => {
        const dy = tf.tensor4d(dyv, [3, 4, 5, 6]);
        const w = tf.tensor4d(wv, [3, 3, 2, 6]);
        const x = tf.tensor4d(xv, [3, 7, 9, 2]);
        return [
          conv2DBackpropInput(dy, w, [3, 7, 9, 2], 2, 'same', 'NHWC'),
          tf.conv2dTranspose(dy, w, [3, 7, 9, 2], 2, 'same'),
          conv2DBackpropFilter(x, dy, [3, 3, 2, 6], 2, 'same', 'NHWC'),
          tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, 2, 'same'), dy)))(w),
        ];
      }),
    );
    expect(relativeError(ours, reference)).toBeLessThan(1e-5);
    expect(relativeError(oursW, referenceW)).toBeLessThan(1e-5);
  });
});
