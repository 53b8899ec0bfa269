import * as tf from '@tensorflow/tfjs-core';
import { createRng, type Rng } from '@selfsup/core';
import { BaseBackbone, checkBatchNorm, type ForwardResult } from './base-backbone';
import { BackboneError } from './errors';
import {
  batchNorm,
  conv,
  createBatchNorm,
  createConv,
  globalAvgPool,
  relu,
  type BatchNorm,
  type Conv,
  type NormMode,
} from './layers';
import type { SmallConvnetSpec } from './spec';

export interface SmallConvnetOptions {
  /** Output channels of each stage (default [16, 32, 64]). */
  widths?: number[];
  /** PyTorch batch-norm momentum (default 0.1). */
  bnMomentum?: number;
  /** Batch-norm epsilon (default 1e-5). */
  bnEpsilon?: number;
  /** Input channels (default 3). */
  inChannels?: number;
  /** Source of the initialisation (default `createRng(0)`). */
  rng?: Rng;
}

/**
 * A small fast convnet with the same contract as the ResNets: per stage a 3×3 conv, BN, ReLU
 * and (except after the last stage) a 2×2 max-pool; then a global average pool. Parameter
 * names follow PyTorch's `nn.Sequential` style: `stage1.conv.weight`, `stage1.bn.running_mean`.
 */
export class SmallConvnet extends BaseBackbone {
  readonly featureDim: number;
  readonly tapNames: readonly string[];
  readonly widths: readonly number[];
  private readonly stages: { conv: Conv; bn: BatchNorm }[];
  private readonly bnConfig: { momentum: number; epsilon: number };

  constructor(options: SmallConvnetOptions = {}) {
    super('smallConvnet', options.inChannels ?? 3);
    const widths = options.widths ?? [16, 32, 64];
    if (widths.length === 0 || widths.some((w) => !Number.isInteger(w) || w < 1)) {
      throw new BackboneError({
        code: 'BACKBONE_BAD_OPTION',
        problem: `smallConvnet got widths [${widths.join(', ')}]`,
        fix: 'pass one positive integer channel count per stage, e.g. widths: [16, 32, 64]',
      });
    }
    const bnConfig = { momentum: options.bnMomentum ?? 0.1, epsilon: options.bnEpsilon ?? 1e-5 };
    checkBatchNorm(bnConfig.momentum, bnConfig.epsilon, 'smallConvnet');
    const rng = (options.rng ?? createRng(0)).fork('smallConvnet');
    this.widths = [...widths];
    this.bnConfig = bnConfig;
    this.tapNames = widths.map((_, i) => `stage${i + 1}`);
    let inChannels = this.inChannels;
    this.stages = widths.map((w, i) => {
      const stage = {
        conv: createConv(this.store, rng, `stage${i + 1}.conv`, inChannels, w, 3, 1),
        bn: createBatchNorm(this.store, `stage${i + 1}.bn`, w, bnConfig),
      };
      inChannels = w;
      return stage;
    });
    this.featureDim = inChannels;
  }

  protected forward(x: tf.Tensor4D, mode: NormMode): ForwardResult {
    let h = x;
    const taps: Record<string, tf.Tensor2D> = {};
    this.stages.forEach((stage, i) => {
      h = relu(batchNorm(conv(h, stage.conv), stage.bn, mode));
      taps[this.tapNames[i]] = globalAvgPool(h);
      if (i < this.stages.length - 1) h = tf.maxPool(h, 2, 2, 'valid');
    });
    return { features: taps[this.tapNames[this.tapNames.length - 1]], taps };
  }

  /**
   * Kind and constructor options (never the rng), as `saveWeights` records them:
   * `{ kind: 'small-convnet', widths, bnMomentum, bnEpsilon, inChannels }`.
   */
  get spec(): SmallConvnetSpec {
    const { momentum, epsilon } = this.bnConfig;
    return { kind: 'small-convnet', widths: [...this.widths], bnMomentum: momentum, bnEpsilon: epsilon, inChannels: this.inChannels };
  }
}

/** A small fast convnet for tests, browsers and quick runs: `smallConvnet({ widths: [16, 32] })`. */
export function smallConvnet(options: SmallConvnetOptions = {}): SmallConvnet {
  return new SmallConvnet(options);
}
