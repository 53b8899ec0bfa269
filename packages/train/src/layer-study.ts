import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { createRng } from '@selfsup/core';
import { alignment, extractLayerFeatures, layerStudy, uniformity } from '@selfsup/eval';
import type { BuiltRun } from './build';
import type { TrainConfig } from './config/schema';
import { firstRows } from './features';
import type { LayerMetrics, LayerStudyFile } from './study/types';

const pct = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);

/** Whether the run's data can be studied: labelled train images and a test split. */
export function canStudyLayers({ datasets }: Pick<BuiltRun, 'datasets'>): boolean {
  return datasets.test !== undefined && datasets.train.labels[0] >= 0;
}

/**
 * The layer study of a trained run: for every backbone stage and head layer, kNN and linear-probe
 * accuracy (first `trainImages` train images → first `testImages` test images), RankMe of the
 * test features, and Wang & Isola's alignment (two augmented views of the test images, drawn
 * from the run's seed) and uniformity (the test images themselves), on L2-normalised features.
 */
export async function studyLayers(config: TrainConfig, built: BuiltRun, step: number, log: (line: string) => void): Promise<LayerStudyFile> {
  const { train, test } = built.datasets;
  if (!test) throw new Error('studyLayers needs a test split (check canStudyLayers first)');
  const { trainImages, testImages, probeEpochs } = config.eval.layerStudy;
  const { backbone, objective, views } = built.parts;
  const head = objective.head;
  const trainBatch = train.toBatch(firstRows(train.size, trainImages));
  const testBatch = test.toBatch(firstRows(test.size, testImages));
  const knn = { k: config.eval.knnK, temperature: config.eval.knnTemperature };
  try {
    const study = await layerStudy(backbone, head, trainBatch, testBatch, {
      knn,
      probe: { epochs: probeEpochs, seed: config.seed },
      keepTestFeatures: true,
      onLayer: (row) => log(`layer study: ${row.layer} (${row.dim}-d) kNN ${pct(row.knnAccuracy)}, linear ${pct(row.linearAccuracy)}, rank ${row.effectiveRank?.toFixed(1)}`),
    });
    const testFeatures = study.testFeatures ?? [];
    const [v1, v2] = tf.tidy(() => views(testBatch.images, createRng(config.seed).fork('layer-study-views')));
    let first: ReturnType<typeof extractLayerFeatures> = [];
    let second: ReturnType<typeof extractLayerFeatures> = [];
    try {
      first = extractLayerFeatures(backbone, head, v1);
      second = extractLayerFeatures(backbone, head, v2);
      const rows: LayerMetrics[] = [];
      for (const [i, row] of study.rows.entries()) {
        rows.push({
          ...row,
          alignment: await alignment(first[i].features, second[i].features),
          uniformity: await uniformity(testFeatures[i].features),
        });
      }
      return {
        format: 'selfsup-layer-study/1',
        step,
        split: { trainImages: trainBatch.labels.shape[0], testImages: testBatch.labels.shape[0], probeEpochs, knnK: knn.k, knnTemperature: knn.temperature },
        rows,
      };
    } finally {
      tf.dispose([v1, v2, ...[...first, ...second, ...testFeatures].map((f) => f.features)]);
    }
  } finally {
    tf.dispose([trainBatch.images, trainBatch.labels, testBatch.images, testBatch.labels]);
  }
}

/** Writes `runDir/layer-study.json` atomically. */
export function writeLayerStudy(runDir: string, study: LayerStudyFile): string {
  const file = join(runDir, 'layer-study.json');
  writeFileAtomic.sync(file, `${JSON.stringify(study, null, 2)}\n`);
  return file;
}
