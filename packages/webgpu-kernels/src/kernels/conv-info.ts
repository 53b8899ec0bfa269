import * as tf from '@tensorflow/tfjs-core';

type Shape4 = [number, number, number, number];

/** tfjs' convolution geometry for an NHWC convolution without dilation. */
export function convInfo(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding,
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, strides, 1, pad as Parameters<typeof tf.backend_util.computeConv2DInfo>[4], dimRoundingMode, false, 'channelsLast');
}

/**
 * Whether the GEMM kernels cover this convolution: NHWC, no dilation, and channel counts that
 * divide by 4 (vec4 loads). Anything else goes to the stock kernel.
 */
export function gemmCovers(dataFormat: string | undefined, dilations: number | [number, number] | undefined, ...channels: number[]): boolean {
  const noDilation = dilations === undefined || (typeof dilations === 'number' ? dilations === 1 : dilations.every((d) => d === 1));
  return (dataFormat === undefined || dataFormat === 'NHWC') && noDilation && channels.every((c) => c % 4 === 0);
}

/** What tfjs passes a kernel function. */
export type KernelArgs = Parameters<tf.KernelFunc>[0];
