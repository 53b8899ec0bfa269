import * as tf from '@tensorflow/tfjs-core';
import { createRng, type Rng } from '@selfsup/core';
import { BaseBackbone, checkBatchNorm, checkPositive, type ForwardResult } from './base-backbone';
import { BackboneError } from './errors';
import {
  batchNorm,
  conv,
  createBatchNorm,
  createConv,
  globalAvgPool,
  relu,
  type BatchNorm,
  type BatchNormConfig,
  type Conv,
  type NormMode,
} from './layers';
import type { CustomResNetSpec, StandardResNetSpec } from './spec';
import type { VariableStore } from './variable-store';

export interface ResNetOptions {
  /**
   * `'cifar'`: 3×3 stride-1 conv, no max-pool (32×32 inputs). `'imagenet'`: torchvision's
   * 7×7 stride-2 conv + 3×3 stride-2 max-pool.
   */
  stem: 'cifar' | 'imagenet';
  /** Channel multiplier: stage widths are round(64·width), round(128·width), ... (default 1). */
  width?: number;
  /** Zero the γ of each block's last BN so every residual block starts as the identity (default false). */
  zeroInitResidual?: boolean;
  /** PyTorch batch-norm momentum (default 0.1; tfjs/Keras momentum = 1 − this). */
  bnMomentum?: number;
  /** Batch-norm epsilon (default 1e-5). */
  bnEpsilon?: number;
  /** Input channels (default 3). */
  inChannels?: number;
  /** Source of the initialisation (default `createRng(0)`). */
  rng?: Rng;
}

export type BlockKind = 'basic' | 'bottleneck';

export interface ResNetArchitecture {
  block: BlockKind;
  /** Blocks per stage, e.g. [2, 2, 2, 2] for ResNet-18. */
  layers: readonly [number, number, number, number];
}

interface Block {
  convs: Conv[];
  bns: BatchNorm[];
  downsample?: { conv: Conv; bn: BatchNorm };
}

const EXPANSION: Record<BlockKind, number> = { basic: 1, bottleneck: 4 };

/** torchvision's layouts of the standard ResNets. */
export const STANDARD_RESNETS: Readonly<Record<StandardResNetSpec['kind'], ResNetArchitecture>> = {
  resnet18: { block: 'basic', layers: [2, 2, 2, 2] },
  resnet34: { block: 'basic', layers: [3, 4, 6, 3] },
  resnet50: { block: 'bottleneck', layers: [3, 4, 6, 3] },
};

/**
 * A torchvision ResNet without its classifier (`fc = Identity`), with the same parameter names
 * (`layer2.0.downsample.0.weight`) and the same v1.5 layout (stride on the bottleneck's 3×3).
 */
export class ResNet extends BaseBackbone {
  readonly featureDim: number;
  readonly tapNames = ['layer1', 'layer2', 'layer3', 'layer4'] as const;
  readonly architecture: ResNetArchitecture;
  readonly options: Required<Omit<ResNetOptions, 'rng'>>;
  private readonly stemConv: Conv;
  private readonly stemBn: BatchNorm;
  private readonly stages: Block[][];

  constructor(name: string, architecture: ResNetArchitecture, options: ResNetOptions) {
    super(name, options.inChannels ?? 3);
    const { block, layers } = architecture;
    const opts = {
      stem: options.stem,
      width: options.width ?? 1,
      zeroInitResidual: options.zeroInitResidual ?? false,
      bnMomentum: options.bnMomentum ?? 0.1,
      bnEpsilon: options.bnEpsilon ?? 1e-5,
      inChannels: this.inChannels,
    };
    validate(name, architecture, opts);
    this.architecture = { block, layers: [...layers] };
    this.options = opts;
    const rng = (options.rng ?? createRng(0)).fork(name);
    const bnConfig: BatchNormConfig = { momentum: opts.bnMomentum, epsilon: opts.bnEpsilon };
    const expansion = EXPANSION[block];

    try {
      let inplanes = Math.round(64 * opts.width);
      const stemKernel = opts.stem === 'cifar' ? 3 : 7;
      this.stemConv = createConv(this.store, rng, 'conv1', this.inChannels, inplanes, stemKernel, opts.stem === 'cifar' ? 1 : 2);
      this.stemBn = createBatchNorm(this.store, 'bn1', inplanes, bnConfig);
      this.stages = layers.map((count, s) => {
        const planes = Math.round(64 * 2 ** s * opts.width);
        const blocks: Block[] = [];
        for (let b = 0; b < count; b++) {
          const stride = b === 0 && s > 0 ? 2 : 1;
          const prefix = `layer${s + 1}.${b}`;
          const made =
            block === 'basic'
              ? basicBlock(this.store, rng, prefix, inplanes, planes, stride, bnConfig, opts.zeroInitResidual)
              : bottleneck(this.store, rng, prefix, inplanes, planes, stride, bnConfig, opts.zeroInitResidual);
          if (stride !== 1 || inplanes !== planes * expansion) {
            made.downsample = {
              conv: createConv(this.store, rng, `${prefix}.downsample.0`, inplanes, planes * expansion, 1, stride),
              bn: createBatchNorm(this.store, `${prefix}.downsample.1`, planes * expansion, bnConfig),
            };
          }
          blocks.push(made);
          inplanes = planes * expansion;
        }
        return blocks;
      });
      this.featureDim = inplanes;
    } catch (error) {
      this.store.dispose();
      throw error;
    }
  }

  protected forward(x: tf.Tensor4D, mode: NormMode): ForwardResult {
    let h = relu(batchNorm(conv(x, this.stemConv), this.stemBn, mode));
    // After a ReLU, PyTorch's max-pool padding (−∞) and tfjs' symmetric padding agree.
    if (this.options.stem === 'imagenet') h = tf.maxPool(h, 3, 2, 1);
    const taps: Record<string, tf.Tensor2D> = {};
    this.stages.forEach((blocks, s) => {
      for (const block of blocks) h = runBlock(h, block, mode);
      taps[this.tapNames[s]] = globalAvgPool(h);
    });
    return { features: taps.layer4, taps };
  }

  /**
   * Kind and constructor options (never the rng), as `saveWeights` records them:
   * `{ kind: 'resnet18', stem, width, zeroInitResidual, bnMomentum, bnEpsilon, inChannels }`, or
   * `kind: 'resnet'` with `block`, `layers` and `name` for a ResNet built with `resnet({...})`.
   */
  get spec(): StandardResNetSpec | CustomResNetSpec {
    const { stem, width, zeroInitResidual, bnMomentum, bnEpsilon, inChannels } = this.options;
    const options = { stem, width, zeroInitResidual, bnMomentum, bnEpsilon, inChannels };
    const { block, layers } = this.architecture;
    const standard = Object.hasOwn(STANDARD_RESNETS, this.name) ? STANDARD_RESNETS[this.name as StandardResNetSpec['kind']] : undefined;
    if (standard && standard.block === block && standard.layers.join() === layers.join()) {
      return { kind: this.name as StandardResNetSpec['kind'], ...options };
    }
    return { kind: 'resnet', block, layers: [...layers], name: this.name, ...options };
  }
}

function basicBlock(
  store: VariableStore,
  rng: Rng,
  prefix: string,
  inplanes: number,
  planes: number,
  stride: number,
  bn: BatchNormConfig,
  zeroInit: boolean,
): Block {
  return {
    convs: [
      createConv(store, rng, `${prefix}.conv1`, inplanes, planes, 3, stride),
      createConv(store, rng, `${prefix}.conv2`, planes, planes, 3, 1),
    ],
    bns: [createBatchNorm(store, `${prefix}.bn1`, planes, bn), createBatchNorm(store, `${prefix}.bn2`, planes, bn, zeroInit)],
  };
}

function bottleneck(
  store: VariableStore,
  rng: Rng,
  prefix: string,
  inplanes: number,
  planes: number,
  stride: number,
  bn: BatchNormConfig,
  zeroInit: boolean,
): Block {
  const out = planes * EXPANSION.bottleneck;
  return {
    convs: [
      createConv(store, rng, `${prefix}.conv1`, inplanes, planes, 1, 1),
      createConv(store, rng, `${prefix}.conv2`, planes, planes, 3, stride),
      createConv(store, rng, `${prefix}.conv3`, planes, out, 1, 1),
    ],
    bns: [
      createBatchNorm(store, `${prefix}.bn1`, planes, bn),
      createBatchNorm(store, `${prefix}.bn2`, planes, bn),
      createBatchNorm(store, `${prefix}.bn3`, out, bn, zeroInit),
    ],
  };
}

function runBlock(x: tf.Tensor4D, block: Block, mode: NormMode): tf.Tensor4D {
  let h = x;
  const last = block.convs.length - 1;
  block.convs.forEach((c, i) => {
    h = batchNorm(conv(h, c), block.bns[i], mode);
    if (i < last) h = relu(h);
  });
  const identity = block.downsample ? batchNorm(conv(x, block.downsample.conv), block.downsample.bn, mode) : x;
  return relu(tf.add(h, identity));
}

function validate(name: string, arch: ResNetArchitecture, opts: Required<Omit<ResNetOptions, 'rng'>>): void {
  if (opts.stem !== 'cifar' && opts.stem !== 'imagenet') {
    throw new BackboneError({
      code: 'BACKBONE_BAD_OPTION',
      problem: `${name} got stem ${JSON.stringify(opts.stem)}`,
      fix: "pass stem: 'cifar' (3×3 stride-1, no max-pool; for 32×32 images) or 'imagenet' (7×7 stride-2 + max-pool)",
    });
  }
  checkPositive(opts.width, 'width', name);
  checkBatchNorm(opts.bnMomentum, opts.bnEpsilon, name);
  if (Math.round(64 * opts.width) < 1) {
    throw new BackboneError({
      code: 'BACKBONE_BAD_OPTION',
      problem: `${name} with width ${opts.width} has round(64·width) = 0 channels`,
      fix: 'pass width ≥ 1/128',
    });
  }
  if (arch.layers.length !== 4 || arch.layers.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new BackboneError({
      code: 'BACKBONE_BAD_OPTION',
      problem: `${name} got layers [${arch.layers.join(', ')}]`,
      fix: 'pass four positive integers, the number of blocks per stage, e.g. [2, 2, 2, 2]',
    });
  }
}

/** Any torchvision-layout ResNet: `resnet({ block: 'basic', layers: [1, 1, 1, 1], stem: 'cifar' })`. */
export function resnet(options: ResNetOptions & ResNetArchitecture & { name?: string }): ResNet {
  const { block, layers, name, ...rest } = options;
  return new ResNet(name ?? 'resnet', { block, layers }, rest);
}

/** ResNet-18 (BasicBlock, [2, 2, 2, 2]); featureDim 512·width. */
export function resnet18(options: ResNetOptions): ResNet {
  return new ResNet('resnet18', STANDARD_RESNETS.resnet18, options);
}

/** ResNet-34 (BasicBlock, [3, 4, 6, 3]); featureDim 512·width. */
export function resnet34(options: ResNetOptions): ResNet {
  return new ResNet('resnet34', STANDARD_RESNETS.resnet34, options);
}

/** ResNet-50 (Bottleneck, [3, 4, 6, 3]); featureDim 2048·width. */
export function resnet50(options: ResNetOptions): ResNet {
  return new ResNet('resnet50', STANDARD_RESNETS.resnet50, options);
}
