import * as tf from '@tensorflow/tfjs-core';
import { convExplicit, forwardConvInfo, toNHWC } from '../conv-util';
import { channelsToBatch } from '../heap';

/**
 * Conv2DBackpropFilter (the filter gradient of conv2d), which the stock wasm backend lacks
 * (tfjs#8474). dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s+kh−pad, ow·s+kw−pad, ci] · dy[n,oh,ow,co]
 * is itself a convolution: of x transposed to [ci, H, W, n] (batch = ci, channels = n) with
 * dy transposed to [OH, OW, n, co] as the filter, dilated by the stride. That runs on the wasm
 * backend's XNNPACK Conv2D instead of a scalar loop; two transposes are the only overhead.
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

export function conv2DBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: tf.Conv2DBackpropFilterAttrs['pad'],
  dataFormat: 'NHWC' | 'NCHW',
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  const info = forwardConvInfo(x.shape, filterShape, strides, pad, dataFormat, dimRoundingMode);
  const { strideHeight: sH, strideWidth: sW, filterHeight: kH, filterWidth: kW } = info;
  const { inHeight: h, inWidth: w, outHeight: oH, outWidth: oW, inChannels: cIn, outChannels: cOut } =
    info;
  const { top, left } = info.padInfo;
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
