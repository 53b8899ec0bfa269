import * as tf from '@tensorflow/tfjs-core';
import { EvalError } from './errors';

/** Class labels: an int32 `[n]` tensor or a plain integer array. */
export type LabelsLike = tf.Tensor1D | Int32Array | ArrayLike<number>;

export function assertFeatures(x: tf.Tensor, what: string): asserts x is tf.Tensor2D {
  if (!(x instanceof tf.Tensor) || x.rank !== 2 || x.shape[0] === 0 || x.shape[1] === 0) {
    const shape = x instanceof tf.Tensor ? `[${x.shape.join(', ')}]` : typeof x;
    throw new EvalError({
      code: 'EVAL_BAD_FEATURES',
      problem: `${what} is ${shape}, expected a non-empty 2-D tensor [examples, dims]`,
      fix: 'flatten features first, e.g. tf.reshape(x, [x.shape[0], -1])',
    });
  }
}

/** Reads labels into an Int32Array and checks count and range. */
export function labelsToArray(labels: LabelsLike, n: number, what: string): Int32Array {
  const values =
    labels instanceof tf.Tensor ? Int32Array.from(labels.dataSync()) : Int32Array.from(labels as ArrayLike<number>);
  if (values.length !== n) {
    throw new EvalError({
      code: 'EVAL_LABEL_COUNT',
      problem: `${what} has ${values.length} labels for ${n} feature rows`,
      fix: 'pass one class index per feature row, in the same order',
    });
  }
  for (let i = 0; i < values.length; i++) {
    if (values[i] < 0) {
      throw new EvalError({
        code: 'EVAL_BAD_LABEL',
        problem: `${what}[${i}] is ${values[i]}, expected a class index >= 0`,
        fix: 'map class names to indices 0..C-1 before evaluating',
      });
    }
  }
  return values;
}

export function maxLabel(...arrays: Int32Array[]): number {
  let m = 0;
  for (const a of arrays) for (let i = 0; i < a.length; i++) if (a[i] > m) m = a[i];
  return m;
}

export function positiveInt(value: number, name: string, fix: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new EvalError({ code: 'EVAL_BAD_OPTION', problem: `${name} is ${String(value)}, expected an integer >= 1`, fix });
  }
  return value;
}

export function positiveNumber(value: number, name: string, fix: string): number {
  if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
    throw new EvalError({ code: 'EVAL_BAD_OPTION', problem: `${name} is ${String(value)}, expected a number > 0`, fix });
  }
  return value;
}
