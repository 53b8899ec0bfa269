import type { TrainConfigInput } from './schema';

/**
 * Named starting points. `cifar10-simclr` is the standard recipe (lightly's CIFAR-10 benchmark:
 * ResNet-18 with the CIFAR stem, 512-512-128 head with batch norm, NT-Xent τ=0.5, SGD 0.06·B/256,
 * momentum 0.9, weight decay 5e-4, cosine); `cifar10-parametric` changes only the head's role.
 * `quick` is small enough to show learning on a 2-core CPU in about ten minutes.
 */
export const PRESETS = {
  'cifar10-simclr': {
    data: { name: 'cifar10' },
    augment: { preset: 'simclr-cifar' },
    model: { backbone: 'resnet18', stem: 'cifar' },
    head: { type: 'mlp', dims: [512, 128], batchNorm: true },
    objective: { scheme: 'joint', temperature: 0.5 },
    optimizer: { name: 'sgd', lr: 0.06, lrScaling: 'linear', momentum: 0.9, weightDecay: 5e-4 },
    schedule: { name: 'warmup-cosine', warmupEpochs: 0 },
    train: { epochs: 200, batchSize: 256, checkpointEvery: 200 },
    eval: { knnEvery: 10 },
  },
  'cifar10-parametric': {
    data: { name: 'cifar10' },
    augment: { preset: 'simclr-cifar' },
    model: { backbone: 'resnet18', stem: 'cifar' },
    head: { type: 'mlp', dims: [512, 128], batchNorm: true },
    objective: { scheme: 'parametric', temperature: 0.5, innerSteps: 5 },
    optimizer: { name: 'sgd', lr: 0.06, lrScaling: 'linear', momentum: 0.9, weightDecay: 5e-4 },
    schedule: { name: 'warmup-cosine', warmupEpochs: 0 },
    train: { epochs: 200, batchSize: 256, checkpointEvery: 200 },
    eval: { knnEvery: 10 },
  },
  quick: {
    data: { name: 'cifar10', trainSubset: 10_000 },
    augment: { preset: 'simclr-cifar' },
    model: { backbone: 'small-convnet' },
    head: { type: 'mlp', dims: [256, 64], batchNorm: true },
    objective: { scheme: 'joint', temperature: 0.5 },
    optimizer: { name: 'sgd', lr: 0.3, lrScaling: 'none', momentum: 0.9, weightDecay: 5e-4 },
    schedule: { name: 'warmup-cosine', warmupEpochs: 1 },
    train: { epochs: 4, batchSize: 256, checkpointEvery: 20 },
    eval: { knnEvery: 1, bankSize: 10_000, testSize: 2_000 },
  },
} satisfies Record<string, TrainConfigInput>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];
