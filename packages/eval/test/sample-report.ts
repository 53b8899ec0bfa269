import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@selfsup/core';
import { embed2d } from '../src/embedding';
import type { LayerStudyRow } from '../src/layer-study';
import type { MetricsRecord } from '../src/report/metrics';

/** A plausible training log: falling loss, warm-up + cosine LR, kNN every 50 steps, noisy speed. */
export function sampleMetrics(steps = 400): MetricsRecord[] {
  const rng = createRng(4).fork('metrics');
  const rows: MetricsRecord[] = [];
  for (let step = 0; step <= steps; step += 5) {
    const lr = step < 40 ? (0.3 * step) / 40 : 0.15 * (1 + Math.cos((Math.PI * (step - 40)) / (steps - 40)));
    const row: MetricsRecord = { step, epoch: Math.floor(step / 100), loss: 5.5 * Math.exp(-step / 150) + 1.2 + 0.05 * rng.normal(), lr, viewsPerSec: 40 + 3 * rng.normal() };
    if (step % 50 === 0) row.knnAccuracy = 0.1 + 0.7 * (1 - Math.exp(-step / 120));
    rows.push(row);
  }
  return rows;
}

export const sampleLayers: LayerStudyRow[] = [
  { layer: 'backbone.stage1', part: 'backbone', dim: 64, knnAccuracy: 0.41, linearAccuracy: 0.48, effectiveRank: 38.2 },
  { layer: 'backbone.stage2', part: 'backbone', dim: 128, knnAccuracy: 0.55, linearAccuracy: 0.6, effectiveRank: 77.9 },
  { layer: 'backbone.stage3', part: 'backbone', dim: 256, knnAccuracy: 0.7, linearAccuracy: 0.74, effectiveRank: 141.3 },
  { layer: 'backbone.stage4', part: 'backbone', dim: 512, knnAccuracy: 0.8, linearAccuracy: 0.84, effectiveRank: 260.4 },
  { layer: 'head.0', part: 'head', dim: 512, knnAccuracy: 0.77, linearAccuracy: 0.8, effectiveRank: 120.6 },
  { layer: 'head.1', part: 'head', dim: 128, knnAccuracy: 0.69, linearAccuracy: 0.72, effectiveRank: 31.7 },
];

/** A real UMAP of 10 Gaussian clusters (umap-js), so the scatter has structure to look at. */
export async function sampleEmbedding(n = 600) {
  const rng = createRng(9).fork('clusters');
  const centres = Array.from({ length: 10 }, () => Array.from({ length: 16 }, () => rng.normal()));
  const labels = Array.from({ length: n }, () => rng.int(0, 10));
  const x = tf.tensor2d(labels.map((c) => centres[c].map((m) => m + 0.35 * rng.normal())));
  const embedding = await embed2d(x, labels, { seed: 1, layer: 'backbone.stage4' });
  x.dispose();
  return embedding;
}
