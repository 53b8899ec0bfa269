import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackendLike } from '../program';
import { FilterGemmProgram } from '../shaders/filter-gemm';
import { SumSplitsProgram } from '../shaders/sum-splits';
import { stockKernel } from '../stock';
import { convInfo, gemmCovers, type KernelArgs } from './conv-info';

/**
 * dW as a register-blocked GEMM over x (gathered in place) and dy, split over the batch when the
 * filter alone gives too few workgroups. Covers 3-channel inputs too (the stem); needs output
 * channels in fours.
 */
export function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const filterShape = attrs.filterShape as number[];
  if (!gemmCovers(attrs.dataFormat, 1, filterShape[3])) {
    return stockKernel(tf.Conv2DBackpropFilter).kernelFunc(args) as tf.TensorInfo;
  }
  const backend = args.backend as unknown as WebGPUBackendLike;
  const info = convInfo(x.shape, filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  const program = new FilterGemmProgram(info);
  const partials = backend.runWebGPUProgram(program, [x, dy], x.dtype);
  if (program.splits === 1) return partials;
  try {
    return backend.runWebGPUProgram(new SumSplitsProgram(program.splits, filterShape), [partials], x.dtype);
  } finally {
    backend.disposeData(partials.dataId);
  }
}

export const conv2DBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'webgpu',
  kernelFunc: conv2DBackpropFilter,
};
