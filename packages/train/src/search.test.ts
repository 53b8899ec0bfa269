import { describe, expect, it } from 'vitest';
import { createRng } from '@selfsup/core';
import { cosineNeighbours } from './search';

describe('cosineNeighbours', () => {
  it('returns the k most cosine-similar rows, best first, as a full sort would', () => {
    const rng = createRng(9);
    const dim = 7;
    const data = Float32Array.from({ length: 300 * dim }, () => rng.normal());
    const query = Float32Array.from({ length: dim }, () => rng.normal());
    const cos = (r: number) => {
      const row = data.subarray(r * dim, (r + 1) * dim);
      const dot = row.reduce((s, v, j) => s + v * query[j], 0);
      return dot / (Math.hypot(...row) * Math.hypot(...query));
    };
    const expected = Array.from({ length: 300 }, (_, r) => r).filter((r) => r !== 4).sort((a, b) => cos(b) - cos(a)).slice(0, 6);
    const found = cosineNeighbours(data, dim, query, 6, 4);
    expect(found.map((n) => n.row)).toEqual(expected);
    found.forEach((n) => expect(n.similarity).toBeCloseTo(cos(n.row), 5));
    // Scale does not matter to cosine: a scaled copy of a row is its own best match.
    const copy = data.slice(10 * dim, 11 * dim).map((v) => 3 * v);
    expect(cosineNeighbours(data, dim, copy, 1)[0]).toMatchObject({ row: 10 });
    expect(cosineNeighbours(data, dim, copy, 1)[0].similarity).toBeCloseTo(1, 6);
  });
});
