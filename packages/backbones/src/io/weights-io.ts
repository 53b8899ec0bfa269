import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '../contract';
import { BackboneError } from '../errors';
import { buildBackbone, checkSpec, type BackboneSpec, type BuiltBackbone } from '../spec';
import { fileSystemHandler } from './file-handler';

const FORMAT = 'selfsup-backbone-weights';

/**
 * Where weights go or come from: a tfjs IOHandler (`tf.io.browserIndexedDB('name')`,
 * `tf.io.http(url)`, ...), or a string: a directory or a `.json` file, `file://` or a plain path
 * (relative to the current directory) in Node; any URL tfjs routes (`indexeddb://name`,
 * `localstorage://name`, `http(s)://.../model.json`); in browsers a relative URL
 * (`./model/model.json`), resolved against the page's `location.href`.
 */
export type WeightsLocation = string | tf.io.IOHandler;

/**
 * Saves every variable of `backbone` (running statistics included) under its PyTorch name, and
 * for our backbones its kind and constructor options (`backbone.spec`), so that `loadBackbone`
 * can rebuild it.
 */
export async function saveWeights(backbone: Backbone, destination: WeightsLocation): Promise<tf.io.SaveResult> {
  const { handler } = resolve(destination, 'save');
  const named = backbone.namedVariables();
  const tensors: tf.NamedTensorMap = {};
  for (const [name, variable] of named) tensors[name] = variable;
  const { data, specs } = await tf.io.encodeWeights(tensors);
  const spec = recordedSpec(backbone);
  return handler.save!({
    modelTopology: { format: FORMAT, backbone: backbone.name, featureDim: backbone.featureDim, ...(spec ? { spec } : {}) },
    format: FORMAT,
    generatedBy: '@selfsup/backbones',
    weightSpecs: specs,
    weightData: data,
  });
}

/**
 * Rebuilds the backbone that `saveWeights` saved at `source` from the kind and options it
 * recorded, and loads its weights bit-exactly. Weights saved without them (before
 * @selfsup/backbones 0.2, or from a backbone of your own) throw `WEIGHTS_NO_SPEC`: build the
 * backbone yourself and call `loadWeights`.
 */
export async function loadBackbone(source: WeightsLocation): Promise<BuiltBackbone> {
  const { handler, where } = resolve(source, 'load');
  const artifacts = await handler.load!();
  const topology = (isRecord(artifacts.modelTopology) ? artifacts.modelTopology : {}) as Record<string, unknown>;
  if (artifacts.format !== FORMAT && topology.format !== FORMAT) {
    throw new BackboneError({
      code: 'WEIGHTS_NOT_BACKBONE',
      problem: `${where} is not a backbone saved by saveWeights() (its format is ${JSON.stringify(artifacts.format ?? topology.format ?? null)})`,
      fix: 'pass a location written by saveWeights(); import PyTorch checkpoints with importTorchWeights() and tfjs-layers models with tf.loadLayersModel()',
    });
  }
  if (topology.spec === undefined) {
    const name = typeof topology.backbone === 'string' ? topology.backbone : 'the backbone';
    throw new BackboneError({
      code: 'WEIGHTS_NO_SPEC',
      problem: `${where} holds the weights of ${name} but not its kind and constructor options (saved before @selfsup/backbones 0.2, or from a backbone that does not record them), so loadBackbone() cannot rebuild it`,
      fix: `build the same backbone yourself and load into it: loadWeights(${suggestion(name)}, location); saving it again with saveWeights() records the options`,
    });
  }
  const spec = checkSpec(topology.spec, `${where} records a backbone spec that`);
  const backbone = buildBackbone(spec);
  try {
    assignWeights(backbone, artifacts, where);
  } catch (error) {
    backbone.dispose();
    throw error;
  }
  return backbone;
}

/**
 * Loads weights saved by `saveWeights` into a backbone of the same architecture, bit-exactly.
 * Every tensor is checked (name, shape, dtype) before any variable changes.
 */
export async function loadWeights(backbone: Backbone, source: WeightsLocation): Promise<void> {
  const { handler, where } = resolve(source, 'load');
  assignWeights(backbone, await handler.load!(), where);
}

/** Checks every tensor of `artifacts` against `backbone`, then assigns them all. */
function assignWeights(backbone: Backbone, artifacts: tf.io.ModelArtifacts, where: string): void {
  if (!artifacts.weightSpecs || artifacts.weightData === undefined) {
    throw new BackboneError({
      code: 'WEIGHTS_EMPTY',
      problem: `${where} returned no weights`,
      fix: 'pass a location written by saveWeights()',
    });
  }
  const decoded = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
  try {
    const named = backbone.namedVariables();
    const extra = Object.keys(decoded).filter((name) => !named.has(name));
    const missing = [...named.keys()].filter((name) => !(name in decoded));
    if (extra.length > 0 || missing.length > 0) {
      throw new BackboneError({
        code: 'WEIGHTS_MISMATCH',
        problem:
          `${where} does not fit ${backbone.name}: ` +
          [missing.length ? `missing ${missing.slice(0, 5).join(', ')}` : '', extra.length ? `unexpected ${extra.slice(0, 5).join(', ')}` : '']
            .filter(Boolean)
            .join('; '),
        fix: 'load into a backbone built with the same architecture and options as the one that was saved',
      });
    }
    for (const [name, variable] of named) {
      const t = decoded[name];
      if (t.dtype !== variable.dtype || t.shape.join() !== variable.shape.join()) {
        throw new BackboneError({
          code: 'WEIGHTS_MISMATCH',
          problem: `${where} has ${name} as ${t.dtype}[${t.shape.join(', ')}], ${backbone.name} expects ${variable.dtype}[${variable.shape.join(', ')}]`,
          fix: 'load into a backbone built with the same architecture, stem and width as the one that was saved',
        });
      }
    }
    for (const [name, variable] of named) variable.assign(decoded[name]);
  } finally {
    tf.dispose(Object.values(decoded));
  }
}

/** What a string location means: a file or directory in Node, or a URL for tfjs' routers. */
export type ResolvedLocation = { kind: 'file'; path: string } | { kind: 'url'; url: string };

/**
 * `file://x` and, outside browsers, plain paths are files (relative to the current directory);
 * anything with a scheme (`indexeddb://`, `http://`, ...) goes to tfjs as is; a plain path in a
 * browser is a URL relative to `base`, the page's `location.href`.
 */
export function resolveLocation(location: string, base: string | undefined = pageHref()): ResolvedLocation {
  if (location.startsWith('file://')) return { kind: 'file', path: location.slice('file://'.length) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return { kind: 'url', url: location };
  if (base === undefined) return { kind: 'file', path: location };
  return { kind: 'url', url: new URL(location, base).href };
}

function pageHref(): string | undefined {
  const href = (globalThis as { location?: { href?: unknown } }).location?.href;
  return typeof href === 'string' ? href : undefined;
}

function resolve(location: WeightsLocation, use: 'save' | 'load'): { handler: tf.io.IOHandler; where: string } {
  const verb = use === 'save' ? 'saveWeights()' : 'loadWeights() / loadBackbone()';
  if (typeof location !== 'string') {
    if (typeof location[use] !== 'function') {
      throw new BackboneError({
        code: 'WEIGHTS_BAD_HANDLER',
        problem: `the IOHandler passed to ${verb} has no ${use}() method`,
        fix: `pass a handler that can ${use} (tf.io.http only loads unless the server accepts POSTs)`,
      });
    }
    return { handler: location, where: 'the IOHandler' };
  }
  const resolved = resolveLocation(location);
  if (resolved.kind === 'file') return { handler: fileSystemHandler(resolved.path), where: location };
  const where = resolved.url === location ? location : `${location} (${resolved.url})`;
  const handlers = use === 'save' ? tf.io.getSaveHandlers(resolved.url) : tf.io.getLoadHandlers(resolved.url);
  if (handlers.length === 0) {
    throw new BackboneError({
      code: 'WEIGHTS_NO_HANDLER',
      problem: `no tfjs IOHandler can ${use} ${JSON.stringify(resolved.url)}`,
      fix: 'use a file:// directory in Node (or a plain path), indexeddb:// or an http(s) URL (absolute or relative to the page) in browsers, or pass an IOHandler object',
    });
  }
  return { handler: handlers[0], where };
}

/** `backbone.spec` when it is one `loadBackbone` can rebuild (our backbones); else nothing. */
function recordedSpec(backbone: Backbone): BackboneSpec | undefined {
  const spec = (backbone as { spec?: unknown }).spec;
  if (spec === undefined) return undefined;
  try {
    return checkSpec(spec, `${backbone.name}.spec`);
  } catch {
    return undefined;
  }
}

/** The factory call to suggest for a backbone saved under `name`. */
function suggestion(name: string): string {
  if (name === 'smallConvnet') return 'smallConvnet({ widths: [...] })';
  if (/^resnet(18|34|50)$/.test(name)) return `${name}({ stem: ..., width: ... })`;
  return 'yourBackbone';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof ArrayBuffer);
}
