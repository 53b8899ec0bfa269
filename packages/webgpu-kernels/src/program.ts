import * as tf from '@tensorflow/tfjs-core';

/**
 * The part of tfjs-backend-webgpu's `WebGPUProgram` these kernels fill in. tfjs prepends the
 * bindings (`result`, one array per name in `variableNames`, `uniforms`) and the entry point,
 * which calls `main()`; `shaderKey` must name everything the source bakes in, since tfjs caches
 * one pipeline per key.
 */
export interface GemmProgram {
  variableNames: string[];
  variableComponents: number[];
  outputComponent: number;
  outputShape: number[];
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  shaderKey: string;
  size?: boolean;
  getUserCode(): string;
}

/** The slice of tfjs' `WebGPUBackend` a kernel uses. */
export interface WebGPUBackendLike {
  runWebGPUProgram(program: GemmProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: object): void;
}

/** Threads per workgroup along output channels (each thread owns 4 channels: one vec4). */
export const LANES = 16;

/**
 * The shader references `uniforms` through this guard: tfjs always binds its uniform buffer, and
 * WebGPU's `layout: 'auto'` drops bindings a shader never reads, which would fail validation.
 */
export const KEEP_UNIFORMS = 'if (uniforms.outShape.x < 0) { return; }';

export function divUp(a: number, b: number): number {
  return Math.ceil(a / b);
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
