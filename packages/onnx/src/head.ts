import type * as tf from '@tensorflow/tfjs-core';
import { OnnxError } from './errors';
import { float, type GraphBuilder } from './graph-builder';

/**
 * One layer of an MLP projection head, in order: `z = x·kernel + bias`, then batch norm (eval
 * mode, running statistics) if given, then ReLU if `relu`.
 */
export interface OnnxDenseLayer {
  /** `[in, out]` (z = x·kernel + bias). */
  kernel: tf.Tensor2D;
  /** `[out]`; absent: no bias. */
  bias?: tf.Tensor1D;
  /** Batch norm after the linear map, each `[out]`; `gamma`/`beta` absent: non-affine (γ = 1, β = 0). */
  batchNorm?: {
    runningMean: tf.Tensor1D;
    runningVar: tf.Tensor1D;
    epsilon: number;
    gamma?: tf.Tensor1D;
    beta?: tf.Tensor1D;
  };
  /** ReLU after the linear map (and the batch norm, if any). */
  relu: boolean;
}

/** A head layer's values as read from tfjs. */
interface LayerData {
  kernel: Float32Array;
  in: number;
  out: number;
  bias?: Float32Array;
  batchNorm?: { mean: Float32Array; variance: Float32Array; epsilon: number; gamma?: Float32Array; beta?: Float32Array };
  relu: boolean;
}

/**
 * Checks a projection head against the features it reads (`featureDim` wide) before anything is
 * read: a non-empty array of layers, each a float32 `[in, out]` kernel whose `in` is the width
 * before it, `[out]` vectors, a positive epsilon, a boolean `relu`. Throws `ONNX_BAD_HEAD`.
 */
export function checkHead(head: unknown, featureDim: number): readonly OnnxDenseLayer[] {
  const bad = (problem: string, fix: string) => new OnnxError({ code: 'ONNX_BAD_HEAD', problem: `exportOnnx() got a head ${problem}`, fix });
  if (!Array.isArray(head) || head.length === 0) {
    throw bad(`of ${Array.isArray(head) ? 'no layers' : JSON.stringify(typeof head)}`, 'pass an array of one OnnxDenseLayer per linear layer, or leave head out');
  }
  let width = featureDim;
  head.forEach((layer: unknown, i) => {
    const at = `head[${i}]`;
    if (typeof layer !== 'object' || layer === null) throw bad(`whose ${at} is ${JSON.stringify(layer)}`, 'pass { kernel, bias?, batchNorm?, relu } objects');
    const l = layer as Partial<Record<keyof OnnxDenseLayer, unknown>>;
    const tensor = (value: unknown, what: string, shape: number[]) => {
      const t = value as Partial<tf.Tensor> | null;
      if (typeof t !== 'object' || t === null || !Array.isArray(t.shape) || typeof t.data !== 'function') {
        throw bad(`whose ${what} is not a tensor`, `pass a float32 tf.Tensor of shape [${shape.join(', ')}]`);
      }
      if (t.isDisposed) throw bad(`whose ${what} is disposed`, 'export before disposing the head');
      const fits = t.dtype === 'float32' && t.shape.length === shape.length && t.shape.every((d, k) => shape[k] < 0 || d === shape[k]);
      if (!fits) {
        throw bad(
          `whose ${what} is ${t.dtype} [${t.shape.join(', ')}], not float32 [${shape.map((d) => (d < 0 ? '*' : d)).join(', ')}]`,
          i === 0 && what.endsWith('kernel') && t.shape.length === 2 && t.shape[0] !== featureDim
            ? `the first kernel reads the backbone's ${featureDim} features: give it shape [${featureDim}, out]`
            : 'give each kernel shape [in, out] with in = the width before it, and each vector shape [out]',
        );
      }
      return t.shape as number[];
    };
    const out = tensor(l.kernel, `${at}.kernel`, [width, -1])[1];
    if (l.bias !== undefined) tensor(l.bias, `${at}.bias`, [out]);
    if (l.batchNorm !== undefined) {
      const bn = l.batchNorm as Partial<Record<keyof NonNullable<OnnxDenseLayer['batchNorm']>, unknown>> | null;
      if (typeof bn !== 'object' || bn === null) throw bad(`whose ${at}.batchNorm is ${JSON.stringify(bn)}`, 'pass { runningMean, runningVar, epsilon, gamma?, beta? }');
      tensor(bn.runningMean, `${at}.batchNorm.runningMean`, [out]);
      tensor(bn.runningVar, `${at}.batchNorm.runningVar`, [out]);
      if (bn.gamma !== undefined) tensor(bn.gamma, `${at}.batchNorm.gamma`, [out]);
      if (bn.beta !== undefined) tensor(bn.beta, `${at}.batchNorm.beta`, [out]);
      if (typeof bn.epsilon !== 'number' || !Number.isFinite(bn.epsilon) || bn.epsilon <= 0) {
        throw bad(`whose ${at}.batchNorm.epsilon is ${JSON.stringify(bn.epsilon)}`, 'pass the batch norm epsilon, a positive number (e.g. 1e-5)');
      }
    }
    if (typeof l.relu !== 'boolean') throw bad(`whose ${at}.relu is ${JSON.stringify(l.relu)}`, 'say relu: true or relu: false for every layer');
    width = out;
  });
  return head as readonly OnnxDenseLayer[];
}

/** Reads a checked head's tensors. */
export async function readHead(head: readonly OnnxDenseLayer[]): Promise<LayerData[]> {
  const read = async (t: tf.Tensor | undefined) => (t ? ((await t.data()) as Float32Array) : undefined);
  return Promise.all(
    head.map(async ({ kernel, bias, batchNorm, relu }) => {
      const [k, b] = await Promise.all([read(kernel), read(bias)]);
      const layer: LayerData = { kernel: k as Float32Array, in: kernel.shape[0], out: kernel.shape[1], bias: b, relu };
      if (batchNorm) {
        const [mean, variance, gamma, beta] = await Promise.all(
          [batchNorm.runningMean, batchNorm.runningVar, batchNorm.gamma, batchNorm.beta].map(read),
        );
        layer.batchNorm = { mean: mean as Float32Array, variance: variance as Float32Array, epsilon: batchNorm.epsilon, gamma, beta };
      }
      return layer;
    }),
  );
}

/**
 * Emits the head after `input` (`[batch, in]`): per layer Gemm, BatchNormalization, Relu, with
 * initializers `head.<i>.kernel`, `head.<i>.bias`, `head.<i>.bn.{weight,bias,running_mean,running_var}`.
 * The last node's output is named `output`.
 */
export function emitHead(g: GraphBuilder, input: string, layers: readonly LayerData[], output: string): void {
  let x = input;
  layers.forEach((layer, i) => {
    const p = `head.${i}`;
    const steps = 1 + (layer.batchNorm ? 1 : 0) + (layer.relu ? 1 : 0);
    let step = 0;
    const next = (name: string) => (++step === steps && i === layers.length - 1 ? output : name);
    const inputs = [x, g.constant(`${p}.kernel`, [layer.in, layer.out], layer.kernel)];
    if (layer.bias) inputs.push(g.constant(`${p}.bias`, [layer.out], layer.bias));
    x = g.node('Gemm', inputs, next(`${p}.linear`));
    if (layer.batchNorm) {
      const { mean, variance, epsilon, gamma, beta } = layer.batchNorm;
      const params = [
        g.constant(`${p}.bn.weight`, [layer.out], gamma ?? new Float32Array(layer.out).fill(1)),
        g.constant(`${p}.bn.bias`, [layer.out], beta ?? new Float32Array(layer.out)),
        g.constant(`${p}.bn.running_mean`, [layer.out], mean),
        g.constant(`${p}.bn.running_var`, [layer.out], variance),
      ];
      x = g.node('BatchNormalization', [x, ...params], next(`${p}.bn`), [float('epsilon', epsilon)]);
    }
    if (layer.relu) x = g.node('Relu', [x], next(`${p}.relu`));
  });
}
