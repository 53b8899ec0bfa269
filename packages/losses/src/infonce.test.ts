import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { describe, expect, it } from 'vitest';
import multipositive from '../test/fixtures/multipositive.json';
import ntxent from '../test/fixtures/ntxent.json';
import { LossError } from './errors';
import { infoNCE, infoNCEMultiPositive, infoNCEWithStats } from './infonce';
import { maxExcess, randomMatrix, referenceNtXent } from './test-helpers';

const value = (t: tf.Tensor) => t.dataSync()[0];

/** Closed-form minimum of NT-Xent: perfect alignment, the N images on a regular simplex. */
function simplexMinimum(n: number, temperature: number): number {
  // Each row: positive at s = 1; 2N − 2 negatives at s = −1/(N − 1).
  return Math.log(1 + (2 * n - 2) * Math.exp((-1 / (n - 1) - 1) / temperature));
}

/** Vertices of a regular simplex with N vertices in N − 1 dims (centred standard basis of R^N, rotated into R^{N-1} is not needed: cosines are what matter). */
function simplex(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0) - 1 / n));
}

describe('infoNCE against PyTorch (test/fixtures/make_fixtures.py)', () => {
  for (const c of ntxent.cases) {
    it(`N=${c.n}, k=${c.k}, τ=${c.temperature}: loss within 1e-5, autograd gradients within 1e-5 + 1e-4·|g|`, () => {
      const z1 = tf.tensor2d(c.z1);
      const z2 = tf.tensor2d(c.z2);
      const loss = infoNCE(z1, z2, { temperature: c.temperature });
      expect(Math.abs(value(loss) - c.loss)).toBeLessThan(1e-5);
      const [g1, g2] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        infoNCE(a as tf.Tensor2D, b as tf.Tensor2D, { temperature: c.temperature }),
      )([z1, z2]);
      expect(maxExcess(g1.arraySync(), c.gradZ1, 1e-4)).toBeLessThan(1e-5);
      expect(maxExcess(g2.arraySync(), c.gradZ2, 1e-4)).toBeLessThan(1e-5);
      tf.dispose([z1, z2, loss, g1, g2]);
    });

    it(`N=${c.n}, τ=${c.temperature}: stats match Wang & Isola's functions and torch retrieval`, () => {
      const z1 = tf.tensor2d(c.z1);
      const z2 = tf.tensor2d(c.z2);
      const { loss, stats } = infoNCEWithStats(z1, z2, { temperature: c.temperature });
      expect(Math.abs(value(loss) - c.loss)).toBeLessThan(1e-5);
      for (const [key, expected] of Object.entries(c.stats)) {
        const actual = value(stats[key as keyof typeof stats]);
        expect(Math.abs(actual - expected), key).toBeLessThan(1e-5);
      }
      tf.dispose([z1, z2, loss, stats]);
    });
  }
});

describe('infoNCE against a direct softmax cross-entropy (float64 JS)', () => {
  it('matches on random inputs of several shapes and temperatures', () => {
    const rng = createRng(1);
    for (const [n, k, temperature] of [[2, 3, 0.1], [5, 7, 0.5], [16, 8, 0.2], [1, 4, 1]] as const) {
      const a = randomMatrix(rng, n, k);
      const b = randomMatrix(rng, n, k);
      const loss = tf.tidy(() => value(infoNCE(tf.tensor2d(a), tf.tensor2d(b), { temperature })));
      expect(Math.abs(loss - referenceNtXent(a, b, temperature))).toBeLessThan(1e-5);
    }
  });

  it('tf.grad matches central finite differences of the float64 reference', () => {
    const rng = createRng(2);
    const [n, k, temperature] = [3, 4, 0.3];
    const a = randomMatrix(rng, n, k);
    const b = randomMatrix(rng, n, k);
    const [ga, gb] = tf.tidy(() =>
      tf
        .grads((x: tf.Tensor, y: tf.Tensor) => infoNCE(x as tf.Tensor2D, y as tf.Tensor2D, { temperature }))([
          tf.tensor2d(a),
          tf.tensor2d(b),
        ])
        .map((g) => g.arraySync() as number[][]),
    );
    const eps = 1e-6;
    for (const [which, grad] of [[a, ga], [b, gb]] as const) {
      for (let i = 0; i < n; i++) {
        for (let d = 0; d < k; d++) {
          const saved = which[i][d];
          which[i][d] = saved + eps;
          const plus = referenceNtXent(a, b, temperature);
          which[i][d] = saved - eps;
          const minus = referenceNtXent(a, b, temperature);
          which[i][d] = saved;
          expect(Math.abs(grad[i][d] - (plus - minus) / (2 * eps))).toBeLessThan(2e-5);
        }
      }
    }
  });

  it('stays finite at a tiny temperature where a naive softmax overflows', () => {
    const rng = createRng(3);
    const a = randomMatrix(rng, 4, 3);
    const b = randomMatrix(rng, 4, 3);
    const loss = tf.tidy(() => value(infoNCE(tf.tensor2d(a), tf.tensor2d(b), { temperature: 1e-3 })));
    expect(Number.isFinite(loss)).toBe(true);
    expect(Math.abs(loss - referenceNtXent(a, b, 1e-3)) / loss).toBeLessThan(1e-5);
  });
});

describe('infoNCE invariances and closed form', () => {
  const rng = createRng(4);
  const a = randomMatrix(rng, 6, 5);
  const b = randomMatrix(rng, 6, 5);
  const lossOf = (x: number[][], y: number[][], temperature = 0.2) =>
    tf.tidy(() => value(infoNCE(tf.tensor2d(x), tf.tensor2d(y), { temperature })));
  const base = lossOf(a, b);

  it('permuting the pairs together leaves the loss unchanged', () => {
    const order = createRng(5).permutation(6);
    const permuted = lossOf([...order].map((i) => a[i]), [...order].map((i) => b[i]));
    expect(Math.abs(permuted - base)).toBeLessThan(1e-5);
    // ...while breaking the pairing changes it (so the check above can fail).
    expect(Math.abs(lossOf([...order].map((i) => a[i]), b) - base)).toBeGreaterThan(1e-2);
  });

  it('scaling z (globally or per row) leaves the loss unchanged', () => {
    expect(Math.abs(lossOf(a.map((r) => r.map((x) => 37 * x)), b.map((r) => r.map((x) => 0.01 * x))) - base)).toBeLessThan(1e-5);
    const perRow = (m: number[][]) => m.map((r, i) => r.map((x) => (i + 0.5) * x));
    expect(Math.abs(lossOf(perRow(a), perRow(b)) - base)).toBeLessThan(1e-5);
  });

  it('swapping the two views leaves the loss unchanged (it is symmetric)', () => {
    expect(Math.abs(lossOf(b, a) - base)).toBeLessThan(1e-5);
  });

  for (const [n, temperature] of [[2, 0.1], [2, 0.5], [3, 0.2], [4, 0.5], [5, 1]] as const) {
    it(`aligned, uniformly spread z (regular simplex, N=${n}, τ=${temperature}) gives log(1 + (2N−2)e^{(−1/(N−1)−1)/τ}), a minimum`, () => {
      const z = simplex(n);
      const minimum = simplexMinimum(n, temperature);
      const atSimplex = lossOf(z, z, temperature);
      expect(Math.abs(atSimplex - minimum)).toBeLessThan(1e-5 * Math.max(1, minimum));
      // Any perturbation of the views (alignment or spread) raises it.
      const perturb = createRng(100 + n);
      for (let t = 0; t < 20; t++) {
        const noisy = (m: number[][]) => m.map((r) => r.map((x) => x + perturb.normal(0, 0.05)));
        expect(lossOf(noisy(z), noisy(z), temperature)).toBeGreaterThan(minimum - 1e-6);
      }
    });
  }

  it('N=2 in 2-D: z2 = −z1 and aligned views give log(1 + 2e^{−2/τ})', () => {
    const z = [[0.6, 0.8], [-0.6, -0.8]];
    expect(Math.abs(lossOf(z, z, 0.25) - Math.log(1 + 2 * Math.exp(-8)))).toBeLessThan(1e-6);
  });
});

describe('infoNCEMultiPositive', () => {
  for (const c of multipositive.cases) {
    it(`indices [${c.indices}]: SupCon L_out and solo-learn's form match PyTorch values and gradients`, () => {
      const z = tf.tensor2d(c.z);
      const f = (aggregate: 'mean-log-prob' | 'log-sum-prob') => (x: tf.Tensor) =>
        infoNCEMultiPositive(x as tf.Tensor2D, c.indices, { temperature: c.temperature, aggregate });
      const meanLog = f('mean-log-prob')(z);
      expect(Math.abs(value(meanLog) - c.meanLogProb)).toBeLessThan(1e-5);
      const g = tf.grad(f('mean-log-prob'))(z);
      expect(maxExcess(g.arraySync(), c.gradMeanLogProb, 1e-4)).toBeLessThan(1e-5);
      tf.dispose([meanLog, g]);
      if ('logSumProb' in c) {
        const logSum = f('log-sum-prob')(z);
        expect(Math.abs(value(logSum) - (c.logSumProb as number))).toBeLessThan(1e-5);
        const gs = tf.grad(f('log-sum-prob'))(z);
        expect(maxExcess(gs.arraySync(), c.gradLogSumProb, 1e-4)).toBeLessThan(1e-5);
        tf.dispose([logSum, gs]);
      }
      z.dispose();
    });
  }

  it('with indices [0..N−1, 0..N−1] both forms equal the two-view infoNCE; a tensor of indices works too', () => {
    const rng = createRng(6);
    const a = randomMatrix(rng, 5, 4);
    const b = randomMatrix(rng, 5, 4);
    const indices = [0, 1, 2, 3, 4, 0, 1, 2, 3, 4];
    const [two, meanLog, logSum, fromTensor] = tf.tidy(() => {
      const z = tf.tensor2d([...a, ...b]);
      return [
        infoNCE(tf.tensor2d(a), tf.tensor2d(b), { temperature: 0.3 }),
        infoNCEMultiPositive(z, indices, { temperature: 0.3 }),
        infoNCEMultiPositive(z, indices, { temperature: 0.3, aggregate: 'log-sum-prob' }),
        infoNCEMultiPositive(z, tf.tensor1d(indices, 'int32'), { temperature: 0.3 }),
      ].map(value);
    });
    expect(Math.abs(meanLog - two)).toBeLessThan(1e-5);
    expect(Math.abs(logSum - two)).toBeLessThan(1e-5);
    expect(Math.abs(fromTensor - two)).toBeLessThan(1e-5);
  });

  it('rejects indices without any shared value, and a wrong count, with the fix', () => {
    const z = tf.zeros([3, 2]) as tf.Tensor2D;
    expect(() => infoNCEMultiPositive(z, [0, 1, 2], { temperature: 0.1 })).toThrow(/give the views of one image/);
    expect(() => infoNCEMultiPositive(z, [0, 0], { temperature: 0.1 })).toThrow(LossError);
    z.dispose();
  });
});

describe('infoNCE contracts', () => {
  it('rejects bad temperatures and mismatched views with a LossError naming the fix', () => {
    const [a, b] = [tf.ones([2, 3]) as tf.Tensor2D, tf.ones([3, 3]) as tf.Tensor2D];
    for (const temperature of [0, -1, Number.NaN, Infinity]) {
      expect(() => infoNCE(a, a, { temperature })).toThrow(/pass a finite temperature > 0/);
    }
    try {
      infoNCE(a, b, { temperature: 0.1 });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(LossError);
      expect((error as LossError).code).toBe('LOSS_SHAPE_MISMATCH');
    }
    tf.dispose([a, b]);
  });

  it('keeps tensor counts flat (loss, stats, gradients)', async () => {
    const rng = createRng(7);
    const a = tf.tensor2d(randomMatrix(rng, 8, 6));
    const b = tf.tensor2d(randomMatrix(rng, 8, 6));
    await expectNoTensorLeak(() => infoNCE(a, b, { temperature: 0.1 }));
    await expectNoTensorLeak(() => infoNCEWithStats(a, b, { temperature: 0.1 }));
    const indices = [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7];
    await expectNoTensorLeak(() => tf.tidy(() => infoNCEMultiPositive(tf.concat([a, b]) as tf.Tensor2D, indices, { temperature: 0.1 })));
    await expectNoTensorLeak(() => tf.grads((x: tf.Tensor, y: tf.Tensor) => infoNCE(x as tf.Tensor2D, y as tf.Tensor2D, { temperature: 0.1 }))([a, b]));
    tf.dispose([a, b]);
  });
});
