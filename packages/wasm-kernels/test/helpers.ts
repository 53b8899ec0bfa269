import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { Rng } from '@selfsup/core';

/** Runs `fn` on `backend` and returns its results as plain arrays (tensors disposed). */
export async function on(backend: 'cpu' | 'wasm', fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = fn();
  const data = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  outs.forEach((t) => t.dispose());
  return data;
}

/** max|a − b| / max|b|: the error relative to the reference's scale. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/** Values in [−1, 1) from the selfsup RNG, identical on every backend. */
export function values(size: number, rng: Rng): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.uniform(-1, 1);
  return out;
}
