// Shared by the tests only (not exported from the package).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core alone has no gradient registry; the tests differentiate.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import type { Optimizer, OptimizerState, Rng, VariableGradient } from '@selfsup/core';

/** Largest |a − b| − rtol·|b| over nested arrays; ≤ atol means "close". */
export function maxExcess(actual: unknown, expected: unknown, rtol = 0): number {
  const flat = (x: unknown): number[] =>
    ArrayBuffer.isView(x) ? Array.from(x as Float32Array) : ((x as number[]).flat(Infinity) as number[]);
  const [a, b] = [flat(actual), flat(expected)];
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) - rtol * Math.abs(b[i]));
  return worst;
}

export function randomMatrix(rng: Rng, rows: number, cols: number, scale = 1): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal(0, scale)));
}

/** Plain SGD implementing core's Optimizer contract (no momentum): φ ← φ − lr·g. */
export function tinySgd(lr: number): Optimizer & { stepped: string[][] } {
  let iterations = 0;
  const stepped: string[][] = [];
  return {
    stepped,
    get iterations() {
      return iterations;
    },
    step(gradients: readonly VariableGradient[]) {
      stepped.push(gradients.map(({ variable }) => variable.name));
      tf.tidy(() => gradients.forEach(({ variable, gradient }) => variable.assign(tf.sub(variable, tf.mul(lr, gradient)))));
      iterations++;
    },
    currentLearningRate: () => lr,
    state: (): OptimizerState => ({ meta: { iterations }, tensors: {} }),
    loadState: (state) => {
      iterations = Number(state.meta.iterations);
    },
    dispose: () => {},
  };
}

/**
 * Direct NT-Xent in float64 JavaScript: for each of the 2N rows, the softmax cross-entropy of
 * its cosine similarities to every other row, with the positive as the target.
 */
export function referenceNtXent(z1: number[][], z2: number[][], temperature: number): number {
  const rows = [...z1, ...z2].map((r) => {
    const norm = Math.sqrt(r.reduce((s, x) => s + x * x, 0));
    return r.map((x) => x / norm);
  });
  const n = z1.length;
  const m = 2 * n;
  let total = 0;
  for (let i = 0; i < m; i++) {
    const logits: number[] = [];
    let positive = 0;
    for (let j = 0; j < m; j++) {
      if (j === i) continue;
      const s = rows[i].reduce((acc, x, d) => acc + x * rows[j][d], 0) / temperature;
      logits.push(s);
      if (j === (i + n) % m) positive = s;
    }
    const max = Math.max(...logits);
    const logSum = max + Math.log(logits.reduce((acc, l) => acc + Math.exp(l - max), 0));
    total += logSum - positive;
  }
  return total / m;
}
