import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { expectNoTensorLeak } from '@selfsup/core/testing';
import { describe, expect, it } from 'vitest';
import fixture from '../test/fixtures/rankme.json';
import { fromSvd, orthonormalColumns, rankMeClosedForm } from '../test/reference';
import { effectiveRank, rankFromSingularValues, singularValues } from './spectrum';

const rng = createRng(11).fork('spectrum-test');
const random = () => rng.normal();

async function rankOf(rows: number[][], options = {}): Promise<number> {
  const x = tf.tensor2d(rows);
  const r = await effectiveRank(x, options);
  x.dispose();
  return r;
}

describe('effectiveRank (RankMe)', () => {
  it('of the identity is d', async () => {
    const d = 16;
    const eye = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
    const r = await rankOf(eye);
    expect(r).toBeCloseTo(rankMeClosedForm(new Array(d).fill(1)), 5);
    expect(r).toBeCloseTo(d, 4);
  });

  it('of a rank-r matrix with equal singular values is r (both Gram sides)', async () => {
    for (const [n, d, r] of [[60, 20, 5], [12, 40, 3], [30, 30, 1]]) {
      const m = Math.min(n, d);
      const spectrum = [...new Array(r).fill(2.5), ...new Array(m - r).fill(0)];
      const x = fromSvd(orthonormalColumns(n, r, random), spectrum.slice(0, r), orthonormalColumns(d, r, random));
      const value = await rankOf(x);
      expect(value, `${n}x${d} rank ${r}`).toBeCloseTo(rankMeClosedForm(spectrum), 4);
      expect(Math.abs(value - r)).toBeLessThan(1e-3);
    }
  });

  it('of a known spectrum equals the closed form', async () => {
    const spectrum = [4, 2, 1, 1, 0.5, 0.25];
    const x = fromSvd(orthonormalColumns(25, 6, random), spectrum, orthonormalColumns(9, 6, random));
    const expected = rankMeClosedForm([...spectrum, 0, 0, 0]);
    expect(await rankOf(x)).toBeCloseTo(expected, 5);
    const t = tf.tensor2d(x);
    const s = await singularValues(t);
    t.dispose();
    expect(Array.from(s.slice(0, 6)).map((v) => Number(v.toFixed(4)))).toEqual(spectrum);
  });

  it('equals torch.linalg.svdvals-based RankMe from the PyTorch fixture', async () => {
    for (const c of fixture.cases) {
      const x = tf.tensor2d(c.matrix);
      const s = await singularValues(x);
      x.dispose();
      for (let i = 0; i < c.singularValues.length; i++) expect(s[i]).toBeCloseTo(c.singularValues[i], 5);
      expect(rankFromSingularValues(s, fixture.epsilon)).toBeCloseTo(c.rankme, 5);
    }
  });

  it('with center: removes the mean row before the spectrum', async () => {
    const n = 40;
    const ones = new Array(n).fill(1 / Math.sqrt(n));
    const u = orthonormalColumns(n, 3, random, [ones]); // orthogonal to the all-ones vector
    const v = orthonormalColumns(8, 3, random);
    const centredPart = fromSvd(u, [3, 3, 3], v);
    const offset = Array.from({ length: 8 }, () => 5 * rng.normal());
    const x = centredPart.map((row) => row.map((value, j) => value + offset[j]));
    expect(await rankOf(x, { center: true })).toBeCloseTo(rankMeClosedForm([3, 3, 3, 0, 0, 0, 0, 0]), 4);
    // Not centred, the mean row adds a fourth direction.
    const t = tf.tensor2d(x);
    const nonzero = async (options = {}) => Array.from(await singularValues(t, options)).filter((s) => s > 1e-4).length;
    expect(await nonzero()).toBe(4);
    expect(await nonzero({ center: true })).toBe(3);
    t.dispose();
  });

  it('refuses all-zero features and keeps the tensor count flat', async () => {
    const zeros = tf.zeros([5, 3]) as tf.Tensor2D;
    await expect(effectiveRank(zeros)).rejects.toThrow(/all zero/);
    zeros.dispose();
    const x = tf.randomNormal([20, 6], 0, 1, 'float32', 1) as tf.Tensor2D;
    await expectNoTensorLeak(() => effectiveRank(x));
    x.dispose();
  });
});
