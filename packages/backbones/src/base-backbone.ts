import * as tf from '@tensorflow/tfjs-core';
import { assertImageBatch, type ImageBatch } from '@selfsup/core';
import type { Backbone, ForwardOptions } from './contract';
import { BackboneError } from './errors';
import type { NormMode } from './layers';
import { VariableStore } from './variable-store';

export interface ForwardResult {
  features: tf.Tensor2D;
  taps: Record<string, tf.Tensor2D>;
}

/** Shared plumbing of our backbones: input checks, tidy, variables; subclasses define `forward`. */
export abstract class BaseBackbone implements Backbone {
  protected readonly store: VariableStore;
  abstract readonly featureDim: number;
  abstract readonly tapNames: readonly string[];

  constructor(
    readonly name: string,
    readonly inChannels: number,
  ) {
    this.store = new VariableStore(name);
  }

  /** Runs the network; called inside tf.tidy. */
  protected abstract forward(x: tf.Tensor4D, mode: NormMode): ForwardResult;

  apply(x: ImageBatch, options: ForwardOptions = {}): tf.Tensor2D {
    return this.run(x, options, 'apply', (r) => r.features);
  }

  taps(x: ImageBatch, options: ForwardOptions = {}): Record<string, tf.Tensor2D> {
    return this.run(x, options, 'taps', (r) => r.taps);
  }

  /** One forward in a tidy; running statistics are written only if all of it succeeded. */
  private run<T extends tf.TensorContainer>(x: ImageBatch, options: ForwardOptions, what: string, pick: (r: ForwardResult) => T): T {
    const mode = this.check(x, options, what);
    try {
      const out = tf.tidy(() => pick(this.forward(x, mode)));
      for (const { variable, value } of mode.updates) variable.assign(value);
      return out;
    } finally {
      tf.dispose(mode.updates.map((u) => u.value));
    }
  }

  countParams(): number {
    return this.store.countTrainable();
  }

  namedVariables(): Map<string, tf.Variable> {
    return this.store.named();
  }

  trainableVariables(): tf.Variable[] {
    return this.store.trainableVariables();
  }

  nonTrainableVariables(): tf.Variable[] {
    return this.store.nonTrainableVariables();
  }

  dispose(): void {
    this.store.dispose();
  }

  private check(x: tf.Tensor, options: ForwardOptions, what: string): NormMode {
    this.store.assertAlive(`${this.name}.${what}()`);
    assertImageBatch(x, `${this.name}.${what}() input`);
    if (x.shape[3] !== this.inChannels) {
      throw new BackboneError({
        code: 'BACKBONE_BAD_CHANNELS',
        problem: `${this.name}.${what}() got images with ${x.shape[3]} channels, expected ${this.inChannels}`,
        fix: `pass NHWC images with ${this.inChannels} channels, or build the backbone with inChannels: ${x.shape[3]}`,
      });
    }
    const training = options.training ?? false;
    return { training, updateStatistics: training && (options.updateStatistics ?? options.updateStats ?? true), updates: [] };
  }
}

/** Validates PyTorch-style batch-norm settings. */
export function checkBatchNorm(momentum: number, epsilon: number, owner: string): void {
  checkPositive(epsilon, 'bnEpsilon', owner);
  if (!(momentum >= 0 && momentum <= 1)) {
    throw new BackboneError({
      code: 'BACKBONE_BAD_OPTION',
      problem: `${owner} got bnMomentum = ${String(momentum)}`,
      fix: 'pass a PyTorch-style momentum in [0, 1] (0.1 is the default; Keras 0.9 corresponds to 0.1)',
    });
  }
}

export function checkPositive(value: number, what: string, owner: string): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new BackboneError({
      code: 'BACKBONE_BAD_OPTION',
      problem: `${owner} got ${what} = ${String(value)}`,
      fix: `pass a positive number for ${what}`,
    });
  }
}
