import * as tf from '@tensorflow/tfjs-core';
import { EvalError } from './errors';
import { assertFeatures, labelsToArray, positiveInt, type LabelsLike } from './inputs';
import { knnAccuracy, type KnnOptions } from './knn';
import { linearProbe, type LinearProbeOptions } from './linear-probe';
import { effectiveRank, type EffectiveRankOptions } from './spectrum';

/** One row of the layer study table. */
export interface LayerStudyRow {
  /** `backbone.<tap>` or `head.<index>`, e.g. 'backbone.layer3', 'head.0'. */
  layer: string;
  part: 'backbone' | 'head';
  dim: number;
  /** Top-1 of the kNN monitor (test queries against the train bank), in [0, 1]. */
  knnAccuracy?: number;
  /** Top-1 of the linear probe (fit on train, scored on test), in [0, 1]. */
  linearAccuracy?: number;
  /** RankMe of the test features. */
  effectiveRank?: number;
}

/**
 * Anything with per-stage pooled features: a `Backbone` of @selfsup/backbones fits, and so does a
 * user's model with a `taps` method. Tap tensors of rank 4 are average-pooled over H and W.
 */
export interface TappedBackbone {
  /** Order of the taps (default: the object's key order). */
  readonly tapNames?: readonly string[];
  taps(x: tf.Tensor4D, options?: { training?: boolean }): Record<string, tf.Tensor> | readonly tf.Tensor[];
  /** Pooled features h, the head's input (used only with `headInput: 'apply'`). */
  apply?(x: tf.Tensor4D, options?: { training?: boolean }): tf.Tensor;
}

/** Anything that returns its output after each layer: a `ProjectionHead` of @selfsup/losses fits. */
export interface LayeredHead {
  layers(h: tf.Tensor2D, options?: { training?: boolean }): readonly tf.Tensor[];
}

/** Images with labels. Float32 images are used as they are ([0, 1]); integer ones are divided by 255. */
export interface LabelledImages {
  images: tf.Tensor4D;
  labels: LabelsLike;
}

export interface LayerFeatures {
  layer: string;
  part: 'backbone' | 'head';
  /** `[examples, dim]`; owned by the caller once returned. */
  features: tf.Tensor2D;
}

export interface ExtractOptions {
  /** Images per forward pass (default 256). */
  batchSize?: number;
  /**
   * Head input: 'lastTap' (default; our backbones' pooled features are their last tap, so no
   * second forward) or 'apply' (calls `backbone.apply`, for models where the two differ).
   */
  headInput?: 'lastTap' | 'apply';
}

function pooled(t: tf.Tensor, name: string): tf.Tensor2D {
  if (t.rank === 2) return t as tf.Tensor2D;
  if (t.rank === 4) return tf.mean(t, [1, 2]) as tf.Tensor2D;
  throw new EvalError({
    code: 'EVAL_BAD_TAP',
    problem: `${name} has shape [${t.shape.join(', ')}], expected [batch, dims] or NHWC`,
    fix: 'return pooled [batch, channels] features (or NHWC maps) from taps() and layers()',
  });
}

function namedTaps(backbone: TappedBackbone, out: Record<string, tf.Tensor> | readonly tf.Tensor[]): [string, tf.Tensor][] {
  if (Array.isArray(out)) return out.map((t, i) => [backbone.tapNames?.[i] ?? String(i), t]);
  const record = out as Record<string, tf.Tensor>;
  const names = backbone.tapNames ?? Object.keys(record);
  return names.map((n) => {
    if (!(record[n] instanceof tf.Tensor)) {
      throw new EvalError({ code: 'EVAL_BAD_TAP', problem: `taps() returned no tensor named ${n}`, fix: 'make tapNames list exactly the keys taps() returns' });
    }
    return [n, record[n]];
  });
}

/**
 * Features of `images` at every backbone tap and after every head layer, in inference mode
 * (batch norm uses running statistics), computed batch by batch. Returns one `[n, dim]` tensor
 * per layer, in forward order: backbone taps first, then head layers. The caller disposes them.
 */
export function extractLayerFeatures(
  backbone: TappedBackbone,
  head: LayeredHead | null | undefined,
  images: tf.Tensor4D,
  options: ExtractOptions = {},
): LayerFeatures[] {
  if (!(images instanceof tf.Tensor) || images.rank !== 4) {
    throw new EvalError({ code: 'EVAL_BAD_IMAGES', problem: 'images must be an NHWC tensor [n, h, w, c]', fix: 'stack the images into one 4-D tensor' });
  }
  const batchSize = positiveInt(options.batchSize ?? 256, 'batchSize', 'pass e.g. { batchSize: 256 }');
  const headInput = options.headInput ?? 'lastTap';
  if (headInput === 'apply' && typeof backbone.apply !== 'function') {
    throw new EvalError({ code: 'EVAL_BAD_OPTION', problem: "headInput is 'apply' but the backbone has no apply()", fix: "use headInput: 'lastTap'" });
  }
  const [n, h, w, c] = images.shape;
  const parts: { layer: string; part: 'backbone' | 'head'; chunks: tf.Tensor2D[] }[] = [];
  try {
    for (let start = 0; start < n; start += batchSize) {
      const rows = Math.min(batchSize, n - start);
      const outputs = tf.tidy(() => {
        let x = tf.slice(images, [start, 0, 0, 0], [rows, h, w, c]);
        if (x.dtype !== 'float32') x = tf.div(tf.cast(x, 'float32'), 255);
        const taps = namedTaps(backbone, backbone.taps(x, { training: false })).map(([name, t]) => ({
          layer: `backbone.${name}`,
          part: 'backbone' as const,
          features: pooled(t, `backbone tap ${name}`),
        }));
        if (taps.length === 0) {
          throw new EvalError({ code: 'EVAL_BAD_TAP', problem: 'backbone.taps() returned no tap', fix: 'return at least one pooled stage output' });
        }
        const headIn = headInput === 'apply' ? pooled((backbone.apply as NonNullable<TappedBackbone['apply']>)(x, { training: false }), 'backbone.apply()') : taps[taps.length - 1].features;
        const headOuts = head ? head.layers(headIn, { training: false }).map((t, i) => ({ layer: `head.${i}`, part: 'head' as const, features: pooled(t, `head layer ${i}`) })) : [];
        return [...taps, ...headOuts];
      });
      if (start === 0) outputs.forEach((o) => parts.push({ layer: o.layer, part: o.part, chunks: [] }));
      outputs.forEach((o, i) => parts[i].chunks.push(o.features));
    }
    return parts.map((p) => {
      const features = p.chunks.length === 1 ? p.chunks[0] : (tf.concat(p.chunks, 0) as tf.Tensor2D);
      if (p.chunks.length > 1) tf.dispose(p.chunks);
      p.chunks = [];
      return { layer: p.layer, part: p.part, features };
    });
  } catch (error) {
    parts.forEach((p) => tf.dispose(p.chunks));
    throw error;
  }
}

export interface LayerStudyOptions extends ExtractOptions {
  /** kNN options, or false to skip (default { k: 200, temperature: 0.1 }). */
  knn?: KnnOptions | false;
  /** Linear-probe options, or false to skip. */
  probe?: LinearProbeOptions | false;
  /** Effective-rank options, or false to skip. */
  rank?: EffectiveRankOptions | false;
  /** Only these layers (names as in the rows, e.g. 'backbone.layer4', 'head.1'). */
  layers?: readonly string[];
  /** Called after each layer is scored, e.g. for a progress line. */
  onLayer?: (row: LayerStudyRow, index: number, count: number) => void;
  /** Keep the test features of each layer in the result (the caller disposes them), e.g. for `embed2d`. */
  keepTestFeatures?: boolean;
}

export interface LayerStudyResult {
  rows: LayerStudyRow[];
  /** Present with `keepTestFeatures: true`. */
  testFeatures?: LayerFeatures[];
}

/**
 * The paper's question, as one call: where along backbone and head does the useful
 * representation live? For every backbone tap and every head layer, features of the train and
 * test images → kNN accuracy, linear-probe accuracy (train → test) and effective rank (test).
 * Networks run in inference mode; inputs are not disposed.
 */
export async function layerStudy(
  backbone: TappedBackbone,
  head: LayeredHead | null | undefined,
  train: LabelledImages,
  test: LabelledImages,
  options: LayerStudyOptions = {},
): Promise<LayerStudyResult> {
  const trainLabels = labelsToArray(train.labels, train.images.shape[0], 'train.labels');
  const testLabels = labelsToArray(test.labels, test.images.shape[0], 'test.labels');
  const trainFeatures = extractLayerFeatures(backbone, head, train.images, options);
  let testFeatures: LayerFeatures[] = [];
  const rows: LayerStudyRow[] = [];
  try {
    testFeatures = extractLayerFeatures(backbone, head, test.images, options);
    const wanted = options.layers ? new Set(options.layers) : null;
    if (wanted) {
      const known = new Set(trainFeatures.map((f) => f.layer));
      const missing = [...wanted].filter((l) => !known.has(l));
      if (missing.length) {
        throw new EvalError({ code: 'EVAL_UNKNOWN_LAYER', problem: `no layer named ${missing.join(', ')}`, fix: `pick from ${[...known].join(', ')}` });
      }
    }
    const selected = trainFeatures.map((f, i) => i).filter((i) => !wanted || wanted.has(trainFeatures[i].layer));
    for (const [j, i] of selected.entries()) {
      const tr = trainFeatures[i].features;
      const te = testFeatures[i].features;
      assertFeatures(tr, trainFeatures[i].layer);
      const row: LayerStudyRow = { layer: trainFeatures[i].layer, part: trainFeatures[i].part, dim: tr.shape[1] };
      if (options.knn !== false) row.knnAccuracy = (await knnAccuracy(tr, trainLabels, te, testLabels, options.knn ?? {})).accuracy;
      if (options.probe !== false) row.linearAccuracy = (await linearProbe(tr, trainLabels, te, testLabels, options.probe ?? {})).testAccuracy;
      if (options.rank !== false) row.effectiveRank = await effectiveRank(te, options.rank ?? {});
      rows.push(row);
      options.onLayer?.(row, j, selected.length);
    }
  } catch (error) {
    tf.dispose(testFeatures.map((f) => f.features));
    throw error;
  } finally {
    tf.dispose(trainFeatures.map((f) => f.features));
  }
  if (options.keepTestFeatures) return { rows, testFeatures };
  tf.dispose(testFeatures.map((f) => f.features));
  return { rows };
}
