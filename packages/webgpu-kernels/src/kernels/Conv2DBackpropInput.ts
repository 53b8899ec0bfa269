import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackendLike } from '../program';
import { ConvGemmProgram } from '../shaders/conv-gemm';
import { runKernel, stockKernel } from '../stock';
import { convInfo, gemmCovers, type KernelArgs } from './conv-info';

/**
 * dx as an implicit GEMM over dy and the filter with its channel axes swapped (a small transpose,
 * so each thread reads 4 contiguous input channels). Stock for shapes it does not cover.
 */
export function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const xShape = attrs.inputShape as number[];
  if (!gemmCovers(attrs.dataFormat, 1, filter.shape[2], filter.shape[3])) {
    return stockKernel(tf.Conv2DBackpropInput).kernelFunc(args) as tf.TensorInfo;
  }
  const backend = args.backend as unknown as WebGPUBackendLike;
  const info = convInfo(xShape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  const swapped = runKernel(tf.Transpose, { x: filter }, { perm: [0, 1, 3, 2] }, backend);
  try {
    return backend.runWebGPUProgram(new ConvGemmProgram(info, 'input-gradient'), [dy, swapped], dy.dtype);
  } finally {
    backend.disposeData(swapped.dataId);
  }
}

export const conv2DBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'webgpu',
  kernelFunc: conv2DBackpropInput,
};
