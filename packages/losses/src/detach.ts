import * as tf from '@tensorflow/tfjs-core';

/**
 * A new tensor sharing `x`'s storage but unknown to any gradient tape: tfjs-core has no public
 * stopGradient, and tf.clone (an Identity op) is recorded and carries the gradient through.
 * This does what the Identity kernel does — one more reference to the same data — without the
 * tape. The result is tracked by the active tf.tidy scope like any other tensor, and a later
 * `variable.assign` leaves it holding the old value.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  tf.backend().incRef(x.dataId);
  return tf.engine().makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype }) as T;
}
