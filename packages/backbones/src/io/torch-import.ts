import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '../contract';
import { BackboneError } from '../errors';
import { nodeFs } from './node-fs';
import { decodeSafetensors, safetensorsToFloat32, type SafetensorsTensor } from '@selfsup/core';

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
  /** Backbone (PyTorch) names that were assigned. */
  loaded: string[];
  /** Names in the file that were not used. */
  skipped: string[];
  /**
   * How the file stores conv kernels: `'OIHW'` (PyTorch's `[out, in, kH, kW]`) or `'HWIO'`
   * (`[kH, kW, in, out]`, as tfjs keeps them and selfsup's training checkpoints store them).
   */
  layout: 'OIHW' | 'HWIO';
}

/** The names selfsup's training checkpoints give backbone variables: `backbone/<torch name>`. */
const SELFSUP_PREFIX = 'backbone/';

/**
 * Loads a PyTorch state dict saved as safetensors into a backbone, by parameter name, converting
 * conv weights from PyTorch's OIHW to tfjs' HWIO. Also reads selfsup's own training checkpoints
 * (`checkpoints/step-NNNNNN.safetensors`): their backbone tensors are named
 * `backbone/<torch name>` and their conv kernels are already HWIO; their other tensors (head,
 * optimizer state) are skipped. A file without that prefix whose conv kernels fit only HWIO
 * shapes is read as HWIO too. Every tensor is checked before any variable changes, so a failed
 * import leaves the backbone as it was. In Node you may pass a path; in browsers pass the bytes
 * (e.g. `await (await fetch(url)).arrayBuffer()`).
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
  const { tensors: file, metadata } = decodeSafetensors(bytes, source);
  const targets = backbone.namedVariables();
  // selfsup's trainer writes `backbone/<name>` (torch names never hold a '/') and its format tag.
  const selfsup = (metadata.format ?? '').startsWith('selfsup-checkpoint') || [...file.keys()].some((n) => n.startsWith(SELFSUP_PREFIX));
  const kind = selfsup ? 'selfsup checkpoint' : 'PyTorch state dict';
  const matched: { fileName: string; name: string; tensor: SafetensorsTensor; variable: tf.Variable }[] = [];
  const skipped: string[] = [];
  for (const [fileName, tensor] of file) {
    let name = fileName;
    if (selfsup) {
      // Head and optimizer tensors (`head/0`, `optimizer/...`) are not the backbone's.
      if (!name.startsWith(SELFSUP_PREFIX)) {
        skipped.push(fileName);
        continue;
      }
      name = name.slice(SELFSUP_PREFIX.length);
    }
    if (stripPrefix && name.startsWith(stripPrefix)) name = name.slice(stripPrefix.length);
    const variable = targets.get(name);
    if (!variable) {
      const ignorable = name.endsWith('num_batches_tracked') || name.startsWith('fc.');
      if (strict && !ignorable) {
        throw new BackboneError({
          code: 'TORCH_IMPORT_UNEXPECTED',
          problem: `${source} has tensor ${fileName} (${tensor.dtype}[${tensor.shape.join(', ')}]) that ${backbone.name} does not have`,
          fix: selfsup
            ? "build the backbone the run trained (the model section of the run's config.json: backbone, stem, width, widths), or pass strict: false to skip extra tensors"
            : 'check that the checkpoint is for this architecture, stem and width; pass stripPrefix for wrapped models, or strict: false to skip extra tensors',
        });
      }
      skipped.push(fileName);
      continue;
    }
    matched.push({ fileName, name, tensor, variable });
  }
  const layout = selfsup ? 'HWIO' : detectLayout(matched);
  const values = new Map<string, { data: Float32Array; shape: number[] }>();
  for (const { fileName, name, tensor, variable } of matched) {
    const expected = layout === 'HWIO' ? [...variable.shape] : torchShape(variable.shape);
    if (expected.join() !== tensor.shape.join()) throw shapeError(backbone, source, fileName, tensor.shape, variable.shape, layout, selfsup);
    values.set(name, { data: safetensorsToFloat32(fileName, tensor), shape: tensor.shape });
  }
  const missing = [...targets.keys()].filter((name) => !values.has(name));
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).map((n) => {
      const shape = layout === 'HWIO' ? targets.get(n)!.shape : torchShape(targets.get(n)!.shape);
      return `${selfsup ? SELFSUP_PREFIX : ''}${n} [${shape.join(', ')}]`;
    });
    throw new BackboneError({
      code: 'TORCH_IMPORT_MISSING',
      problem: `${source} (a ${kind}) lacks ${missing.length} tensor(s) of ${backbone.name}: ${shown.join(', ')}${missing.length > 5 ? ', ...' : ''}`,
      fix: selfsup
        ? "build the backbone the run trained (the model section of the run's config.json: backbone, stem, width, widths)"
        : 'save the full state_dict (running_mean/running_var included) of the matching architecture; pass stripPrefix if its names carry a prefix',
    });
  }
  for (const [name, { data, shape }] of values) {
    const variable = targets.get(name)!;
    tf.tidy(() => {
      const t = tf.tensor(data, shape, 'float32');
      // OIHW → HWIO for PyTorch's conv filters; HWIO kernels and vectors are stored as is.
      variable.assign(layout === 'OIHW' && shape.length === 4 ? tf.transpose(t, [2, 3, 1, 0]) : t);
    });
  }
  return { loaded: [...values.keys()], skipped, layout };
}

/**
 * A file without selfsup's prefix is PyTorch's OIHW unless its conv kernels fit only HWIO
 * shapes (a kernel whose shape fits both, e.g. 1×1 with as many inputs as outputs, decides nothing).
 */
function detectLayout(matched: { tensor: SafetensorsTensor; variable: tf.Variable }[]): 'OIHW' | 'HWIO' {
  let onlyTorch = 0;
  let onlyTfjs = 0;
  for (const { tensor, variable } of matched) {
    if (tensor.shape.length !== 4 || variable.shape.length !== 4) continue;
    const fitsTorch = torchShape(variable.shape).join() === tensor.shape.join();
    const fitsTfjs = variable.shape.join() === tensor.shape.join();
    if (fitsTorch && !fitsTfjs) onlyTorch++;
    if (fitsTfjs && !fitsTorch) onlyTfjs++;
  }
  return onlyTfjs > 0 && onlyTorch === 0 ? 'HWIO' : 'OIHW';
}

function shapeError(
  backbone: Backbone,
  source: string,
  fileName: string,
  shape: number[],
  hwio: number[],
  layout: 'OIHW' | 'HWIO',
  selfsup: boolean,
): BackboneError {
  const oihw = torchShape(hwio);
  const fmt = (s: number[]) => `[${s.join(', ')}]`;
  if (shape.length === 4 && layout === 'HWIO' && shape.join() === oihw.join()) {
    return new BackboneError({
      code: 'TORCH_IMPORT_LAYOUT',
      problem: `${source} has ${fileName} as ${fmt(shape)}, PyTorch's OIHW layout, but it is a selfsup checkpoint (backbone/ names), whose conv kernels are HWIO ${fmt(hwio)}`,
      fix: 'store every backbone/ conv kernel as [kH, kW, in, out] (w.permute(2, 3, 1, 0) of a PyTorch weight), or save a plain PyTorch state_dict without the backbone/ prefix',
    });
  }
  if (shape.length === 4 && layout === 'OIHW' && shape.join() === hwio.join()) {
    return new BackboneError({
      code: 'TORCH_IMPORT_LAYOUT',
      problem: `${source} has ${fileName} as ${fmt(shape)}, tfjs' HWIO layout, while its other conv weights are PyTorch's OIHW`,
      fix: 'store every conv weight in one layout: PyTorch [out, in, kH, kW] (w.permute(3, 2, 0, 1) of an HWIO kernel), or all of them [kH, kW, in, out]',
    });
  }
  const expected = layout === 'HWIO' ? hwio : oihw;
  return new BackboneError({
    code: 'TORCH_IMPORT_SHAPE',
    problem: `${source} has ${fileName} with shape ${fmt(shape)}, but ${backbone.name} expects ${fmt(expected)} (${layout === 'HWIO' ? 'HWIO, as selfsup checkpoints store it' : 'PyTorch layout'})`,
    fix: selfsup
      ? "build the backbone the run trained (the model section of the run's config.json: backbone, stem, width, widths)"
      : "build the backbone with the checkpoint's architecture, stem (cifar: 3×3 conv1, imagenet: 7×7) and width",
  });
}

/** PyTorch's shape for one of our variables: HWIO filters are OIHW there. */
function torchShape(shape: number[]): number[] {
  return shape.length === 4 ? [shape[3], shape[2], shape[0], shape[1]] : [...shape];
}
