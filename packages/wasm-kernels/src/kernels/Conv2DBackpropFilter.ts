import * as tf from '@tensorflow/tfjs-core';
import { convExplicit, forwardConvInfo, toNHWC } from '../conv-util';
import { filterGradGemm, gridOverhead, type FilterGradGeometry } from '../filter-grad-gemm';
import { channelsToBatch } from '../heap';
import { wasmInternals } from '../heap-matmul';

/**
 * Conv2DBackpropFilter (the filter gradient of conv2d), which the stock wasm backend lacks
 * (tfjs#8474). dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s+kh−pad, ow·s+kw−pad, ci] · dy[n,oh,ow,co]
 * runs one of two ways, both on the backend's XNNPACK:
 *   - 'gemm' (filter-grad-gemm.ts): kH·kW matrix products over shifted windows of x, no
 *     im2col. Fastest where the image is large next to the kernel (ResNet stages 1-2 on CIFAR,
 *     1×1 convs, few input channels): 15-60% faster than 'conv' there.
 *   - 'conv': the gradient is itself a convolution, of x transposed to [ci, H, W, n] (batch = ci,
 *     channels = n) with dy transposed to [OH, OW, n, co] as the filter, dilated by the stride.
 *     Better for small images (8×8, 4×4), where the gemm grid wastes a third or more.
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
export type FilterGradPath = 'auto' | 'gemm' | 'conv';

// The gemm grid may waste up to this fraction of multiply-adds and still win (measured: 16×16
// stride 1 wastes 27% and is 16% faster; 8×8 wastes 56% and is 10% slower).
const MAX_GRID_OVERHEAD = 1.3;

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
  const gemmPays = kH * kW === 1 || cIn < 16 || gridOverhead(geometry) <= MAX_GRID_OVERHEAD;
  if (backend !== null && x.dtype === 'float32' && path !== 'conv' && (path === 'gemm' || gemmPays)) {
    return tf.tidy(() => {
      const xs = toNHWC(x, dataFormat);
      const g = toNHWC(dy, dataFormat);
      return tf.engine().makeTensorFromTensorInfo(filterGradGemm(backend, xs, g, geometry)) as tf.Tensor4D;
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
