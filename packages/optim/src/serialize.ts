import * as tf from '@tensorflow/tfjs-core';
import type { OptimizerState } from '@selfsup/core';
import { OptimError } from './errors';

/** An optimizer state as plain JSON: float32 values survive a JSON round trip exactly. */
export interface SerializedOptimizerState {
  meta: Record<string, unknown>;
  tensors: Record<string, { shape: number[]; dtype: tf.DataType; values: number[] }>;
}

/** Reads the state's tensors into arrays (it does not dispose them). */
export async function stateToJson(state: OptimizerState): Promise<SerializedOptimizerState> {
  const tensors: SerializedOptimizerState['tensors'] = {};
  for (const [name, t] of Object.entries(state.tensors)) {
    tensors[name] = { shape: [...t.shape], dtype: t.dtype, values: Array.from(await t.data()) as number[] };
  }
  return { meta: JSON.parse(JSON.stringify(state.meta)) as Record<string, unknown>, tensors };
}

/** Makes tensors from a serialised state; the caller disposes them after `loadState`. */
export function stateFromJson(json: SerializedOptimizerState): OptimizerState {
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const [name, { shape, dtype, values }] of Object.entries(json.tensors)) {
      tensors[name] = tf.tensor(values, shape, dtype);
    }
  } catch (cause) {
    Object.values(tensors).forEach((t) => t.dispose());
    throw new OptimError({
      code: 'OPTIM_STATE_MISMATCH',
      problem: `serialised optimizer state does not make tensors (${String(cause)})`,
      fix: 'pass the object stateToJson produced, unchanged',
      cause,
    });
  }
  return { meta: json.meta, tensors };
}
