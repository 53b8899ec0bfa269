import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createRng, type ImageBatch } from '@selfsup/core';
import { simclrCifar, twoViews } from '@selfsup/augment';
import { smallConvnet } from '@selfsup/backbones';
import { ImageDataset } from '@selfsup/datasets';
import { joint, mlpHead, parametric } from '@selfsup/losses';
import { sgd, warmupCosine } from '@selfsup/optim';
import { TrainingError } from './errors';
import { readMetrics } from './metrics';
import { Trainer, type TrainerOptions, type TrainerParts } from './trainer';

/** 48 random 8×8 RGB images in 3 classes: small enough for the cpu backend. */
function tinyDataset(): ImageDataset {
  const rng = createRng(99);
  const n = 48;
  const images = Uint8Array.from({ length: n * 8 * 8 * 3 }, () => rng.int(0, 256));
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  return new ImageDataset('tiny', images, labels, ['a', 'b', 'c'], 8, 8, 3);
}

function parts(scheme: 'joint' | 'parametric', seed = 0): TrainerParts {
  const rng = createRng(seed);
  const backbone = smallConvnet({ widths: [4, 8], rng: rng.fork('backbone') });
  const head = mlpHead({ dims: [backbone.featureDim, 16, 8], batchNorm: true, rng: rng.fork('head') });
  const lr = warmupCosine({ lr: 0.1, warmupSteps: 2, totalSteps: 12 });
  const optimizer = sgd({ lr, momentum: 0.9, weightDecay: 5e-4 });
  const headOptimizer = scheme === 'parametric' ? sgd({ lr: () => lr(optimizer.iterations), momentum: 0.9 }) : undefined;
  const objective =
    scheme === 'parametric'
      ? parametric(head, { temperature: 0.5, innerSteps: 2, optimizer: headOptimizer })
      : joint(head, { temperature: 0.5 });
  return { data: tinyDataset(), views: twoViews(simclrCifar({ size: 8 })), backbone, objective, optimizer, headOptimizer };
}

function dispose(p: TrainerParts): void {
  p.backbone.dispose();
  p.objective.dispose();
  p.optimizer.dispose();
  p.headOptimizer?.dispose();
}

const options = (runDir: string, extra: Partial<TrainerOptions> = {}): TrainerOptions => ({
  seed: 3,
  epochs: 3,
  batchSize: 12,
  runDir,
  checkpointEvery: 3,
  progress: false,
  ...extra,
});

/** The parts with NaN views at step index `at` (0-based), so that step's loss is NaN. */
function poisonedAt(p: TrainerParts, at: number): TrainerParts {
  return {
    ...p,
    views: (images: ImageBatch, rng) => {
      const [v1, v2] = p.views(images, rng);
      return rng.path.endsWith(`step-${at}`) ? [tf.mul(v1, NaN) as ImageBatch, v2] : [v1, v2];
    },
  };
}

describe('Trainer', () => {
  for (const scheme of ['joint', 'parametric'] as const) {
    it(`${scheme}: a resumed run repeats the uninterrupted run's losses exactly`, async () => {
      const full = parts(scheme);
      const fullDir = mkdtempSync(join(tmpdir(), 'selfsup-full-'));
      const uninterrupted = await new Trainer(full, options(fullDir)).fit();
      dispose(full);
      expect(uninterrupted.steps).toBe(12);
      expect(uninterrupted.losses.every(Number.isFinite)).toBe(true);

      const dir = mkdtempSync(join(tmpdir(), 'selfsup-resume-'));
      const first = parts(scheme);
      const cut = await new Trainer(first, options(dir, { maxSteps: 7 })).fit(); // checkpoints at 3 and 6, then 7 at the end
      dispose(first);
      expect(cut.losses).toEqual(uninterrupted.losses.slice(0, 7));

      const second = parts(scheme, 1234); // different init: the checkpoint must overwrite it all
      const resumed = await new Trainer(second, options(dir, { resume: true })).fit();
      dispose(second);
      expect(resumed.resumedFrom).toBe(7);
      expect(resumed.losses).toEqual(uninterrupted.losses.slice(7));
      // The log reads as one run.
      const logged = readMetrics(join(dir, 'metrics.jsonl')).filter((r) => r.kind === 'step');
      expect(logged.map((r) => r.loss)).toEqual(uninterrupted.losses);
    }, 120_000);
  }

  it('starts a fresh run in a used directory without mixing in the old log or checkpoints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'selfsup-reuse-'));
    const a = parts('joint');
    await new Trainer(a, options(dir, { maxSteps: 6 })).fit();
    dispose(a);
    const b = parts('joint');
    const second = await new Trainer(b, options(dir, { maxSteps: 2 })).fit();
    dispose(b);
    expect(readMetrics(join(dir, 'metrics.jsonl')).map((r) => r.step)).toEqual([1, 2]);
    const c = parts('joint');
    expect((await new Trainer(c, options(dir, { maxSteps: 3, resume: true })).fit()).resumedFrom).toBe(second.steps);
    dispose(c);
  }, 120_000);

  it('keeps the tensor count flat across epochs', async () => {
    const p = parts('parametric');
    const dir = mkdtempSync(join(tmpdir(), 'selfsup-flat-'));
    await new Trainer(p, options(dir, { epochs: 1 })).fit();
    const afterOne = tf.memory().numTensors;
    await new Trainer(p, options(dir, { epochs: 2, resume: true })).fit();
    expect(tf.memory().numTensors).toBe(afterOne);
    dispose(p);
  }, 120_000);

  it('stops on a non-finite loss with the step and the last finite values', async () => {
    const p = parts('joint');
    const poisoned = poisonedAt(p, 2); // the third step's views are NaN
    const dir = mkdtempSync(join(tmpdir(), 'selfsup-nan-'));
    const error = await new Trainer(poisoned, options(dir)).fit().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TrainingError);
    expect((error as TrainingError).code).toBe('TRAIN_NOT_FINITE');
    expect((error as Error).message).toMatch(/the loss became NaN at step 3 \(epoch 1\); the last finite loss was \d+\.\d+ at step 2/);
    expect((error as Error).message).toMatch(/lower optimizer\.lr/);
    dispose(p);
  });

  it('logEvery: reading the losses back every 5 steps gives the same losses, log and checkpoints', async () => {
    const every = mkdtempSync(join(tmpdir(), 'selfsup-log1-'));
    const a = parts('parametric');
    const eachStep = await new Trainer(a, options(every)).fit();
    dispose(a);
    const batched = mkdtempSync(join(tmpdir(), 'selfsup-log5-'));
    const b = parts('parametric');
    const fiveSteps = await new Trainer(b, options(batched, { logEvery: 5 })).fit();
    dispose(b);
    expect(fiveSteps.losses).toEqual(eachStep.losses);
    const strip = (dir: string) => readMetrics(join(dir, 'metrics.jsonl')).map(({ viewsPerSec: _v, msPerStep: _m, ...r }) => r);
    expect(strip(batched)).toEqual(strip(every));
    // Cut at step 7 (mid-window: its losses are read before the final checkpoint), then resumed.
    const cutDir = mkdtempSync(join(tmpdir(), 'selfsup-log5-cut-'));
    const c = parts('parametric');
    await new Trainer(c, options(cutDir, { logEvery: 5, maxSteps: 7 })).fit();
    dispose(c);
    const d = parts('parametric', 77);
    const resumed = await new Trainer(d, options(cutDir, { logEvery: 5, resume: true })).fit();
    dispose(d);
    expect(resumed.resumedFrom).toBe(7);
    expect(resumed.losses).toEqual(eachStep.losses.slice(7));
  }, 120_000);

  it('logEvery: a non-finite loss inside a window still stops the run before the next checkpoint', async () => {
    const p = parts('joint');
    const poisoned = poisonedAt(p, 4); // the fifth step's views are NaN
    const dir = mkdtempSync(join(tmpdir(), 'selfsup-nan-window-'));
    const error = await new Trainer(poisoned, options(dir, { logEvery: 10, checkpointEvery: 6 })).fit().catch((e: unknown) => e);
    expect((error as TrainingError).code).toBe('TRAIN_NOT_FINITE');
    expect((error as Error).message).toMatch(/the loss became NaN at step 5 \(epoch 2\); the last finite loss was \d+\.\d+ at step 4/);
    // Steps 5 and 6 were one window; it is read before the checkpoint of step 6, which is never written.
    expect(existsSync(join(dir, 'checkpoints'))).toBe(false);
    expect(readMetrics(join(dir, 'metrics.jsonl')).map((r) => r.step)).toEqual([1, 2, 3, 4]);
    dispose(p);
  });

  it('rejects a batch larger than the dataset and a resume without checkpoint', async () => {
    const p = parts('joint');
    expect(() => new Trainer(p, options('', { batchSize: 100 }))).toThrow(/batch size 100 does not fit a dataset of 48 images/);
    const empty = mkdtempSync(join(tmpdir(), 'selfsup-empty-'));
    await expect(new Trainer(p, options(empty, { resume: true })).fit()).rejects.toThrow(/found no checkpoint in .*checkpoints: start the run without --resume/);
    dispose(p);
  });
});
