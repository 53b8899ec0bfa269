import * as tf from '@tensorflow/tfjs-core';
import type { ImageBatch, Optimizer, Rng } from '@selfsup/core';
import { createRng } from '@selfsup/core';
import type { Backbone } from '@selfsup/backbones';
import { contrastiveStep, type ContrastiveObjective } from '@selfsup/losses';
import { epochOrder } from '@selfsup/datasets';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { assignCheckpoint, type Checkpoint, type CheckpointTensor, checkpointNames, loadLatestCheckpoint, saveCheckpoint } from './checkpoint';
import { TrainingError } from './errors';
import type { MetricsRecord } from '@selfsup/eval/report';
import { MetricsLog } from './metrics';
import { ProgressBar } from './progress';

/** What the Trainer needs of a dataset: its size and float batches of given rows. */
export interface TrainingData {
  readonly size: number;
  toBatch(indices: ArrayLike<number>): { images: ImageBatch; labels: tf.Tensor1D };
}

/** Two augmented views of a batch, drawn from `rng` (e.g. `twoViews(simclrCifar())`). */
export type ViewMaker = (images: ImageBatch, rng: Rng) => [ImageBatch, ImageBatch];

/** Called at the end of an epoch; returns extra metrics (e.g. kNN accuracy) to log. */
export type EpochHook = (context: { epoch: number; step: number; backbone: Backbone }) =>
  | Promise<Record<string, number> | void>
  | Record<string, number>
  | void;

export interface TrainerParts {
  data: TrainingData;
  views: ViewMaker;
  backbone: Backbone;
  objective: ContrastiveObjective;
  /** Trains the backbone (and, for `joint`, the head). */
  optimizer: Optimizer;
  /** The parametric objective's own head optimizer, if it has state worth checkpointing. */
  headOptimizer?: Optimizer;
  onEpochEnd?: EpochHook[];
}

export interface TrainerOptions {
  seed: number;
  epochs: number;
  batchSize: number;
  /** GradCache chunk (views per backward pass); default: the whole batch at once. */
  chunkSize?: number;
  /** Stop after this many steps in total. */
  maxSteps?: number;
  /** Where metrics.jsonl and checkpoints/ go; nothing is written without it. */
  runDir?: string;
  checkpointEvery?: number;
  /**
   * Read the losses back from the device every N steps (default 1): each read is a sync, which
   * a GPU pays for. The losses of the steps between are kept on the device and checked (NaN/Inf)
   * at the next read, which also happens before every checkpoint, at epoch ends and on a stop.
   */
  logEvery?: number;
  /** Continue from the newest checkpoint in runDir/checkpoints. */
  resume?: boolean;
  /** Show the progress bar on stderr (default true). */
  progress?: boolean;
}

/** A step whose loss is still on the device. */
interface PendingStep {
  step: number;
  epoch: number;
  stepInEpoch: number;
  lr: number;
  loss: tf.Scalar;
  inner?: tf.Tensor;
}

export interface TrainSummary {
  steps: number;
  /** The loss of every step run in this call, in order. */
  losses: number[];
  /** Step the run resumed from (0 for a fresh run). */
  resumedFrom: number;
  interrupted: boolean;
  lastMetrics: Record<string, number>;
}

/**
 * The training loop: seeded epoch order, two views per image, a contrastive step, metrics,
 * checkpoints, NaN/Inf detection and SIGINT/SIGTERM handling. Every part is an object with a
 * small contract, so any of them can be the user's own.
 *
 * Exact resume: the data order is a function of (seed, epoch), the views of step s come from
 * `rng.fork('views').fork(s)`, and a checkpoint holds every variable (batch-norm statistics
 * included) and the optimizers' state — so a resumed run repeats the uninterrupted one's losses.
 */
export class Trainer {
  private stopRequested: NodeJS.Signals | undefined;

  constructor(readonly parts: TrainerParts, readonly options: TrainerOptions) {
    const { batchSize, epochs } = options;
    if (!Number.isInteger(batchSize) || batchSize < 2 || batchSize > parts.data.size) {
      throw new TrainingError({
        code: 'TRAIN_BAD_BATCH',
        problem: `batch size ${batchSize} does not fit a dataset of ${parts.data.size} images`,
        fix: 'use a batch size between 2 and the number of training images',
      });
    }
    if (!Number.isInteger(epochs) || epochs < 1) {
      throw new TrainingError({ code: 'TRAIN_BAD_EPOCHS', problem: `epochs is ${epochs}`, fix: 'train for at least 1 epoch' });
    }
  }

  get stepsPerEpoch(): number {
    return Math.floor(this.parts.data.size / this.options.batchSize);
  }

  get totalSteps(): number {
    const all = this.stepsPerEpoch * this.options.epochs;
    return Math.min(all, this.options.maxSteps ?? all);
  }

  async fit(): Promise<TrainSummary> {
    const { runDir, seed, batchSize, chunkSize, checkpointEvery = 50, logEvery = 1 } = this.options;
    const { data, views, backbone, objective, optimizer } = this.parts;
    const checkpointDir = runDir ? join(runDir, 'checkpoints') : undefined;
    const metrics = runDir ? new MetricsLog(join(runDir, 'metrics.jsonl')) : undefined;
    if (runDir) mkdirSync(runDir, { recursive: true });

    let step = 0;
    if (this.options.resume) {
      step = this.restoreLatest();
      metrics?.truncateAfter(step);
    } else {
      // A fresh run owns its directory: an earlier run's log and checkpoints would mix in.
      metrics?.truncateAfter(-1);
      if (checkpointDir) rmSync(checkpointDir, { recursive: true, force: true });
    }
    const resumedFrom = step;
    const viewRng = createRng(seed).fork('views');
    const losses: number[] = [];
    const progress = this.options.progress === false ? undefined : new ProgressBar(this.totalSteps);
    let lastFinite: { step: number; loss: number; lr: number } | undefined;
    let lastMetrics: Record<string, number> = {};
    const onSignal = (signal: NodeJS.Signals) => {
      this.stopRequested = signal;
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    // Steps whose losses are still on the device, and when the first of them started.
    const pending: PendingStep[] = [];
    let windowStart = 0;
    /** Reads the pending losses in one go, checks them, and logs one record per step. */
    const flush = async () => {
      if (pending.length === 0) return;
      try {
        const values = await Promise.all(pending.map(async (p) => [(await p.loss.data())[0], p.inner ? Array.from(await p.inner.data()) : undefined] as const));
        // With logEvery > 1 the steps of a window share its time: no step is timed on its own.
        const seconds = (performance.now() - windowStart) / 1000 / pending.length;
        for (const [k, p] of pending.entries()) {
          const [value, inner] = values[k];
          if (!Number.isFinite(value)) {
            progress?.stop();
            const last = lastFinite
              ? `the last finite loss was ${lastFinite.loss.toFixed(5)} at step ${lastFinite.step} (lr ${lastFinite.lr.toPrecision(3)})`
              : 'no step had a finite loss';
            throw new TrainingError({
              code: 'TRAIN_NOT_FINITE',
              problem: `the loss became ${value} at step ${p.step} (epoch ${p.epoch + 1}); ${last}`,
              fix: 'lower optimizer.lr (or add warm-up), check the input data for NaN; the newest checkpoint holds the last good weights',
            });
          }
          lastFinite = { step: p.step, loss: value, lr: p.lr };
          losses.push(value);
          const record: MetricsRecord = {
            kind: 'step',
            step: p.step,
            epoch: p.epoch,
            loss: value,
            lr: p.lr,
            viewsPerSec: (2 * batchSize) / seconds,
            msPerStep: seconds * 1000,
            ...(inner ? { headLossFirst: inner[0], headLossLast: inner[inner.length - 1] } : {}),
          };
          metrics?.append(record);
          progress?.update(
            { epoch: p.epoch, epochs: this.options.epochs, step: p.stepInEpoch, stepsPerEpoch: this.stepsPerEpoch, loss: value, lr: p.lr, viewsPerSec: record.viewsPerSec as number },
            p.step,
          );
        }
      } finally {
        tf.dispose(pending.flatMap((p) => (p.inner ? [p.loss, p.inner] : [p.loss])));
        pending.length = 0;
      }
    };
    const save = async () => {
      await flush(); // never checkpoint weights whose loss was not checked
      if (checkpointDir) await saveCheckpoint(checkpointDir, this.snapshot(step));
    };

    try {
      while (step < this.totalSteps) {
        const epoch = Math.floor(step / this.stepsPerEpoch);
        const order = epochOrder(data.size, seed, epoch);
        for (let i = step % this.stepsPerEpoch; i < this.stepsPerEpoch && step < this.totalSteps; i++) {
          if (pending.length === 0) windowStart = performance.now();
          const lr = optimizer.currentLearningRate();
          const { loss, innerLosses } = tf.tidy(() => {
            const { images } = data.toBatch(order.subarray(i * batchSize, (i + 1) * batchSize));
            const [v1, v2] = views(images, viewRng.fork(`step-${step}`));
            return contrastiveStep({ backbone, objective, optimizer }, v1, v2, chunkSize);
          });
          step++;
          pending.push({ step, epoch, stepInEpoch: i + 1, lr, loss, inner: innerLosses });
          if (step % logEvery === 0 || step === this.totalSteps || step % this.stepsPerEpoch === 0) await flush();
          if (step % checkpointEvery === 0) await save();
          // Let signal handlers run between steps.
          await new Promise((resolve) => setImmediate(resolve));
          if (this.stopRequested) {
            await save();
            progress?.stop();
            return { steps: step, losses, resumedFrom, interrupted: true, lastMetrics };
          }
        }
        if (step % this.stepsPerEpoch === 0) {
          for (const hook of this.parts.onEpochEnd ?? []) {
            const extra = await hook({ epoch, step, backbone });
            if (extra) {
              lastMetrics = { ...lastMetrics, ...extra };
              metrics?.append({ kind: 'eval', step, epoch, ...extra });
              progress?.log(`epoch ${epoch + 1}: ${Object.entries(extra).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`);
            }
          }
        }
      }
      progress?.stop();
      await save();
      return { steps: step, losses, resumedFrom, interrupted: false, lastMetrics };
    } finally {
      tf.dispose(pending.flatMap((p) => (p.inner ? [p.loss, p.inner] : [p.loss])));
      progress?.stop();
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }

  /** Loads the newest checkpoint of runDir into the model and optimizers; returns its step. */
  restoreLatest(): number {
    const dir = this.options.runDir ? join(this.options.runDir, 'checkpoints') : undefined;
    const checkpoint = dir ? loadLatestCheckpoint(dir) : undefined;
    if (!checkpoint) {
      throw new TrainingError({
        code: 'TRAIN_NOTHING_TO_RESUME',
        problem: `found no checkpoint in ${dir ?? '(no run directory)'}`,
        fix: 'start the run without --resume, or point --run-dir at the run to continue',
      });
    }
    this.restore(checkpoint);
    return checkpoint.step;
  }

  /** Every model variable under its checkpoint name (see `checkpointNames`). */
  private checkpointVariables(): Map<string, tf.Variable> {
    return checkpointNames(this.parts.backbone, this.parts.objective.head);
  }

  /** Every variable and optimizer state, under stable names. */
  private snapshot(step: number): Checkpoint {
    const tensors: Record<string, CheckpointTensor> = {};
    const put = (name: string, t: tf.Tensor) => {
      tensors[name] = {
        dtype: t.dtype === 'int32' ? 'int32' : 'float32',
        shape: t.shape,
        data: t.dtype === 'int32' ? (t.dataSync() as Int32Array) : (t.dataSync() as Float32Array),
      };
    };
    const variables = this.checkpointVariables();
    for (const [name, variable] of variables) put(name, variable);
    // Optimizers name their per-variable state after the same stable names.
    const names = new Map([...variables].map(([name, variable]) => [variable, name]));
    const meta: Record<string, unknown> = {};
    for (const [key, opt] of this.optimizers()) {
      const state = opt.state(names);
      try {
        meta[key] = state.meta;
        for (const [name, t] of Object.entries(state.tensors)) put(`${key}/${name}`, t);
      } finally {
        tf.dispose(Object.values(state.tensors));
      }
    }
    return { step, meta, tensors };
  }

  private restore(checkpoint: Checkpoint): void {
    const variables = this.checkpointVariables();
    assignCheckpoint(checkpoint, variables);
    const names = new Map([...variables].map(([name, variable]) => [variable, name]));
    for (const [key, opt] of this.optimizers()) {
      const prefix = `${key}/`;
      const tensors: Record<string, tf.Tensor> = {};
      for (const [name, t] of Object.entries(checkpoint.tensors)) {
        if (name.startsWith(prefix)) tensors[name.slice(prefix.length)] = tf.tensor(t.data, t.shape, t.dtype);
      }
      try {
        opt.loadState({ meta: checkpoint.meta[key] as Record<string, unknown>, tensors }, names);
      } finally {
        tf.dispose(Object.values(tensors));
      }
    }
  }

  private optimizers(): [string, Optimizer][] {
    const list: [string, Optimizer][] = [['optimizer', this.parts.optimizer]];
    if (this.parts.headOptimizer) list.push(['headOptimizer', this.parts.headOptimizer]);
    return list;
  }
}
