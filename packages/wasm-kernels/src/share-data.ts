import type * as tf from '@tensorflow/tfjs-core';

interface RefCounting {
  incRef(dataId: tf.DataId): void;
}

/** A new tensor over the same heap bytes (reference-counted, as wasm's Reshape does): no copy. */
export function shareData(x: tf.TensorInfo, backend: unknown): tf.TensorInfo {
  (backend as RefCounting).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
