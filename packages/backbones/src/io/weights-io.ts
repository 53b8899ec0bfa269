import * as tf from '@tensorflow/tfjs-core';
import type { Backbone } from '../contract';
import { BackboneError } from '../errors';
import { fileSystemHandler } from './file-handler';

const FORMAT = 'selfsup-backbone-weights';

/**
 * Where weights go or come from: a tfjs IOHandler (`tf.io.browserIndexedDB('name')`,
 * `tf.io.http(url)`, ...), a `file://` directory in Node, or any URL tfjs routes
 * (`indexeddb://name`, `localstorage://name`, `http(s)://.../model.json`).
 */
export type WeightsLocation = string | tf.io.IOHandler;

/** Saves every variable of `backbone` (running statistics included) under its PyTorch name. */
export async function saveWeights(backbone: Backbone, destination: WeightsLocation): Promise<tf.io.SaveResult> {
  const handler = resolve(destination, 'save');
  const named = backbone.namedVariables();
  const tensors: tf.NamedTensorMap = {};
  for (const [name, variable] of named) tensors[name] = variable;
  const { data, specs } = await tf.io.encodeWeights(tensors);
  return handler.save!({
    modelTopology: { format: FORMAT, backbone: backbone.name, featureDim: backbone.featureDim },
    format: FORMAT,
    generatedBy: '@selfsup/backbones',
    weightSpecs: specs,
    weightData: data,
  });
}

/**
 * Loads weights saved by `saveWeights` into a backbone of the same architecture, bit-exactly.
 * Every tensor is checked (name, shape, dtype) before any variable changes.
 */
export async function loadWeights(backbone: Backbone, source: WeightsLocation): Promise<void> {
  const handler = resolve(source, 'load');
  const artifacts = await handler.load!();
  const where = typeof source === 'string' ? source : 'the IOHandler';
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

function resolve(location: WeightsLocation, use: 'save' | 'load'): tf.io.IOHandler {
  if (typeof location !== 'string') {
    if (typeof location[use] !== 'function') {
      throw new BackboneError({
        code: 'WEIGHTS_BAD_HANDLER',
        problem: `the IOHandler passed to ${use}Weights() has no ${use}() method`,
        fix: `pass a handler that can ${use} (tf.io.http only loads unless the server accepts POSTs)`,
      });
    }
    return location;
  }
  if (location.startsWith('file://')) return fileSystemHandler(location.slice('file://'.length));
  const handlers = use === 'save' ? tf.io.getSaveHandlers(location) : tf.io.getLoadHandlers(location);
  if (handlers.length === 0) {
    throw new BackboneError({
      code: 'WEIGHTS_NO_HANDLER',
      problem: `no tfjs IOHandler can ${use} ${JSON.stringify(location)}`,
      fix: 'use a file:// directory in Node, indexeddb:// or http(s):// in browsers, or pass an IOHandler object',
    });
  }
  return handlers[0];
}
