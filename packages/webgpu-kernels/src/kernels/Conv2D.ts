import * as tf from '@tensorflow/tfjs-core';
import type { WebGPUBackendLike } from '../program';
import { ConvGemmProgram } from '../shaders/conv-gemm';
import { stockKernel } from '../stock';
import { convInfo, gemmCovers, type KernelArgs } from './conv-info';

/** Forward convolution as a register-blocked implicit GEMM (stock for shapes it does not cover, e.g. 3 input channels). */
export function conv2D(args: KernelArgs): tf.TensorInfo {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as tf.Conv2DAttrs;
  if (!gemmCovers(attrs.dataFormat, attrs.dilations, x.shape[3], filter.shape[3])) {
    return stockKernel(tf.Conv2D).kernelFunc(args) as tf.TensorInfo;
  }
  const info = convInfo(x.shape, filter.shape, attrs.strides, attrs.pad, attrs.dimRoundingMode);
  return (args.backend as unknown as WebGPUBackendLike).runWebGPUProgram(new ConvGemmProgram(info, 'forward'), [x, filter], x.dtype);
}

export const conv2DConfig: tf.KernelConfig = {
  kernelName: tf.Conv2D,
  backendName: 'webgpu',
  kernelFunc: conv2D,
};
