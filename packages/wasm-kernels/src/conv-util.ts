import * as tf from '@tensorflow/tfjs-core';

/** The forward convolution a gradient kernel undoes, with its padding resolved. */
export function forwardConvInfo(
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: number | [number, number],
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding,
  dataFormat: 'NHWC' | 'NCHW',
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
}

export function toNHWC(t: tf.Tensor4D, dataFormat: 'NHWC' | 'NCHW'): tf.Tensor4D {
  return dataFormat === 'NCHW' ? tf.transpose(t, [0, 2, 3, 1]) : t;
}

export function fromNHWC(t: tf.Tensor4D, dataFormat: 'NHWC' | 'NCHW'): tf.Tensor4D {
  return dataFormat === 'NCHW' ? tf.transpose(t, [0, 3, 1, 2]) : t;
}

/** Convolution (NHWC, stride 1) with explicit non-negative padding and filter dilation. */
export function convExplicit(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  padTop: number,
  padBottom: number,
  padLeft: number,
  padRight: number,
  dilations: [number, number] = [1, 1],
): tf.Tensor4D {
  return tf.conv2d(
    x,
    filter,
    1,
    [
      [0, 0],
      [padTop, padBottom],
      [padLeft, padRight],
      [0, 0],
    ],
    'NHWC',
    dilations,
  );
}
