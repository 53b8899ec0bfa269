import * as tf from '@tensorflow/tfjs-core';

export interface TensorLeakOptions {
  /** Calls before counting, so that lazily created tensors (optimizer slots, caches) exist. */
  warmup?: number;
  /** Calls measured after the warm-up; each must leave the tensor count where it found it. */
  repeats?: number;
}

/**
 * Runs `fn` `warmup` times, then `repeats` times, and throws if any measured call changes
 * `tf.memory().numTensors`. Tensors `fn` returns are disposed, so a function that returns its
 * result is not counted as leaking it. Works with sync and async functions and any test runner.
 * Returns the tensor count it held flat.
 */
export async function expectNoTensorLeak(
  fn: () => unknown,
  { warmup = 1, repeats = 3 }: TensorLeakOptions = {},
): Promise<number> {
  const call = async () => disposeResult(await fn());
  for (let i = 0; i < warmup; i++) await call();
  const before = tf.memory().numTensors;
  for (let i = 0; i < repeats; i++) {
    await call();
    const now = tf.memory().numTensors;
    if (now !== before) {
      throw new Error(
        `tensor leak: call ${warmup + i + 1} changed tf.memory().numTensors from ${before} to ${now} ` +
          `(wrap the computation in tf.tidy or dispose the tensors it keeps)`,
      );
    }
  }
  return before;
}

function disposeResult(value: unknown): void {
  if (value instanceof tf.Tensor) value.dispose();
  else if (Array.isArray(value)) value.forEach(disposeResult);
  else if (value != null && typeof value === 'object' && value.constructor === Object) {
    Object.values(value).forEach(disposeResult);
  }
}
