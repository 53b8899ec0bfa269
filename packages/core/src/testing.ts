import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from './rng';

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

type Values = ArrayLike<number> | tf.Tensor;

function valuesOf(x: Values): ArrayLike<number> {
  return x instanceof tf.Tensor ? (x.dataSync() as ArrayLike<number>) : x;
}

/** max |actual − expected| over all entries (tensors are read synchronously). */
export function maxAbsDiff(actual: Values, expected: Values): number {
  const a = valuesOf(actual);
  const b = valuesOf(expected);
  if (a.length !== b.length) throw new Error(`maxAbsDiff: ${a.length} values against ${b.length}`);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff = Math.max(diff, Math.abs(a[i] - b[i]));
  return diff;
}

/**
 * max |actual − expected| / max |expected|: the error relative to the reference's scale, the
 * measure the fixtures of selfsup's tests are held to (0 when both are all zeros).
 */
export function relativeError(actual: Values, expected: Values): number {
  const b = valuesOf(expected);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  const diff = maxAbsDiff(actual, b);
  return diff === 0 ? 0 : diff / scale;
}

/**
 * Throws unless `actual` equals `expected` within `relative` (of the reference's scale, default
 * 1e-5) or within `absolute`, naming the worst entry. Like tfjs' `expectArraysClose`.
 */
export function expectClose(actual: Values, expected: Values, { relative = 1e-5, absolute = 0 }: { relative?: number; absolute?: number } = {}): void {
  const a = valuesOf(actual);
  const b = valuesOf(expected);
  const diff = maxAbsDiff(a, b);
  if (diff <= absolute || relativeError(a, b) <= relative) return;
  let worst = 0;
  for (let i = 0; i < a.length; i++) if (Math.abs(a[i] - b[i]) > Math.abs(a[worst] - b[worst]) || Number.isNaN(a[i])) worst = i;
  throw new Error(
    `expected values close to the reference (relative ${relative}${absolute ? ` or absolute ${absolute}` : ''}): ` +
      `worst at [${worst}]: ${a[worst]} vs ${b[worst]}, max abs error ${diff}, relative ${relativeError(a, b)}`,
  );
}

/** `size` values in [−1, 1) from the selfsup RNG: the same numbers on every backend and run. */
export function randomValues(size: number, rng: Rng): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.uniform(-1, 1);
  return out;
}

/**
 * Runs `fn` on `backend` (made current first) and returns its results as plain arrays, the
 * tensors disposed: the way to compare one computation across backends.
 */
export async function resultsOn(backend: string, fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = fn();
  const data = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  outs.forEach((t) => t.dispose());
  return data;
}
