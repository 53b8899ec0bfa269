import * as tf from '@tensorflow/tfjs-core';

/** The parts of the tfjs wasm backend that heap-aliasing kernels use. */
export interface WasmBackendInternals {
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
  disposeData(dataId: tf.DataId): boolean;
  dataIdMap: { get(dataId: tf.DataId): { id: number; memoryOffset: number }; delete(dataId: tf.DataId): void };
  wasm: { tfjs: { disposeData(id: number): void } };
}

/** The active backend's internals, or null when it is not the wasm backend. */
export function wasmInternals(): WasmBackendInternals | null {
  const backend = tf.backend() as unknown as Partial<WasmBackendInternals>;
  return typeof backend.makeOutput === 'function' && backend.dataIdMap !== undefined && backend.wasm !== undefined
    ? (backend as WasmBackendInternals)
    : null;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: WasmBackendInternals, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

/**
 * a · b where a is the [rows, cols] row-major matrix that starts `byteOffset` bytes into the
 * wasm heap — typically inside another tensor — so many products can read overlapping windows
 * of one buffer without copying. Runs the backend's own BatchMatMul (XNNPACK, threaded); its
 * operator cache is keyed on b, so repeated calls with the same b pack b once.
 *
 * The view is registered with the backend only for the call and unregistered without a free:
 * BatchMatMul's internal reshapes take and release references, never the last one.
 */
export function matMulAtOffset(
  backend: WasmBackendInternals,
  byteOffset: number,
  rows: number,
  cols: number,
  b: tf.TensorInfo,
): tf.TensorInfo {
  const view = backend.makeOutput([rows, cols], 'float32', byteOffset);
  try {
    return matMul(backend, view, b);
  } finally {
    backend.wasm.tfjs.disposeData(backend.dataIdMap.get(view.dataId).id);
    backend.dataIdMap.delete(view.dataId);
  }
}

/** a · b (2-D, no transposes) on the backend's own BatchMatMul kernel: XNNPACK, threaded. */
export function matMul(backend: WasmBackendInternals, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return tf.getKernel(tf.BatchMatMul, 'wasm')!.kernelFunc({
    inputs: { a, b } as unknown as tf.NamedTensorInfoMap,
    attrs: { transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap,
    backend: backend as unknown as tf.KernelBackend,
  }) as tf.TensorInfo;
}
