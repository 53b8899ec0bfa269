import * as tf from '@tensorflow/tfjs-core';
import { encodeSafetensors, type SafetensorsInput } from '@selfsup/core';
import type { Backbone } from '../contract';
import { BackboneError } from '../errors';
import type { BackboneSpec } from '../spec';

export interface TorchExportOptions {
  /**
   * Refuse a ResNet that torchvision cannot build (default true). `false` writes the state dict
   * anyway, for a PyTorch module of your own with the same names and shapes.
   */
  torchvision?: boolean;
  /** More safetensors metadata (string values); the backbone's spec is recorded as `selfsup_spec`. */
  metadata?: Record<string, string>;
}

/**
 * The backbone's weights as a PyTorch `state_dict` in safetensors: PyTorch names, conv weights
 * OIHW, and a `num_batches_tracked` (int64, 0) beside each batch norm, as `load_state_dict`
 * with `strict=True` expects. The inverse of `importTorchWeights`. Reads every variable once;
 * changes nothing. Our ResNets load into `torchvision.models.resnet18/34/50` (the CIFAR stem
 * after the documented change), the small convnet into `SmallConvnet` of
 * `python/selfsup_backbones.py`; a ResNet torchvision cannot build (width ≠ 1, other input
 * channels) throws `TORCH_EXPORT_UNSUPPORTED`.
 */
export function exportTorchWeights(backbone: Backbone, options: TorchExportOptions = {}): Uint8Array {
  const staged = stageTorchLayout(backbone, options);
  try {
    return encodeStateDict(backbone, staged.map(([name, values]) => [name, values.shape, values.dataSync() as Float32Array]), options);
  } finally {
    tf.dispose(staged.map(([, values]) => values));
  }
}

/**
 * `exportTorchWeights` reading the weights asynchronously (`await data()`): no synchronous
 * GPU→CPU read, which WebGPU and WebGL backends only emulate (tfjs warns), and after which
 * Chromium's WebGPU in a worker refused further reads here ("a valid external Instance reference
 * no longer exists"). Use it on GPU backends, in browsers above all.
 */
export async function exportTorchWeightsAsync(backbone: Backbone, options: TorchExportOptions = {}): Promise<Uint8Array> {
  const staged = stageTorchLayout(backbone, options);
  try {
    const read = await Promise.all(staged.map(async ([name, values]) => [name, values.shape, (await values.data()) as Float32Array] as const));
    return encodeStateDict(backbone, read, options);
  } finally {
    tf.dispose(staged.map(([, values]) => values));
  }
}

/** Every variable in PyTorch's layout (conv kernels OIHW), checked, as new tensors the caller frees. */
function stageTorchLayout(backbone: Backbone, options: TorchExportOptions): [string, tf.Tensor][] {
  if (options.torchvision !== false) assertTorchvisionCanBuild(backbone);
  const variables = [...backbone.namedVariables()];
  for (const [name, variable] of variables) {
    if (variable.dtype !== 'float32') {
      throw new BackboneError({
        code: 'TORCH_EXPORT_DTYPE',
        problem: `${backbone.name} holds ${name} as ${variable.dtype}`,
        fix: 'export backbones whose variables are float32',
      });
    }
  }
  return variables.map(([name, variable]) => [name, tf.tidy(() => (variable.rank === 4 ? tf.transpose(variable, [3, 2, 0, 1]) : tf.clone(variable)))]);
}

/** The safetensors file: F32 tensors, an int64 `num_batches_tracked` per batch norm, the spec. */
function encodeStateDict(backbone: Backbone, read: readonly (readonly [string, number[], Float32Array])[], options: TorchExportOptions): Uint8Array {
  const tensors: Record<string, SafetensorsInput> = {};
  for (const [name, shape, data] of read) {
    tensors[name] = { dtype: 'F32', shape, data };
    if (name.endsWith('.running_mean')) {
      tensors[`${name.slice(0, -'running_mean'.length)}num_batches_tracked`] = { dtype: 'I64', shape: [], data: new BigInt64Array(1) };
    }
  }
  const spec = (backbone as { spec?: BackboneSpec }).spec;
  return encodeSafetensors(tensors, { format: 'pt', ...(spec ? { selfsup_spec: JSON.stringify(spec) } : {}), ...options.metadata });
}

/**
 * torchvision's ResNets have fixed stage widths 64·2^s and 3 input channels; the CIFAR stem
 * is the documented change (`conv1 = Conv2d(3, 64, 3, 1, 1, bias=False)`, `maxpool = Identity()`).
 */
function assertTorchvisionCanBuild(backbone: Backbone): void {
  const spec = (backbone as { spec?: BackboneSpec }).spec;
  if (!spec || spec.kind === 'small-convnet') return;
  const problem =
    spec.width !== 1
      ? `${backbone.name} has width ${spec.width}; torchvision's ResNets have width 1 only (64·2^s channels per stage)`
      : spec.inChannels !== 3
        ? `${backbone.name} takes ${spec.inChannels} input channels; torchvision's conv1 takes 3`
        : undefined;
  if (problem) {
    throw new BackboneError({
      code: 'TORCH_EXPORT_UNSUPPORTED',
      problem,
      fix: 'export ONNX instead (selfsup export --format onnx), which expresses any width and input; or pass { torchvision: false } for a module of your own',
    });
  }
}
