import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@selfsup/core';
import { stopGradient } from '../detach';
import { LossError } from '../errors';
import { batchNorm, type BatchNormState } from './batch-norm';
import { torchLinearInit } from './init';
import { uniqueScope } from './scope';
import type { HeadApplyOptions, ProjectionHead } from './types';

export interface MlpHeadOptions {
  /** Widths [in, hidden..., out]: [512, 2048, 128] is SimCLR v1's head on a ResNet-18. */
  dims: number[];
  /** Stream for the initial parameters and every `reset()`. */
  rng: Rng;
  /** Linear → BatchNorm (affine) → ReLU in every hidden layer (SimCLR v2). Default false. */
  batchNorm?: boolean;
  /** BatchNorm without affine parameters after the last Linear (SimCLR v2-like). Default false. */
  outputBatchNorm?: boolean;
  /** Biases in the Linear layers. Default true. */
  bias?: boolean;
  /** Batch-norm momentum (torch convention: weight of the new batch). Default 0.1. */
  bnMomentum?: number;
  /** @deprecated The old name of `bnMomentum` (docs/naming.md). */
  momentum?: number;
  /** Batch-norm ε. Default 1e-5. */
  bnEpsilon?: number;
  /** @deprecated The old name of `bnEpsilon`. */
  epsilon?: number;
  /** Variable-name scope; made unique if taken. */
  name?: string;
}

/** One layer of an `mlpHead`, in order: z = x·kernel + bias → batch norm → ReLU (each if present). */
export interface MlpLayerParams {
  /** `[in, out]`. */
  kernel: tf.Variable<tf.Rank.R2>;
  bias?: tf.Variable<tf.Rank.R1>;
  /** Batch norm after the Linear; no gamma/beta on the non-affine output batch norm. */
  batchNorm?: { runningMean: tf.Variable<tf.Rank.R1>; runningVar: tf.Variable<tf.Rank.R1>; epsilon: number; gamma?: tf.Variable<tf.Rank.R1>; beta?: tf.Variable<tf.Rank.R1> };
  relu: boolean;
}

/** An `mlpHead`: a `ProjectionHead` whose layers can be read out, e.g. to export them to ONNX. */
export interface MlpHead extends ProjectionHead {
  /** The live variables of every layer (not copies: do not dispose them). */
  denseLayers(): MlpLayerParams[];
}

interface Layer {
  kernel: tf.Variable;
  bias: tf.Variable | null;
  bn: (BatchNormState & { gamma: tf.Variable | null; beta: tf.Variable | null }) | null;
}

/**
 * Multilayer perceptron head. Hidden layers: Linear [→ BN] → ReLU; the last layer: Linear
 * [→ BN without affine]. Shapes covered: SimCLR v1 (`{ dims: [d, d, k] }`), SimCLR v2
 * (`{ dims: [d, d, d, k], batchNorm: true, outputBatchNorm: true, bias: false }`), and a
 * linear head (`{ dims: [d, k] }`). Linear weights and biases start as torch's nn.Linear.
 */
export function mlpHead(options: MlpHeadOptions): MlpHead {
  const { dims, rng } = options ?? ({} as MlpHeadOptions);
  if (!Array.isArray(dims) || dims.length < 2 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw new LossError({
      code: 'HEAD_BAD_DIMS',
      problem: `mlpHead() got dims ${JSON.stringify(dims)}`,
      fix: 'pass dims as [inputDim, hidden..., outputDim] of positive integers, e.g. { dims: [512, 2048, 128] }',
    });
  }
  if (rng == null || typeof rng.fork !== 'function') {
    throw new LossError({
      code: 'HEAD_NO_RNG',
      problem: 'mlpHead() got no rng',
      fix: "pass the seeded stream for its initialisation, e.g. { rng: createRng(seed).fork('head') }",
    });
  }
  const useBias = options.bias ?? true;
  const hiddenBn = options.batchNorm ?? false;
  const outputBn = options.outputBatchNorm ?? false;
  const momentum = options.bnMomentum ?? options.momentum ?? 0.1;
  const epsilon = options.bnEpsilon ?? options.epsilon ?? 1e-5;
  const name = uniqueScope('mlp', options.name);
  const initRng = rng.fork('init');

  const layers: Layer[] = [];
  for (let l = 0; l + 1 < dims.length; l++) {
    const [fanIn, fanOut] = [dims[l], dims[l + 1]];
    const last = l + 2 === dims.length;
    const scope = `${name}/layer${l}`;
    // Placeholders (tidy frees them; variables are kept); reset() draws the real values.
    const variable = (shape: number[], trainable: boolean, suffix: string) =>
      tf.tidy(() => tf.variable(tf.zeros(shape), trainable, `${scope}/${suffix}`));
    const withBn = last ? outputBn : hiddenBn;
    layers.push({
      kernel: variable([fanIn, fanOut], true, 'kernel'),
      bias: useBias ? variable([fanOut], true, 'bias') : null,
      bn: withBn
        ? {
            gamma: last ? null : variable([fanOut], true, 'bn/gamma'),
            beta: last ? null : variable([fanOut], true, 'bn/beta'),
            runningMean: variable([fanOut], false, 'bn/running_mean'),
            runningVar: variable([fanOut], false, 'bn/running_var'),
          }
        : null,
    });
  }

  const trainable = layers.flatMap((layer) =>
    [layer.kernel, layer.bias, layer.bn?.gamma ?? null, layer.bn?.beta ?? null].filter((v): v is tf.Variable => v !== null),
  );
  const nonTrainable = layers.flatMap((layer) => (layer.bn ? [layer.bn.runningMean, layer.bn.runningVar] : []));

  function reset(): void {
    tf.tidy(() => {
      for (const layer of layers) {
        const [fanIn, fanOut] = layer.kernel.shape;
        const { kernel, bias } = torchLinearInit(initRng, fanIn, fanOut);
        layer.kernel.assign(tf.tensor2d(kernel, [fanIn, fanOut]));
        layer.bias?.assign(tf.tensor1d(bias));
        if (layer.bn) {
          layer.bn.gamma?.assign(tf.ones([fanOut]));
          layer.bn.beta?.assign(tf.zeros([fanOut]));
          layer.bn.runningMean.assign(tf.zeros([fanOut]));
          layer.bn.runningVar.assign(tf.ones([fanOut]));
        }
      }
    });
  }
  reset();

  function forward(h: tf.Tensor2D, applyOptions: HeadApplyOptions = {}): tf.Tensor2D[] {
    if (h.rank !== 2 || h.shape[1] !== dims[0]) {
      throw new LossError({
        code: 'HEAD_BAD_INPUT',
        problem: `${name} expects h of shape [batch, ${dims[0]}], got [${h.shape.join(', ')}]`,
        fix: `pass backbone features with ${dims[0]} columns, or build the head with dims[0] = ${h.shape[1]}`,
      });
    }
    const training = applyOptions.training ?? false;
    const update = applyOptions.updateStatistics ?? training;
    const read = (v: tf.Variable): tf.Tensor => (applyOptions.frozen ? stopGradient(v) : v);
    const outputs: tf.Tensor2D[] = [];
    let x = h;
    layers.forEach((layer, l) => {
      const last = l + 1 === layers.length;
      x = tf.matMul(x, read(layer.kernel) as tf.Tensor2D);
      if (layer.bias) x = tf.add(x, read(layer.bias));
      if (layer.bn) {
        const affine = layer.bn.gamma && layer.bn.beta ? { gamma: read(layer.bn.gamma), beta: read(layer.bn.beta) } : null;
        x = batchNorm(x, layer.bn, affine, { training, update, momentum: applyOptions.statisticsMomentum ?? momentum, epsilon });
      }
      if (!last) x = tf.relu(x);
      outputs.push(x);
    });
    return outputs;
  }

  return {
    name,
    apply: (h, applyOptions) => tf.tidy(() => forward(h, applyOptions).at(-1) as tf.Tensor2D),
    layers: (h, applyOptions) => tf.tidy(() => forward(h, applyOptions)),
    reset,
    denseLayers: () =>
      layers.map((layer, l): MlpLayerParams => {
        // The variables were made with these ranks; tf.variable() does not carry them.
        const r1 = (v: tf.Variable) => v as tf.Variable<tf.Rank.R1>;
        const { bias, bn } = layer;
        return {
          kernel: layer.kernel as tf.Variable<tf.Rank.R2>,
          ...(bias ? { bias: r1(bias) } : {}),
          ...(bn
            ? {
                batchNorm: {
                  runningMean: r1(bn.runningMean),
                  runningVar: r1(bn.runningVar),
                  epsilon,
                  ...(bn.gamma && bn.beta ? { gamma: r1(bn.gamma), beta: r1(bn.beta) } : {}),
                },
              }
            : {}),
          relu: l + 1 < layers.length,
        };
      }),
    trainableVariables: () => [...trainable],
    nonTrainableVariables: () => [...nonTrainable],
    dispose: () => [...trainable, ...nonTrainable].forEach((v) => v.dispose()),
  };
}

export interface LinearHeadOptions {
  inputDim: number;
  outputDim: number;
  rng: Rng;
  bias?: boolean;
  name?: string;
}

/** One Linear layer, z = hW + b (initialised as torch's nn.Linear). */
export function linearHead({ inputDim, outputDim, rng, bias = true, name }: LinearHeadOptions): MlpHead {
  return mlpHead({ dims: [inputDim, outputDim], rng, bias, name: name ?? uniqueScope('linear') });
}
