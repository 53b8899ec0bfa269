import * as tf from '@tensorflow/tfjs-core';
import { convExplicit, forwardConvInfo, toNHWC } from '../conv-util';
import { filterGradGemm, filterGradIm2col, gridOverhead, type FilterGradGeometry } from '../filter-grad-gemm';
import { channelsToBatch } from '../heap';
import { wasmInternals } from '../heap-matmul';

/**
 * Conv2DBackpropFilter (the filter gradient of conv2d), which the stock wasm backend lacks
 * (tfjs#8474). dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s+kh−pad, ow·s+kw−pad, ci] · dy[n,oh,ow,co]
 * runs one of three ways, all on the backend's XNNPACK (filter-grad-gemm.ts has the first two):
 *   - 'gemm': kH·kW matrix products over shifted windows of one channel-major copy of x, no
 *     im2col. Best where the image is large next to the kernel (CIFAR ResNet stages 1-2).
 *   - 'im2col': exact patches gathered in JS, then one product. Best for small images (8×8,
 *     4×4), 1×1 kernels and few input channels, where the gemm grid wastes work.
 *   - 'conv': the gradient as a convolution, of x transposed to [ci, H, W, n] (batch = ci,
 *     channels = n) with dy transposed to [OH, OW, n, co] as the filter, dilated by the stride.
 *     Never the fastest on wasm; it is what runs on backends without a wasm heap.
 * 'auto' picks by shape. Measured on 64 CIFAR views (ms, 2 threads; forward conv in brackets):
 * 32×32×64 3×3: gemm 119, im2col 195, conv 165 (79); 8×8×256: 155 / 114 / 136 (80);
 * 4×4×512: 219 / 103 / 131 (79); stem 3→64: 26 / 9 / 48 (14).
 */
export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ({ inputs, attrs }) => {
    const { x, dy } = inputs as unknown as tf.Conv2DBackpropFilterInputs & {
      x: tf.Tensor4D;
      dy: tf.Tensor4D;
    };
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
      attrs as unknown as tf.Conv2DBackpropFilterAttrs;
    return conv2DBackpropFilter(x, dy, filterShape, strides, pad, dataFormat, dimRoundingMode);
  },
};

/** Which formulation runs: 'auto' picks by shape (see above). */
export type FilterGradPath = 'auto' | 'gemm' | 'im2col' | 'conv';

// The gemm grid may waste this many multiply-adds per useful one and still win (16×16 stride 1
// wastes 13% and beats im2col by 10-20%; 8×8 wastes 27% and loses by ~8%).
const MAX_GRID_OVERHEAD = 1.2;
// im2col's patch matrix is kH·kW times x; past this it would crowd the 4 GiB wasm heap.
const MAX_PATCH_BYTES = 64 * 2 ** 20;

function autoPath(g: FilterGradGeometry): 'gemm' | 'im2col' {
  const patchBytes = 4 * g.kH * g.kW * g.cIn * g.n * g.oH * g.oW;
  const gemmWins = g.kH * g.kW > 1 && g.cIn >= 16 && gridOverhead(g) <= MAX_GRID_OVERHEAD;
  return gemmWins || patchBytes > MAX_PATCH_BYTES ? 'gemm' : 'im2col';
}

export function conv2DBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: tf.Conv2DBackpropFilterAttrs['pad'],
  dataFormat: 'NHWC' | 'NCHW',
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
  path: FilterGradPath = 'auto',
): tf.Tensor4D {
  const info = forwardConvInfo(x.shape, filterShape, strides, pad, dataFormat, dimRoundingMode);
  const { strideHeight: sH, strideWidth: sW, filterHeight: kH, filterWidth: kW } = info;
  const { inHeight: h, inWidth: w, outHeight: oH, outWidth: oW, inChannels: cIn, outChannels: cOut } =
    info;
  const { top, left } = info.padInfo;
  const backend = wasmInternals();
  const geometry: FilterGradGeometry = {
    n: info.batchSize, h, w, cIn, oH, oW, cOut, kH, kW, strideH: sH, strideW: sW, top, left,
  };
  const chosen = path === 'auto' ? autoPath(geometry) : path;
  if (backend !== null && x.dtype === 'float32' && chosen !== 'conv') {
    return tf.tidy(() => {
      const xs = toNHWC(x, dataFormat);
      const g = toNHWC(dy, dataFormat);
      const run = chosen === 'gemm' ? filterGradGemm : filterGradIm2col;
      return tf.engine().makeTensorFromTensorInfo(run(backend, xs, g, geometry)) as tf.Tensor4D;
    });
  }
  return tf.tidy(() => {
    const xt = channelsToBatch(toNHWC(x, dataFormat)); // [cIn, H, W, n]
    const dyt = tf.transpose(toNHWC(dy, dataFormat), [1, 2, 0, 3]); // [OH, OW, n, cOut]
    // Rows of x below the last window are never read: a negative far padding becomes extra
    // output rows, sliced off below.
    const bottom = Math.max(0, kH + (oH - 1) * sH - h - top);
    const right = Math.max(0, kW + (oW - 1) * sW - w - left);
    const out = convExplicit(xt, dyt, top, bottom, left, right, [sH, sW]); // [cIn, ≥kH, ≥kW, cOut]
    const cut =
      out.shape[1] === kH && out.shape[2] === kW ? out : tf.slice(out, [0, 0, 0, 0], [cIn, kH, kW, cOut]);
    return tf.transpose(cut, [1, 2, 0, 3]);
  });
}
