import * as tf from '@tensorflow/tfjs-core';
import type { ImageBatch, Rng } from '@selfsup/core';
import { AugmentError } from '../errors';
import { blend, luma, meanLuma } from '../functional/color';
import { adjustHue } from '../functional/hue';
import { assertChannels, batchOf } from '../params';
import { selectPerSample } from '../select';
import { applyToSubset, type Transform } from '../transform';

/** A jitter strength s (→ [max(0, 1 - s), 1 + s], or [-s, s] for hue) or an explicit [min, max]. */
export type JitterRange = number | readonly [number, number];

export interface ColorJitterOptions {
  brightness?: JitterRange;
  contrast?: JitterRange;
  saturation?: JitterRange;
  /** Hue shift in turns; the range must lie in [-0.5, 0.5]. */
  hue?: JitterRange;
}

/** The four adjustments, numbered as torchvision's `fn_idx`. */
export const JITTER_OPS = ['brightness', 'contrast', 'saturation', 'hue'] as const;

/** Per-image parameters of one ColorJitter draw; a null factor means that adjustment is off. */
export interface ColorJitterParams {
  /** The order of the four adjustments (a permutation of 0..3, as `torch.randperm(4)`). */
  order: Int32Array;
  brightness: number | null;
  contrast: number | null;
  saturation: number | null;
  hue: number | null;
}

/** torchvision's `ColorJitter._check_input`: null when the adjustment can only be the identity. */
export function jitterRange(value: JitterRange | undefined, name: string, hue = false): [number, number] | null {
  if (value === undefined) return null;
  const center = hue ? 0 : 1;
  const range: [number, number] =
    typeof value === 'number' ? (hue ? [-value, value] : [Math.max(0, center - value), center + value]) : [value[0], value[1]];
  const bounds = hue ? [-0.5, 0.5] : [0, Infinity];
  const badNumber = typeof value === 'number' && !(value >= 0);
  if (badNumber || !(range[0] <= range[1]) || range[0] < bounds[0] || range[1] > bounds[1]) {
    throw new AugmentError({
      code: 'AUGMENT_BAD_JITTER',
      problem: `colorJitter got ${name} ${JSON.stringify(value)}`,
      fix: hue
        ? 'pass hue as a number in [0, 0.5] or [min, max] inside [-0.5, 0.5]'
        : `pass ${name} as a non-negative number or [min, max] with 0 ≤ min ≤ max`,
    });
  }
  return range[0] === center && range[1] === center ? null : range;
}

/** The sampler behind `colorJitter`: a permutation, then each enabled factor ~ U(range). */
export function colorJitterSampler(options: ColorJitterOptions): (rng: Rng) => ColorJitterParams {
  const ranges = [
    jitterRange(options.brightness, 'brightness'),
    jitterRange(options.contrast, 'contrast'),
    jitterRange(options.saturation, 'saturation'),
    jitterRange(options.hue, 'hue', true),
  ];
  return (rng) => {
    const order = rng.permutation(4);
    const [b, c, s, h] = ranges.map((r) => (r === null ? null : rng.uniform(r[0], r[1])));
    return { order, brightness: b, contrast: c, saturation: s, hue: h };
  };
}

/**
 * One position of the random order for the whole batch: images whose adjustment at this
 * position is brightness/contrast/saturation get one shared blend (toward 0, their mean grey, or
 * their grey image); images whose adjustment is hue are hue-shifted as a gathered sub-batch.
 */
function stage(images: ImageBatch, params: ColorJitterParams[], position: number): ImageBatch {
  const n = params.length;
  const op = params.map((p) => JITTER_OPS[p.order[position]]);
  const factor = params.map((p, i) => p[op[i]]);
  const blendOn = op.map((o, i) => o !== 'hue' && factor[i] !== null);
  const hueOn = op.map((o, i) => o === 'hue' && factor[i] !== null);
  const rgb = images.shape[3] === 3;
  let out = images;
  if (blendOn.some(Boolean)) {
    out = tf.tidy(() => {
      const ratio = tf.tensor4d(factor.map((f, i) => (blendOn[i] ? (f as number) : 1)), [n, 1, 1, 1]);
      const needs = (name: string) => op.some((o, i) => blendOn[i] && o === name);
      // Grey in all channels (one matMul) and the per-image mean broadcast per sample: both
      // avoid broadcasting a [N,H,W,1] plane, which is slow on wasm.
      const grey = needs('saturation') && rgb ? luma(images, 3) : null;
      const mean = needs('contrast') ? meanLuma(images) : null;
      const weight = (name: string) => tf.tensor4d(op.map((o, i) => (blendOn[i] && o === name ? 1 : 0)), [n, 1, 1, 1]);
      // Target per image: 0 (brightness), its mean grey (contrast) or its grey image (saturation).
      let target: tf.Tensor | null = null;
      if (mean) target = tf.mul(weight('contrast'), mean);
      if (grey) target = target ? tf.add(tf.mul(grey, weight('saturation')), target) : tf.mul(grey, weight('saturation'));
      // Saturation of a single-channel image is the identity in torchvision.
      const active = op.map((o, i) => blendOn[i] && (rgb || o !== 'saturation'));
      return selectPerSample(active, blend(images, target, ratio), images);
    });
  }
  if (hueOn.some(Boolean) && rgb) {
    const hues = factor.filter((_, i) => hueOn[i]) as number[];
    const next = applyToSubset(out, hueOn, (subset) => adjustHue(subset, hues));
    if (out !== images) out.dispose();
    out = next;
  }
  return out === images ? tf.clone(images) : out;
}

/** Applies sampled ColorJitter parameters to a batch (one parameter set per image). */
export function applyColorJitter(images: ImageBatch, params: readonly ColorJitterParams[]): ImageBatch {
  const n = batchOf(images);
  if (params.length !== n) {
    throw new AugmentError({
      code: 'AUGMENT_BAD_PARAM_LENGTH',
      problem: `applyColorJitter got ${params.length} parameter sets for ${n} images`,
      fix: 'pass one parameter set per image (see colorJitterSampler)',
    });
  }
  assertChannels(images, [1, 3], 'colorJitter');
  let out = images;
  for (let position = 0; position < 4; position++) {
    const next = stage(out, params as ColorJitterParams[], position);
    if (out !== images) out.dispose();
    out = next;
  }
  return out;
}

/**
 * `ColorJitter(brightness, contrast, saturation, hue)`: every image gets its own factors and its
 * own random order of the four adjustments, as torchvision draws them per image.
 */
export function colorJitter(options: ColorJitterOptions): Transform {
  const sample = colorJitterSampler(options);
  return (images, rng) => {
    const n = batchOf(images);
    return applyColorJitter(images, Array.from({ length: n }, () => sample(rng)));
  };
}
