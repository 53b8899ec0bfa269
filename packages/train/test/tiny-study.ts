import type { StudyFile } from '../src/study/types';

/** A study that runs in a minute or two: 3 arms × 2 seeds of 8 steps on 128 CIFAR-10 images. */
export const tinyStudy = {
  name: 'tiny',
  base: {
    preset: 'quick',
    backend: 'wasm',
    data: { trainSubset: 128 },
    model: { widths: [4, 8] },
    head: { dims: [16, 8] },
    train: { epochs: 2, batchSize: 32, checkpointEvery: 2 },
    eval: {
      knnEvery: 0,
      bankSize: 128,
      testSize: 64,
      knnK: 10,
      rawPixelBaseline: false,
      report: false,
      layerStudy: { trainImages: 64, testImages: 32, probeEpochs: 3 },
    },
  },
  arms: [
    { name: 'joint', set: { 'objective.scheme': 'joint' } },
    { name: 'parametric', set: { objective: { scheme: 'parametric', innerSteps: 2 } } },
    { name: 'none', set: { 'head.type': 'identity' } },
  ],
  seeds: [0, 1],
};

/** Everything of a study that must not depend on interruptions (wall times do). */
export const results = (study: StudyFile) => ({
  runs: study.runs.map(({ arm, seed, finalLoss, layers }) => ({ arm, seed, finalLoss, layers })),
  summary: study.summary,
  pairedDifferences: study.pairedDifferences,
});

