import { ArgumentError } from '@selfsup/core';
import jstat from 'jstat';
import {
  LAYER_METRICS,
  type ArmLayerSummary,
  type IntervalStat,
  type LayerMetric,
  type LayerMetrics,
  type PairedDifference,
  type StudyRunRecord,
} from './types';

type Part = LayerMetrics['part'];

/**
 * Mean, sample sd and two-sided 95% Student-t interval of the mean, mean ± t₀.₉₇₅(n−1)·sd/√n.
 * One value gives sd 0 and the degenerate interval [mean, mean]: there is no spread to estimate.
 */
export function tInterval(values: readonly number[]): IntervalStat {
  const n = values.length;
  if (n === 0) throw new ArgumentError({ code: 'STUDY_NO_VALUES', problem: 'tInterval got no values', fix: 'pass at least one number' });
  const mean = values.reduce((sum, v) => sum + v, 0) / n;
  if (n === 1) return { n, mean, sd: 0, ci95: [mean, mean] };
  // Two passes (deviations from the mean), not Σx² − n·mean², which cancels badly for close values.
  const sd = Math.sqrt(values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1));
  const halfWidth = (jstat.jStat.studentt.inv(0.975, n - 1) * sd) / Math.sqrt(n);
  return { n, mean, sd, ci95: [mean - halfWidth, mean + halfWidth] };
}

/**
 * Per arm, layer and metric: the interval over the seeds that measured it. And for every ordered
 * pair of arms (earlier in `arms` first): the interval of the paired differences A − B over the
 * seeds both arms measured, with sign counts. Runs of arms not in `arms` are ignored. A metric
 * counts as measured when it is a finite number (JSON turns NaN into null, so null means skipped).
 */
export function summarizeStudy(
  runs: readonly StudyRunRecord[],
  arms: readonly string[],
): { summary: ArmLayerSummary[]; pairedDifferences: PairedDifference[] } {
  const byArm = indexRuns(runs, arms);
  const layers = forwardLayerOrder(runs.filter((r) => byArm.has(r.arm)).map((r) => r.layers));

  const summary: ArmLayerSummary[] = [];
  for (const arm of arms) {
    const seeds = byArm.get(arm) as Map<number, Map<string, LayerMetrics>>;
    for (const { layer, part } of layers) {
      for (const metric of LAYER_METRICS) {
        const values = [...seeds.values()].map((rows) => metricValue(rows.get(layer), metric)).filter(isMeasured);
        if (values.length > 0) summary.push({ arm, layer, part, metric, ...tInterval(values) });
      }
    }
  }

  const pairedDifferences: PairedDifference[] = [];
  arms.forEach((armA, i) => {
    for (const armB of arms.slice(i + 1)) {
      const seedsA = byArm.get(armA) as Map<number, Map<string, LayerMetrics>>;
      const seedsB = byArm.get(armB) as Map<number, Map<string, LayerMetrics>>;
      for (const { layer } of layers) {
        for (const metric of LAYER_METRICS) {
          const differences: number[] = [];
          for (const [seed, rowsA] of seedsA) {
            const a = metricValue(rowsA.get(layer), metric);
            const b = metricValue(seedsB.get(seed)?.get(layer), metric);
            if (isMeasured(a) && isMeasured(b)) differences.push(a - b);
          }
          if (differences.length === 0) continue;
          pairedDifferences.push({
            armA,
            armB,
            layer,
            metric,
            ...tInterval(differences),
            positive: differences.filter((d) => d > 0).length,
            negative: differences.filter((d) => d < 0).length,
            ties: differences.filter((d) => d === 0).length,
          });
        }
      }
    }
  });
  return { summary, pairedDifferences };
}

/**
 * One forward order for layers that several runs list (an arm without a head lists none of the
 * head layers; a deeper head lists more): a layer not seen before goes just before the next
 * layer of its own run that is already placed, or at the end; then backbone stages go first.
 */
export function forwardLayerOrder(sequences: readonly (readonly { layer: string; part: Part }[])[]): { layer: string; part: Part }[] {
  const order: { layer: string; part: Part }[] = [];
  const placed = (layer: string) => order.findIndex((entry) => entry.layer === layer);
  for (const sequence of sequences) {
    sequence.forEach(({ layer, part }, i) => {
      if (placed(layer) >= 0) return;
      const next = sequence.slice(i + 1).map((later) => placed(later.layer)).find((at) => at >= 0);
      order.splice(next ?? order.length, 0, { layer, part });
    });
  }
  return [...order.filter((e) => e.part === 'backbone'), ...order.filter((e) => e.part === 'head')];
}

/** arm → seed → layer → row, refusing a repeated (arm, seed): it would count one seed twice. */
function indexRuns(runs: readonly StudyRunRecord[], arms: readonly string[]): Map<string, Map<number, Map<string, LayerMetrics>>> {
  if (new Set(arms).size !== arms.length) {
    throw new ArgumentError({ code: 'STUDY_DUPLICATE_ARM', problem: `arms repeat a name (${arms.join(', ')})`, fix: 'give every arm a unique name' });
  }
  const byArm = new Map(arms.map((arm) => [arm, new Map<number, Map<string, LayerMetrics>>()]));
  for (const run of runs) {
    const seeds = byArm.get(run.arm);
    if (seeds === undefined) continue;
    if (seeds.has(run.seed)) {
      throw new ArgumentError({
        code: 'STUDY_DUPLICATE_RUN',
        problem: `arm ${run.arm} has two runs with seed ${run.seed}`,
        fix: 'keep one record per (arm, seed); merge resumed pieces into one record',
      });
    }
    seeds.set(run.seed, new Map(run.layers.map((row) => [row.layer, row])));
  }
  return byArm;
}

function metricValue(row: LayerMetrics | undefined, metric: LayerMetric): unknown {
  return row?.[metric];
}

function isMeasured(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
