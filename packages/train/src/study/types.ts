import type { LayerStudyRow } from '@selfsup/eval';

/**
 * The data a head study produces: one `layer-study.json` per run, one `study.json` per study.
 * Both are plain JSON, versioned by `format`, and documented in the train README.
 */

/** The metrics measured at every layer; accuracies in [0, 1]. */
export const LAYER_METRICS = ['knnAccuracy', 'linearAccuracy', 'effectiveRank', 'alignment', 'uniformity'] as const;
export type LayerMetric = (typeof LAYER_METRICS)[number];

/**
 * One backbone stage or head layer of one run: the layer study's row of @selfsup/eval (kNN,
 * linear probe, RankMe of the test features) plus Wang & Isola's geometry, both on L2-normalised
 * features. A metric may be missing (skipped).
 */
export interface LayerMetrics extends LayerStudyRow {
  /** E‖f(x) − f(x⁺)‖² over two augmented views of the test images (α = 2). Lower is better. */
  alignment?: number;
  /** log E exp(−2‖f(x) − f(y)‖²) over pairs of test images (t = 2). Lower is more uniform. */
  uniformity?: number;
}

/** `layer-study.json`, written by every run at its end. */
export interface LayerStudyFile {
  format: 'selfsup-layer-study/1';
  /** Training step of the weights studied. */
  step: number;
  /** The split and probe settings the numbers were measured with. */
  split: { trainImages: number; testImages: number; probeEpochs: number; knnK: number; knnTemperature: number };
  rows: LayerMetrics[];
}

/** One (arm, seed) run of a study, as study.json records it. */
export interface StudyRunRecord {
  arm: string;
  seed: number;
  /** Relative to the study directory. */
  runDir: string;
  /** Wall time of the run (training + evaluation), in seconds; summed over resumed pieces. */
  wallSeconds: number;
  /** The last training loss. */
  finalLoss?: number;
  layers: LayerMetrics[];
}

/** Mean and 95% Student-t interval of one metric over seeds. */
export interface IntervalStat {
  n: number;
  mean: number;
  /** Sample standard deviation (n − 1); 0 when n = 1. */
  sd: number;
  /** Two-sided 95% t-interval of the mean, [low, high]; [mean, mean] when n = 1. */
  ci95: [number, number];
}

/** Per arm, layer and metric, over the study's seeds. */
export interface ArmLayerSummary extends IntervalStat {
  arm: string;
  layer: string;
  part: 'backbone' | 'head';
  metric: LayerMetric;
}

/** Paired over seeds both arms ran: differences armA − armB, with their interval and signs. */
export interface PairedDifference extends IntervalStat {
  armA: string;
  armB: string;
  layer: string;
  metric: LayerMetric;
  /** Seeds where armA − armB > 0, < 0, and = 0. */
  positive: number;
  negative: number;
  ties: number;
}

/** `study.json`. */
export interface StudyFile {
  format: 'selfsup-study/1';
  name: string;
  /** Each arm and the config overrides that define it. */
  arms: { name: string; overrides: Record<string, unknown> }[];
  seeds: number[];
  runs: StudyRunRecord[];
  summary: ArmLayerSummary[];
  pairedDifferences: PairedDifference[];
}
