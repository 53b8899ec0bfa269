import { describe, expect, it } from 'vitest';
import { forwardLayerOrder, summarizeStudy, tInterval } from './summary';
import type { LayerMetric, LayerMetrics, StudyRunRecord } from './types';

/** Published two-sided 95% quantiles t₀.₉₇₅(df) (standard tables, e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2). */
const T_TABLE: [df: number, t: number][] = [
  [1, 12.706204736],
  [2, 4.30265273],
  [4, 2.776445105],
  [9, 2.262157163],
];

type Metrics = Partial<Record<LayerMetric, number | null>>;

/** A run whose layers are given as name → metrics; the part follows from the name. */
function run(arm: string, seed: number, layers: Record<string, Metrics>): StudyRunRecord {
  return {
    arm,
    seed,
    runDir: `${arm}/seed-${seed}`,
    wallSeconds: 60,
    layers: Object.entries(layers).map(
      ([layer, metrics]) => ({ layer, part: layer.startsWith('head') ? 'head' : 'backbone', dim: 8, ...metrics }) as LayerMetrics,
    ),
  };
}

describe('tInterval', () => {
  it.each(T_TABLE)('uses the published t quantile for df = %i', (df, t) => {
    const values = Array.from({ length: df + 1 }, (_, i) => i * i); // any spread will do
    const stat = tInterval(values);
    const impliedT = ((stat.ci95[1] - stat.mean) * Math.sqrt(stat.n)) / stat.sd;
    // jstat inverts the t CDF iteratively: good to ~1e-8, far below what an interval needs.
    expect(impliedT).toBeCloseTo(t, 7);
    expect(stat.mean - stat.ci95[0]).toBeCloseTo(stat.ci95[1] - stat.mean, 12);
  });

  it('matches a hand computation', () => {
    // mean 0.62; deviations ±0.02, 0 → sd = √(0.0008 / 2) = 0.02; half-width = t(2)·0.02/√3.
    const stat = tInterval([0.6, 0.62, 0.64]);
    const halfWidth = (4.30265273 * 0.02) / Math.sqrt(3);
    expect(stat.n).toBe(3);
    expect(stat.mean).toBeCloseTo(0.62, 12);
    expect(stat.sd).toBeCloseTo(0.02, 12);
    expect(stat.ci95[0]).toBeCloseTo(0.62 - halfWidth, 8);
    expect(stat.ci95[1]).toBeCloseTo(0.62 + halfWidth, 8);
  });

  it('gives sd 0 and [mean, mean] for one value, and refuses none', () => {
    expect(tInterval([0.7])).toEqual({ n: 1, mean: 0.7, sd: 0, ci95: [0.7, 0.7] });
    expect(() => tInterval([])).toThrow(/no values/);
  });

  it('is exact for identical values (no spread, zero-width interval)', () => {
    const stat = tInterval([0.3, 0.3, 0.3, 0.3]);
    expect(stat.sd).toBe(0);
    expect(stat.ci95).toEqual([stat.mean, stat.mean]);
  });
});

describe('summarizeStudy', () => {
  const runs = [
    // `none` is listed first and has no head layers.
    run('none', 1, { 'backbone.stage1': { knnAccuracy: 0.4 }, 'backbone.stage2': { knnAccuracy: 0.5, linearAccuracy: 0.55 } }),
    run('none', 2, { 'backbone.stage1': { knnAccuracy: 0.42 }, 'backbone.stage2': { knnAccuracy: 0.54, linearAccuracy: 0.57 } }),
    run('none', 3, { 'backbone.stage1': { knnAccuracy: 0.44 }, 'backbone.stage2': { knnAccuracy: 0.52, linearAccuracy: 0.59 } }),
    run('joint', 1, {
      'backbone.stage1': { knnAccuracy: 0.41 },
      'backbone.stage2': { knnAccuracy: 0.6, linearAccuracy: 0.65 },
      'head.0': { knnAccuracy: 0.5, effectiveRank: 10 },
      'head.1': { knnAccuracy: 0.45, alignment: 0.8 },
    }),
    run('joint', 2, {
      'backbone.stage1': { knnAccuracy: 0.43 },
      'backbone.stage2': { knnAccuracy: 0.62, linearAccuracy: 0.66 },
      'head.0': { knnAccuracy: 0.52, effectiveRank: 14 },
      'head.1': { knnAccuracy: 0.47, alignment: null }, // skipped: JSON's stand-in for NaN
    }),
    run('joint', 3, {
      'backbone.stage1': { knnAccuracy: 0.45 },
      'backbone.stage2': { knnAccuracy: 0.64, linearAccuracy: 0.7 },
      'head.0': { knnAccuracy: 0.54, effectiveRank: 12 },
      'head.1': { knnAccuracy: 0.49 }, // alignment not measured
    }),
    // `parametric` ran seeds 1 and 3 only, and a one-layer head.
    run('parametric', 1, { 'backbone.stage1': { knnAccuracy: 0.4 }, 'backbone.stage2': { knnAccuracy: 0.58 }, 'head.0': { knnAccuracy: 0.5 } }),
    run('parametric', 3, { 'backbone.stage1': { knnAccuracy: 0.47 }, 'backbone.stage2': { knnAccuracy: 0.61 }, 'head.0': { knnAccuracy: 0.55 } }),
    run('ignored', 1, { 'backbone.stage9': { knnAccuracy: 1 } }), // not a study arm
  ];
  const arms = ['joint', 'parametric', 'none'];
  const { summary, pairedDifferences } = summarizeStudy(runs, arms);
  const find = (arm: string, layer: string, metric: LayerMetric) => summary.find((s) => s.arm === arm && s.layer === layer && s.metric === metric);
  const diff = (armA: string, armB: string, layer: string, metric: LayerMetric) =>
    pairedDifferences.find((d) => d.armA === armA && d.armB === armB && d.layer === layer && d.metric === metric);

  it('orders rows by arm, then layer forward (backbone, then head), then metric', () => {
    const layersOf = (arm: string) => [...new Set(summary.filter((s) => s.arm === arm).map((s) => s.layer))];
    expect([...new Set(summary.map((s) => s.arm))]).toEqual(arms);
    expect(layersOf('joint')).toEqual(['backbone.stage1', 'backbone.stage2', 'head.0', 'head.1']);
    expect(layersOf('parametric')).toEqual(['backbone.stage1', 'backbone.stage2', 'head.0']);
    expect(layersOf('none')).toEqual(['backbone.stage1', 'backbone.stage2']);
    expect(summary.filter((s) => s.arm === 'joint' && s.layer === 'head.0').map((s) => s.metric)).toEqual(['knnAccuracy', 'effectiveRank']);
    expect(find('joint', 'head.0', 'knnAccuracy')?.part).toBe('head');
    expect(summary.some((s) => s.layer === 'backbone.stage9')).toBe(false);
  });

  it('computes mean, sd and interval per arm, layer and metric', () => {
    // joint, stage2 kNN: 0.60, 0.62, 0.64 → mean 0.62, sd 0.02.
    const s = find('joint', 'backbone.stage2', 'knnAccuracy');
    const halfWidth = (4.30265273 * 0.02) / Math.sqrt(3);
    expect(s?.n).toBe(3);
    expect(s?.mean).toBeCloseTo(0.62, 12);
    expect(s?.sd).toBeCloseTo(0.02, 12);
    expect(s?.ci95[0]).toBeCloseTo(0.62 - halfWidth, 8);
    expect(s?.ci95[1]).toBeCloseTo(0.62 + halfWidth, 8);
    // joint, head.0 rank: 10, 14, 12 → mean 12, sd 2.
    expect(find('joint', 'head.0', 'effectiveRank')).toMatchObject({ n: 3, mean: 12, sd: 2 });
    // parametric, stage1 kNN over its two seeds: 0.40, 0.47 → mean 0.435, sd 0.07/√2, half-width t(1)·0.035.
    const p = find('parametric', 'backbone.stage1', 'knnAccuracy');
    expect(p?.n).toBe(2);
    expect(p?.mean).toBeCloseTo(0.435, 12);
    expect(p?.sd).toBeCloseTo(0.07 / Math.SQRT2, 12);
    expect(p?.ci95[1] ?? 0).toBeCloseTo(0.435 + 12.706204736 * 0.035, 8);
  });

  it('uses only the seeds that measured a metric', () => {
    // joint head.1 alignment: seed 1 only (seed 2 null, seed 3 absent).
    expect(find('joint', 'head.1', 'alignment')).toEqual({
      arm: 'joint',
      layer: 'head.1',
      part: 'head',
      metric: 'alignment',
      n: 1,
      mean: 0.8,
      sd: 0,
      ci95: [0.8, 0.8],
    });
    expect(find('parametric', 'backbone.stage2', 'linearAccuracy')).toBeUndefined();
    expect(find('none', 'head.0', 'knnAccuracy')).toBeUndefined();
  });

  it('pairs every ordered pair of arms in the given order', () => {
    const pairs = [...new Set(pairedDifferences.map((d) => `${d.armA}−${d.armB}`))];
    expect(pairs).toEqual(['joint−parametric', 'joint−none', 'parametric−none']);
  });

  it('computes paired differences by hand', () => {
    // joint − none, stage2 kNN: (0.60−0.50, 0.62−0.54, 0.64−0.52) = (0.10, 0.08, 0.12) → mean 0.10, sd 0.02.
    const d = diff('joint', 'none', 'backbone.stage2', 'knnAccuracy');
    const halfWidth = (4.30265273 * 0.02) / Math.sqrt(3);
    expect(d).toMatchObject({ n: 3, positive: 3, negative: 0, ties: 0 });
    expect(d?.mean).toBeCloseTo(0.1, 12);
    expect(d?.sd).toBeCloseTo(0.02, 12);
    expect(d?.ci95[0]).toBeCloseTo(0.1 - halfWidth, 8);
    expect(d?.ci95[1]).toBeCloseTo(0.1 + halfWidth, 8);
    // joint − none, stage1 kNN: (0.01, 0.01, 0.01): no spread.
    const s1 = diff('joint', 'none', 'backbone.stage1', 'knnAccuracy');
    expect(s1).toMatchObject({ n: 3, positive: 3, negative: 0, ties: 0 });
    expect(s1?.sd).toBeCloseTo(0, 12);
  });

  it('pairs only seeds both arms ran, and counts signs and ties', () => {
    // joint − parametric, stage1 kNN, seeds 1 and 3: (0.41−0.40, 0.45−0.47) = (0.01, −0.02) → mean −0.005, sd 0.03/√2.
    const d = diff('joint', 'parametric', 'backbone.stage1', 'knnAccuracy');
    expect(d).toMatchObject({ n: 2, positive: 1, negative: 1, ties: 0 });
    expect(d?.mean).toBeCloseTo(-0.005, 12);
    expect(d?.sd).toBeCloseTo(0.03 / Math.SQRT2, 12);
    expect(d?.ci95[0]).toBeCloseTo(-0.005 - 12.706204736 * 0.015, 8);
    // joint − parametric, head.0 kNN, seeds 1 and 3: (0.50−0.50, 0.54−0.55) = (0, −0.01).
    expect(diff('joint', 'parametric', 'head.0', 'knnAccuracy')).toMatchObject({ n: 2, positive: 0, negative: 1, ties: 1 });
    // Nothing to pair: `none` has no head, `parametric` no linear probe.
    expect(diff('joint', 'none', 'head.0', 'knnAccuracy')).toBeUndefined();
    expect(diff('joint', 'parametric', 'backbone.stage2', 'linearAccuracy')).toBeUndefined();
    expect(pairedDifferences.every((d) => d.positive + d.negative + d.ties === d.n)).toBe(true);
  });

  it('handles an arm with no runs, and refuses a repeated (arm, seed)', () => {
    const result = summarizeStudy(runs, ['joint', 'missing']);
    expect(result.summary.some((s) => s.arm === 'missing')).toBe(false);
    expect(result.pairedDifferences).toEqual([]);
    expect(() => summarizeStudy([...runs, runs[0]], arms)).toThrow(/two runs with seed 1/);
    expect(() => summarizeStudy(runs, ['joint', 'joint'])).toThrow(/repeat/);
  });
});

describe('forwardLayerOrder', () => {
  const layer = (name: string) => ({ layer: name, part: name.startsWith('head') ? ('head' as const) : ('backbone' as const) });
  it('merges sequences of different depth and puts the backbone first', () => {
    const order = forwardLayerOrder([
      ['b.1', 'b.3', 'head.0'].map(layer),
      ['b.1', 'b.2', 'b.3', 'head.0', 'head.1'].map(layer),
      ['head.2', 'b.4'].map(layer),
    ]);
    expect(order.map((o) => o.layer)).toEqual(['b.1', 'b.2', 'b.3', 'b.4', 'head.0', 'head.1', 'head.2']);
  });
});
