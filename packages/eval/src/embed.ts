import * as tf from '@tensorflow/tfjs-core';
import { EvalError } from './errors';
import { positiveInt } from './inputs';
import type { LayeredHead } from './layer-study';

/** A backbone to embed with: a `Backbone` of @selfsup/backbones fits. */
export interface EmbeddingBackbone {
  readonly tapNames: readonly string[];
  apply(x: tf.Tensor4D, options?: { training?: boolean }): tf.Tensor2D;
  taps(x: tf.Tensor4D, options?: { training?: boolean }): Record<string, tf.Tensor2D>;
}

/**
 * Images to embed: an NHWC tensor (float32 in [0, 1], or integers in 0..255), or anything that
 * makes batches of rows on demand, such as an `ImageDataset` of @selfsup/datasets. A dataset
 * never becomes one tensor: only one batch is on the backend at a time.
 */
export type EmbedImages = tf.Tensor4D | { readonly size: number; toBatch(rows: ArrayLike<number>): { images: tf.Tensor4D } };

export interface EmbedOptions {
  /** Images per forward pass (default 256). */
  batchSize?: number;
  /**
   * Which output: `'features'` (default: the backbone's pooled features h), `'backbone.<tap>'`
   * (a stage, e.g. `'backbone.layer3'`), `'head.<i>'` (after the head's i-th layer) or `'head'`
   * (the head's output z). Head layers need `head`.
   */
  layer?: string;
  /** The projection head, for `head` layers (a `ProjectionHead` of @selfsup/losses fits). */
  head?: LayeredHead | null;
  /** Called after each batch with the rows done so far, e.g. for a progress bar. */
  onBatch?: (done: number, total: number) => void;
}

/** Row-major embeddings on the CPU: row i is `data.subarray(i·dim, (i+1)·dim)`. */
export interface Embeddings {
  layer: string;
  count: number;
  dim: number;
  data: Float32Array;
}

/**
 * Eval-mode embeddings of any number of images, batch by batch: each batch's tensors are freed
 * before the next one is made and the rows are copied into one `Float32Array`, so the backend's
 * memory (the wasm heap, a GPU) holds one batch whatever the number of images.
 */
export async function embed(backbone: EmbeddingBackbone, images: EmbedImages, options: EmbedOptions = {}): Promise<Embeddings> {
  const batchSize = positiveInt(options.batchSize ?? 256, 'batchSize', 'pass e.g. { batchSize: 256 }');
  const layer = options.layer ?? 'features';
  const output = outputOf(backbone, options.head ?? null, layer);
  const count = images instanceof tf.Tensor ? checkTensor(images) : images.size;
  let data = new Float32Array(0);
  let dim = 0;
  for (let start = 0; start < count; start += batchSize) {
    const rows = Math.min(batchSize, count - start);
    const out = tf.tidy(() => {
      // A dataset's batch also holds labels: the tidy frees them with the images.
      const x = images instanceof tf.Tensor ? asFloat(tf.slice(images, [start, 0, 0, 0], [rows, -1, -1, -1])) : images.toBatch(rowRange(start, rows)).images;
      return output(x);
    });
    try {
      if (start === 0) {
        dim = out.shape[1];
        data = new Float32Array(count * dim);
      }
      data.set(await out.data(), start * dim);
    } finally {
      out.dispose();
    }
    options.onBatch?.(start + rows, count);
  }
  return { layer, count, dim, data };
}

/** The function from an image batch to the chosen layer's `[batch, dim]` output. */
function outputOf(backbone: EmbeddingBackbone, head: LayeredHead | null, layer: string): (x: tf.Tensor4D) => tf.Tensor2D {
  const evalMode = { training: false };
  if (layer === 'features') return (x) => backbone.apply(x, evalMode);
  const tap = /^backbone\.(.+)$/.exec(layer)?.[1];
  if (tap !== undefined && backbone.tapNames.includes(tap)) return (x) => backbone.taps(x, evalMode)[tap];
  const headLayer = /^head(?:\.(\d+))?$/.exec(layer);
  if (headLayer && head) {
    return (x) => {
      const outs = head.layers(backbone.apply(x, evalMode), evalMode);
      const i = headLayer[1] === undefined ? outs.length - 1 : Number(headLayer[1]);
      if (i >= outs.length) throw unknownLayer(layer, backbone, outs.length);
      return outs[i] as tf.Tensor2D;
    };
  }
  throw unknownLayer(layer, backbone, head ? undefined : 0);
}

function unknownLayer(layer: string, backbone: EmbeddingBackbone, headLayers: number | undefined): EvalError {
  const heads = headLayers === undefined ? ['head', 'head.<i>'] : Array.from({ length: headLayers }, (_, i) => `head.${i}`);
  const known = ['features', ...backbone.tapNames.map((t) => `backbone.${t}`), ...(headLayers === 0 ? [] : heads)];
  return new EvalError({
    code: 'EVAL_UNKNOWN_LAYER',
    problem: `no layer named ${JSON.stringify(layer)}${headLayers === 0 && layer.startsWith('head') ? ' (no head was given)' : ''}`,
    fix: `pick one of ${known.join(', ')}${headLayers === 0 ? "; pass { head } for the head's layers" : ''}`,
  });
}

function checkTensor(images: tf.Tensor): number {
  if (images.rank !== 4) {
    throw new EvalError({ code: 'EVAL_BAD_IMAGES', problem: `images have shape [${images.shape.join(', ')}], not NHWC [n, h, w, c]`, fix: 'stack the images into one 4-D tensor' });
  }
  return images.shape[0];
}

/** Integer images are 0..255 pixels; float ones are used as they are. */
function asFloat(x: tf.Tensor4D): tf.Tensor4D {
  return x.dtype === 'float32' ? x : tf.div(tf.cast(x, 'float32'), 255);
}

function rowRange(start: number, count: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => start + i);
}
