import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '../contract';
import { BackboneError } from '../errors';
import { nodeFs } from './node-fs';
import { readSafetensors, toFloat32 } from './safetensors';

export interface TorchImportOptions {
  /**
   * `true` (default): every tensor in the file must belong to the backbone, except the
   * classifier (`fc.*`) and `*.num_batches_tracked`, which are always skipped.
   * `false`: tensors the backbone does not have are skipped and listed in `skipped`.
   */
  strict?: boolean;
  /** Prefix to strip from the file's names, e.g. `backbone.` or `module.` (default none). */
  stripPrefix?: string;
}

export interface TorchImportResult {
  /** PyTorch names that were assigned. */
  loaded: string[];
  /** Names in the file that were not used. */
  skipped: string[];
}

/**
 * Loads a PyTorch state dict saved as safetensors into a backbone, by parameter name. Conv
 * weights are converted from PyTorch's OIHW to tfjs' HWIO. Every tensor is checked before any
 * variable changes, so a failed import leaves the backbone as it was. In Node you may pass a
 * path; in browsers pass the bytes (e.g. `await (await fetch(url)).arrayBuffer()`).
 */
export async function importTorchWeights(
  backbone: Backbone,
  source: Uint8Array | ArrayBuffer | string,
  options: TorchImportOptions = {},
): Promise<TorchImportResult> {
  if (typeof source !== 'string') return importTorchWeightsSync(backbone, source, options);
  const { fs } = await nodeFs();
  return importTorchWeightsSync(backbone, await fs.readFile(source), options, source);
}

/** `importTorchWeights` for bytes already in memory. */
export function importTorchWeightsSync(
  backbone: Backbone,
  bytes: Uint8Array | ArrayBuffer,
  options: TorchImportOptions = {},
  source = 'safetensors file',
): TorchImportResult {
  const { strict = true, stripPrefix = '' } = options;
  const file = readSafetensors(bytes, source);
  const targets = backbone.namedVariables();
  const values = new Map<string, { data: Float32Array; shape: number[] }>();
  const skipped: string[] = [];
  for (const [fileName, tensor] of file) {
    const name = fileName.startsWith(stripPrefix) ? fileName.slice(stripPrefix.length) : fileName;
    const variable = targets.get(name);
    if (!variable) {
      const ignorable = name.endsWith('num_batches_tracked') || name.startsWith('fc.');
      if (strict && !ignorable) {
        throw new BackboneError({
          code: 'TORCH_IMPORT_UNEXPECTED',
          problem: `${source} has tensor ${fileName} (${tensor.dtype}[${tensor.shape.join(', ')}]) that ${backbone.name} does not have`,
          fix: 'check that the checkpoint is for this architecture, stem and width; pass stripPrefix for wrapped models, or strict: false to skip extra tensors',
        });
      }
      skipped.push(fileName);
      continue;
    }
    const expected = torchShape(variable.shape);
    if (expected.join() !== tensor.shape.join()) {
      throw new BackboneError({
        code: 'TORCH_IMPORT_SHAPE',
        problem: `${source} has ${fileName} with shape [${tensor.shape.join(', ')}], but ${backbone.name} expects [${expected.join(', ')}] (PyTorch layout)`,
        fix: 'build the backbone with the checkpoint\'s architecture, stem (cifar: 3×3 conv1, imagenet: 7×7) and width',
      });
    }
    values.set(name, { data: toFloat32(fileName, tensor), shape: tensor.shape });
  }
  const missing = [...targets.keys()].filter((name) => !values.has(name));
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).map((n) => `${n} [${torchShape(targets.get(n)!.shape).join(', ')}]`);
    throw new BackboneError({
      code: 'TORCH_IMPORT_MISSING',
      problem: `${source} lacks ${missing.length} tensor(s) of ${backbone.name}: ${shown.join(', ')}${missing.length > 5 ? ', ...' : ''}`,
      fix: 'save the full state_dict (running_mean/running_var included) of the matching architecture; pass stripPrefix if its names carry a prefix',
    });
  }
  for (const [name, { data, shape }] of values) {
    const variable = targets.get(name)!;
    tf.tidy(() => {
      const t = tf.tensor(data, shape, 'float32');
      // OIHW → HWIO for conv filters; vectors are stored as is.
      variable.assign(shape.length === 4 ? tf.transpose(t, [2, 3, 1, 0]) : t);
    });
  }
  return { loaded: [...values.keys()], skipped };
}

/** PyTorch's shape for one of our variables: HWIO filters are OIHW there. */
function torchShape(shape: number[]): number[] {
  return shape.length === 4 ? [shape[3], shape[2], shape[0], shape[1]] : [...shape];
}
