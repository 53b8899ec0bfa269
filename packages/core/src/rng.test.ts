import { describe, expect, it } from 'vitest';
import { ArgumentError } from './errors';
import { createRng, restoreRng } from './rng';

const draw = (rng: { uint32(): number }, n: number) => Array.from({ length: n }, () => rng.uint32());

describe('createRng', () => {
  it('gives identical streams for the same seed', () => {
    expect(draw(createRng(42), 1000)).toEqual(draw(createRng(42), 1000));
    const a = createRng(7);
    const b = createRng(7);
    expect([a.float(), a.normal(), a.int(0, 10), a.uniform(-1, 1)]).toEqual([
      b.float(),
      b.normal(),
      b.int(0, 10),
      b.uniform(-1, 1),
    ]);
  });

  it('gives different streams for different seeds', () => {
    expect(draw(createRng(1), 100)).not.toEqual(draw(createRng(2), 100));
  });

  it('forks by label: same label same stream, different labels different streams', () => {
    const root = createRng(3);
    expect(draw(root.fork('augment'), 100)).toEqual(draw(createRng(3).fork('augment'), 100));
    const a = draw(root.fork('augment'), 100);
    const b = draw(root.fork('init'), 100);
    expect(a).not.toEqual(b);
    // Few coincidences between two independent 32-bit streams.
    expect(a.filter((v, i) => v === b[i]).length).toBeLessThan(2);
    expect(root.fork('a').fork('b').path).toBe('3/a/b');
    expect(draw(root.fork('a').fork('b'), 10)).not.toEqual(draw(root.fork('a/b'), 10).reverse());
  });

  it('forks independently of how much the parent has drawn', () => {
    const fresh = createRng(5);
    const used = createRng(5);
    draw(used, 12345);
    expect(draw(used.fork('data'), 50)).toEqual(draw(fresh.fork('data'), 50));
  });

  it('continues bit-identically from a saved state', () => {
    const rng = createRng(9).fork('train');
    draw(rng, 17);
    rng.normal(); // leaves a spare Box-Muller deviate in the state
    const state = JSON.parse(JSON.stringify(rng.getState()));
    const expected = [rng.normal(), rng.float(), ...draw(rng, 20)];
    const resumed = restoreRng(state);
    expect([resumed.normal(), resumed.float(), ...draw(resumed, 20)]).toEqual(expected);
    expect(resumed.path).toBe('9/train');
  });

  it('draws from the documented distributions', () => {
    const rng = createRng(11);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let normalSum = 0;
    let normalSq = 0;
    let heads = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.float();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      sumSq += u * u;
      const z = rng.normal(2, 3);
      normalSum += z;
      normalSq += (z - 2) ** 2;
      if (rng.bernoulli(0.3)) heads++;
    }
    // Means within 5 standard errors of their true values.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(sumSq / n - sum ** 2 / n ** 2 - 1 / 12)).toBeLessThan(0.002);
    expect(Math.abs(normalSum / n - 2)).toBeLessThan(5 * (3 / Math.sqrt(n)));
    expect(Math.abs(normalSq / n - 9)).toBeLessThan(0.15);
    expect(Math.abs(heads / n - 0.3)).toBeLessThan(5 * Math.sqrt(0.21 / n));
  });

  it('draws integers uniformly over [low, high)', () => {
    const rng = createRng(13);
    const counts = new Array(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[rng.int(-2, 4) + 2]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(5 * Math.sqrt(10_000 * (5 / 6)));
  });

  it('permutes and shuffles', () => {
    const rng = createRng(17);
    const p = rng.permutation(1000);
    expect([...p].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect([...p]).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
    const items = ['a', 'b', 'c', 'd', 'e'];
    expect(rng.shuffle([...items]).sort()).toEqual(items);
    // Each of the 6 orders of 3 items appears about equally often.
    const seen = new Map<string, number>();
    for (let i = 0; i < 6000; i++) {
      const key = rng.permutation(3).join('');
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    expect(seen.size).toBe(6);
    for (const c of seen.values()) expect(Math.abs(c - 1000)).toBeLessThan(5 * Math.sqrt(1000));
  });

  it('gives tfjs seeds as positive integers', () => {
    const rng = createRng(19);
    for (let i = 0; i < 100; i++) {
      const s = rng.tfSeed();
      expect(Number.isInteger(s) && s >= 0 && s < 2 ** 31).toBe(true);
    }
  });

  it('rejects bad seeds, labels and ranges with a fix', () => {
    expect(() => createRng(1.5)).toThrow(ArgumentError);
    expect(() => createRng(Number.NaN)).toThrow(/integer seed/);
    expect(() => createRng(0).fork('')).toThrow(/non-empty string/);
    expect(() => createRng(0).int(3, 3)).toThrow(/low < high/);
  });
});
