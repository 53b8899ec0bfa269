import type { StudyConfigInput } from './config';

const ARMS = [
  { name: 'joint', set: { 'objective.scheme': 'joint' } },
  { name: 'parametric', set: { 'objective.scheme': 'parametric', 'objective.innerSteps': 5 } },
  { name: 'none', set: { 'head.type': 'identity' } },
];

/**
 * Named studies. All compare the three arms of the paper's question — the head trained with
 * the network (`joint`, SimCLR), the head as a parametric term of the objective fitted with K=5
 * inner steps (`parametric`), and no head (`none`: InfoNCE on the backbone features) — with
 * everything else equal.
 */
export const STUDY_PRESETS = {
  /** About a minute on 2 cores: a smoke test of the machinery, not a result. */
  'head-smoke': {
    name: 'head-smoke',
    base: {
      preset: 'quick',
      backend: 'auto',
      data: { trainSubset: 512 },
      model: { widths: [8, 16] },
      head: { dims: [32, 16] },
      train: { epochs: 2, batchSize: 64, checkpointEvery: 4 },
      eval: {
        knnEvery: 0,
        bankSize: 512,
        testSize: 256,
        knnK: 20,
        rawPixelBaseline: false,
        report: false,
        layerStudy: { trainImages: 256, testImages: 128, probeEpochs: 5 },
      },
    },
    arms: ARMS,
    seeds: [0, 1],
  },
  /** The small convnet on 10,000 CIFAR-10 images, 3 arms × 3 seeds: about 75 minutes on 2 cores (wasm; 12 runs took 101 min). */
  'head-cpu': {
    name: 'head-cpu',
    base: {
      preset: 'quick',
      backend: 'auto',
      data: { trainSubset: 10_000 },
      train: { epochs: 8, batchSize: 256, checkpointEvery: 40 },
      eval: {
        knnEvery: 0,
        bankSize: 10_000,
        testSize: 2_000,
        rawPixelBaseline: false,
        report: false,
        layerStudy: { trainImages: 5_000, testImages: 2_000, probeEpochs: 30 },
      },
    },
    arms: ARMS,
    seeds: [0, 1, 2],
  },
  /** ResNet-18 on full CIFAR-10, 200 epochs (lightly's benchmark recipe): for a GPU. */
  'head-cifar10': {
    name: 'head-cifar10',
    base: {
      preset: 'cifar10-simclr',
      eval: { knnEvery: 20, layerStudy: { trainImages: 10_000, testImages: 10_000, probeEpochs: 100 } },
    },
    arms: ARMS,
    seeds: [0, 1, 2],
  },
} satisfies Record<string, StudyConfigInput>;

export const STUDY_PRESET_NAMES = Object.keys(STUDY_PRESETS) as (keyof typeof STUDY_PRESETS)[];
